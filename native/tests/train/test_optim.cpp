// AdamW with parameter groups: which parameters decay, the update against the
// AdamW equations written out here, skipped steps leaving weights and moments
// bit-identical, clipping, and fp32 master weights for a bfloat16 model.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/utils.h>

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

TEST(AdamW, ClipsTheGlobalNormAcrossParameters) {
  at::Tensor a = at::zeros({2}).set_requires_grad(true), b = at::zeros({1}).set_requires_grad(true);
  AdamW opt({{"a", a}, {"b", b}}, AdamWOptions{});
  (a * at::tensor({3.0, 0.0})).sum().backward();
  (b * at::tensor({4.0})).sum().backward();
  const double norm = opt.clip_grad_norm(1.0).item<double>();
  EXPECT_NEAR(norm, 5.0, 1e-6);
  EXPECT_NEAR(a.grad()[0].item<double>(), 3.0 / 5.0, 1e-5);
  EXPECT_NEAR(b.grad()[0].item<double>(), 4.0 / 5.0, 1e-5);
  opt.zero_grad();
  (b * at::tensor({0.5})).sum().backward();
  EXPECT_NEAR(opt.clip_grad_norm(1.0).item<double>(), 0.5, 1e-6);
  EXPECT_NEAR(b.grad()[0].item<double>(), 0.5, 1e-6);  // below the limit: untouched
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
