// AdamW with parameter groups: which parameters decay, the update against the
// AdamW equations written out here, skipped steps leaving weights and moments
// bit-identical, clipping, and fp32 master weights for a bfloat16 model.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "model/transformer.h"
#include "optim/adamw.h"
#include "test_helpers.h"

namespace moe::optim {
namespace {

TEST(ParamGroups, MatricesDecayBiasesAndNormsDoNot) {
  const model::JetMoeCausalLM model(test::small_config());
  std::vector<NamedParameter> params;
  for (const auto& item : model->named_parameters()) params.push_back({item.key(), item.value()});
  for (const auto& p : params) {
    const bool is_bias = p.name.size() > 5 && p.name.compare(p.name.size() - 5, 5, ".bias") == 0;
    const bool is_norm = p.name.find("norm.weight") != std::string::npos;
    EXPECT_EQ(uses_weight_decay(p.name, p.param, true), !(is_bias || is_norm)) << p.name;
  }
  EXPECT_TRUE(uses_weight_decay("model.layers.0.mlp.router.layer.weight",
                                model->named_parameters()["model.layers.0.mlp.router.layer.weight"], true));
  const at::Tensor emb = model->named_parameters()["model.embed_tokens.weight"];
  EXPECT_TRUE(uses_weight_decay("model.embed_tokens.weight", emb, true));
  EXPECT_FALSE(uses_weight_decay("model.embed_tokens.weight", emb, false));
}

struct Reference {
  at::Tensor p, m, v;
};

// One AdamW step written out from the equations (decoupled decay).
void reference_step(Reference& r, const at::Tensor& g, double lr, double b1, double b2, double eps, double wd, int t) {
  r.p = r.p * (1 - lr * wd);
  r.m = b1 * r.m + (1 - b1) * g;
  r.v = b2 * r.v + (1 - b2) * g * g;
  const double c1 = 1 - std::pow(b1, t), c2 = 1 - std::pow(b2, t);
  r.p = r.p - lr * (r.m / c1) / ((r.v / c2).sqrt() + eps);
}

TEST(AdamW, FollowsTheEquationsPerGroup) {
  torch::manual_seed(3);
  at::Tensor w = at::randn({4, 3}).set_requires_grad(true);
  at::Tensor b = at::randn({3}).set_requires_grad(true);
  AdamWOptions o;
  o.beta1 = 0.8;
  o.beta2 = 0.95;
  o.eps = 1e-6;
  o.weight_decay = 0.3;
  AdamW opt({{"layer.weight", w}, {"layer.bias", b}}, o);
  Reference rw{w.detach().to(at::kDouble), at::zeros({4, 3}, at::kDouble), at::zeros({4, 3}, at::kDouble)};
  Reference rb{b.detach().to(at::kDouble), at::zeros({3}, at::kDouble), at::zeros({3}, at::kDouble)};
  const at::Tensor x = at::randn({5, 4});
  for (int t = 1; t <= 5; ++t) {
    const at::Tensor loss = (at::matmul(x, w) + b).pow(2).sum();
    loss.backward();
    const at::Tensor gw = w.grad().to(at::kDouble), gb = b.grad().to(at::kDouble);
    opt.clip_grad_norm(0);
    opt.step(1e-2, at::zeros({}));
    opt.commit(false);
    opt.zero_grad();
    reference_step(rw, gw, 1e-2, 0.8, 0.95, 1e-6, 0.3, t);
    reference_step(rb, gb, 1e-2, 0.8, 0.95, 1e-6, 0.0, t);  // biases never decay
    EXPECT_LT(test::max_abs_diff(w.detach(), rw.p), 1e-5) << "step " << t;
    EXPECT_LT(test::max_abs_diff(b.detach(), rb.p), 1e-5) << "step " << t;
  }
  EXPECT_EQ(opt.step_count(), 5);
  EXPECT_EQ(opt.decay_elements(), 12);
  EXPECT_EQ(opt.no_decay_elements(), 3);
}

TEST(AdamW, SkippedStepLeavesWeightsAndMomentsBitIdentical) {
  torch::manual_seed(4);
  at::Tensor w = at::randn({8, 8}).set_requires_grad(true);
  AdamW opt({{"w", w}}, AdamWOptions{});
  for (int t = 0; t < 2; ++t) {
    (w * w).sum().backward();
    opt.step(1e-2, at::zeros({}));
    opt.commit(false);
    opt.zero_grad();
  }
  const at::Tensor before = w.detach().clone();
  std::vector<at::Tensor> moments_before;
  for (const auto& [name, t] : opt.moments()) moments_before.push_back(t.clone());

  (w * std::numeric_limits<double>::quiet_NaN()).sum().backward();
  const at::Tensor norm = opt.clip_grad_norm(1.0);
  EXPECT_FALSE(norm.isfinite().item<bool>());
  opt.step(1e-2, at::ones({}));
  opt.commit(true);
  opt.zero_grad();
  EXPECT_TRUE(at::equal(w.detach(), before));
  const auto after = opt.moments();
  for (std::size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(at::equal(after[i].second, moments_before[i]));
  EXPECT_EQ(opt.step_count(), 2);

  // The next good step proceeds as step 3.
  (w * w).sum().backward();
  opt.step(1e-2, at::zeros({}));
  opt.commit(false);
  EXPECT_FALSE(at::equal(w.detach(), before));
  EXPECT_EQ(opt.step_count(), 3);
}

// Clipping scales the gradients the update reads (the fused kernel's grad_scale): the weights follow an
// unclipped optimizer fed the clipped gradients.
TEST(AdamW, ClipsTheGlobalNormAcrossParameters) {
  AdamWOptions o;
  o.weight_decay = 0.1;
  at::Tensor a = at::full({2}, 0.5).set_requires_grad(true), b = at::full({1}, -0.25).set_requires_grad(true);
  at::Tensor ra = a.detach().clone().set_requires_grad(true), rb = b.detach().clone().set_requires_grad(true);
  AdamW opt({{"a", a}, {"b", b}}, o);
  AdamW ref({{"a", ra}, {"b", rb}}, o);
  const std::vector<std::pair<double, double>> grads = {{3.0, 4.0}, {0.3, 0.4}, {6.0, -8.0}};  // norms 5, 0.5, 10
  for (const auto& [ga, gb] : grads) {
    (a * at::tensor({ga, 0.0})).sum().backward();
    (b * at::tensor({gb})).sum().backward();
    const double norm = std::hypot(ga, gb), coef = std::min(1.0, 1.0 / (norm + 1e-6));
    EXPECT_NEAR(opt.clip_grad_norm(1.0).item<double>(), norm, 1e-5);
    opt.step(1e-2, at::zeros({}));
    opt.commit(false);
    opt.zero_grad();
    (ra * at::tensor({ga * coef, 0.0})).sum().backward();
    (rb * at::tensor({gb * coef})).sum().backward();
    ref.clip_grad_norm(0);
    ref.step(1e-2, at::zeros({}));
    ref.commit(false);
    ref.zero_grad();
    EXPECT_LT(test::max_abs_diff(a.detach(), ra.detach()), 1e-6) << "gradient norm " << norm;
    EXPECT_LT(test::max_abs_diff(b.detach(), rb.detach()), 1e-6) << "gradient norm " << norm;
    const auto m = opt.moments(), rm = ref.moments();
    for (std::size_t i = 0; i < m.size(); ++i) EXPECT_LT(test::max_abs_diff(m[i].second, rm[i].second), 1e-6);
  }
}

// bfloat16 gradients are handed to the fp32 buffers and released after each micro-batch; a parameter that
// gets no gradient in a step (an expert without tokens) updates with a zero gradient, not the last one.
TEST(AdamW, Bfloat16ParameterWithoutGradientUpdatesWithZero) {
  at::Tensor used = at::ones({4}).to(at::kBFloat16).set_requires_grad(true);
  at::Tensor idle = at::ones({4}).to(at::kBFloat16).set_requires_grad(true);
  AdamWOptions o;
  o.weight_decay = 0;
  AdamW opt({{"used", used}, {"idle", idle}}, o);
  ((used.to(at::kFloat) + idle.to(at::kFloat)) * 2.0).sum().backward();
  opt.accumulate_micro_batch();
  EXPECT_FALSE(used.grad().defined()) << "the bf16 gradient is released once folded into fp32";
  opt.clip_grad_norm(0);
  opt.step(1e-3, at::zeros({}));
  opt.commit(false);
  opt.zero_grad();
  const at::Tensor idle_m = opt.moments()[2].second.clone();  // idle.exp_avg after step 1
  EXPECT_GT(idle_m.abs().min().item<double>(), 0.0);
  (used.to(at::kFloat) * 2.0).sum().backward();  // idle gets no gradient
  opt.accumulate_micro_batch();
  opt.clip_grad_norm(0);
  opt.step(1e-3, at::zeros({}));
  opt.commit(false);
  EXPECT_LT(test::max_abs_diff(opt.moments()[2].second, idle_m * o.beta1), 1e-7)
      << "exp_avg of the idle parameter decays as for a zero gradient";
}

TEST(AdamW, Bfloat16ModelKeepsFp32MastersAndAccumulatesInFp32) {
  torch::manual_seed(5);
  at::Tensor w = at::randn({16}).to(at::kBFloat16).set_requires_grad(true);
  const at::Tensor w0 = w.detach().to(at::kFloat);
  AdamWOptions o;
  o.weight_decay = 0;
  AdamW opt({{"w", w}}, o);
  ASSERT_EQ(opt.master_weights()[0].second.scalar_type(), at::kFloat);
  // Two micro-batches accumulate into the fp32 buffer.
  for (int m = 0; m < 2; ++m) {
    (w.to(at::kFloat) * 0.5).sum().backward();
    opt.accumulate_micro_batch();
  }
  opt.clip_grad_norm(0);
  opt.step(1e-3, at::zeros({}));
  opt.commit(false);
  // First Adam step moves every weight by lr * sign(grad) (bias-corrected m/sqrt(v) = 1).
  const at::Tensor master = opt.master_weights()[0].second;
  EXPECT_LT(test::max_abs_diff(master, w0 - 1e-3), 1e-6);
  EXPECT_TRUE(at::equal(w.detach(), master.to(at::kBFloat16)));
}

}  // namespace
}  // namespace moe::optim
