// Grouped (at::_grouped_mm) and per-expert-loop expert matmuls must agree:
// bf16 grouped vs bf16 loop (loose tolerance) and fp32 loop vs bf16 grouped
// (looser), forward and backward, for one projection and for the whole model.
#include <gtest/gtest.h>

#include "model/experts.h"
#include "model/swiglu.h"
#include "model/transformer.h"
#include "test_helpers.h"

namespace moe::model {
namespace {

at::Tensor ends_of(const std::vector<std::int64_t>& sizes) {
  return at::tensor(sizes, at::kLong).cumsum(0).to(at::kInt);
}

struct MatmulResult {
  at::Tensor y, dx, dw;
};

MatmulResult run_matmul(const at::Tensor& x0, const at::Tensor& w0, const at::Tensor& upstream,
                        const std::vector<std::int64_t>& sizes, ExpertBackend backend, at::ScalarType dtype) {
  at::Tensor x = x0.to(dtype).detach().requires_grad_(true);
  at::Tensor w = w0.to(dtype).detach().requires_grad_(true);
  at::Tensor y = backend == ExpertBackend::kGrouped ? grouped_expert_matmul(x, w, ends_of(sizes))
                                                    : loop_expert_matmul(x, w, sizes);
  y.backward(upstream.to(dtype));
  return {y.to(at::kDouble), x.grad().to(at::kDouble), w.grad().to(at::kDouble)};
}

class ExpertMatmul : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(3);
    // Empty experts at the start, middle and end exercise the group offsets.
    sizes_ = {0, 9, 0, 17, 6, 0};
    const std::int64_t M = 32, in = 64, out = 96, E = 6;
    x_ = at::randn({M, in});
    w_ = at::randn({E, out, in}) * 0.1;
    upstream_ = at::randn({M, out});
    reference_ = run_matmul(x_, w_, upstream_, sizes_, ExpertBackend::kLoop, at::kDouble);
  }
  std::vector<std::int64_t> sizes_;
  at::Tensor x_, w_, upstream_;
  MatmulResult reference_;
};

TEST_F(ExpertMatmul, LoopMatchesPerExpertDefinition) {
  // y_e = x_e W_e^T, rows of expert e in order; an empty expert has zero weight grad.
  std::int64_t row = 0;
  for (std::size_t e = 0; e < sizes_.size(); ++e) {
    if (sizes_[e] == 0) {
      EXPECT_EQ(reference_.dw[static_cast<std::int64_t>(e)].abs().max().item<double>(), 0.0);
      continue;
    }
    const at::Tensor xe = x_.narrow(0, row, sizes_[e]).to(at::kDouble);
    const at::Tensor expected = xe.matmul(w_[static_cast<std::int64_t>(e)].to(at::kDouble).t());
    EXPECT_LT(test::max_abs_diff(reference_.y.narrow(0, row, sizes_[e]), expected), 1e-10);
    row += sizes_[e];
  }
}

TEST_F(ExpertMatmul, Bf16GroupedMatchesBf16Loop) {
  const MatmulResult g = run_matmul(x_, w_, upstream_, sizes_, ExpertBackend::kGrouped, at::kBFloat16);
  const MatmulResult l = run_matmul(x_, w_, upstream_, sizes_, ExpertBackend::kLoop, at::kBFloat16);
  EXPECT_LT(test::max_rel_diff(g.y, l.y), 2e-2);
  EXPECT_LT(test::max_rel_diff(g.dx, l.dx), 2e-2);
  EXPECT_LT(test::max_rel_diff(g.dw, l.dw), 2e-2);
  // Both are close to the exact result.
  EXPECT_LT(test::max_rel_diff(g.y, reference_.y), 2e-2);
  EXPECT_LT(test::max_rel_diff(g.dw, reference_.dw), 2e-2);
}

TEST_F(ExpertMatmul, Fp32LoopMatchesBf16Grouped) {
  const MatmulResult g = run_matmul(x_, w_, upstream_, sizes_, ExpertBackend::kGrouped, at::kBFloat16);
  const MatmulResult f = run_matmul(x_, w_, upstream_, sizes_, ExpertBackend::kLoop, at::kFloat);
  EXPECT_LT(test::max_rel_diff(f.y, reference_.y), 1e-5);
  EXPECT_LT(test::max_rel_diff(g.y, f.y), 3e-2);
  EXPECT_LT(test::max_rel_diff(g.dx, f.dx), 3e-2);
  EXPECT_LT(test::max_rel_diff(g.dw, f.dw), 3e-2);
}

TEST_F(ExpertMatmul, GroupedBackwardAcceptsExpandedGradients) {
  // y.sum() hands the backward a zero-stride gradient, which the grouped
  // kernel rejects unless it is made contiguous first.
  at::Tensor x = x_.to(at::kBFloat16).requires_grad_(true);
  at::Tensor w = w_.to(at::kBFloat16).requires_grad_(true);
  grouped_expert_matmul(x, w, ends_of(sizes_)).sum().backward();
  ASSERT_TRUE(w.grad().defined());
  const at::Tensor ones = at::ones_like(upstream_);
  const MatmulResult l = run_matmul(x_, w_, ones, sizes_, ExpertBackend::kLoop, at::kBFloat16);
  EXPECT_LT(test::max_rel_diff(w.grad().to(at::kDouble), l.dw), 2e-2);
}

TEST(ExpertBackendChoice, AutoUsesTheLoopOnCpuAndExplicitChoicesStand) {
  const ModelConfig c = test::small_config();
  const at::Device cpu(at::kCPU);
  EXPECT_EQ(resolve_expert_backend(ExpertBackend::kAuto, c, at::kFloat, cpu), ExpertBackend::kLoop);
  EXPECT_EQ(resolve_expert_backend(ExpertBackend::kAuto, c, at::kBFloat16, cpu), ExpertBackend::kLoop);
  EXPECT_EQ(resolve_expert_backend(ExpertBackend::kGrouped, c, at::kBFloat16, cpu), ExpertBackend::kGrouped);
  EXPECT_EQ(resolve_expert_backend(ExpertBackend::kLoop, c, at::kBFloat16, cpu), ExpertBackend::kLoop);
}

TEST(ExpertDispatch, GatherThenUnsortRestoresPairOrder) {
  torch::manual_seed(4);
  TopKRouter router(8, 4, 2);
  router->reset_parameters(1.0);
  const at::Tensor x = at::randn({10, 8});
  const Routing r = router->forward(x);
  const at::Tensor sorted = gather_pairs_by_expert(x, r);  // [20, 8]
  const at::Tensor pairs = unsort_pairs(sorted, r).view({10, 2, 8});
  EXPECT_TRUE(pairs.select(1, 0).equal(x));
  EXPECT_TRUE(pairs.select(1, 1).equal(x));
}

// The loop's own backward (rows written in place) against the same matmuls through plain autograd
// (split, select, cat), in float64 so only the algorithm can differ.
TEST(ExpertLoopMatmul, MatchesPlainAutogradForwardAndBackward) {
  torch::manual_seed(6);
  const std::vector<std::int64_t> sizes = {0, 5, 0, 11, 3, 0};
  const at::Tensor x0 = at::randn({19, 7}, at::kDouble), w0 = at::randn({6, 9, 7}, at::kDouble);
  const at::Tensor upstream = at::randn({19, 9}, at::kDouble);
  at::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
  const at::Tensor y = loop_expert_matmul(x, w, sizes);
  y.backward(upstream);
  at::Tensor xr = x0.clone().requires_grad_(true), wr = w0.clone().requires_grad_(true);
  const auto pieces = xr.split_with_sizes(sizes, 0);
  std::vector<at::Tensor> outs;
  for (std::size_t e = 0; e < sizes.size(); ++e)
    outs.push_back(at::mm(pieces[e], wr.select(0, static_cast<std::int64_t>(e)).t()));
  const at::Tensor yr = at::cat(outs, 0);
  yr.backward(upstream);
  EXPECT_TRUE(at::allclose(y, yr, 1e-12, 1e-12));
  EXPECT_TRUE(at::allclose(x.grad(), xr.grad(), 1e-12, 1e-12));
  EXPECT_TRUE(at::allclose(w.grad(), wr.grad(), 1e-12, 1e-12));
  // Experts without rows get a zero gradient, not uninitialised memory.
  EXPECT_TRUE(w.grad().select(0, 0).eq(0).all().item<bool>());
  EXPECT_TRUE(w.grad().select(0, 5).eq(0).all().item<bool>());
}

// Dispatch gathers (their backward is the inverse gather) against index_select through plain autograd.
// The SwiGLU function against autograd over the two narrowed halves, in fp32 and bf16, with a
// non-contiguous incoming gradient.
TEST(SwiGlu, MatchesAutogradOverNarrowedHalvesForwardAndBackward) {
  for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    torch::manual_seed(11);
    const at::Tensor h0 = at::randn({37, 2 * 24}).to(dtype);
    const at::Tensor dy = at::randn({24, 37}).to(dtype).t();  // [37, 24], transposed strides
    const at::Tensor h = h0.clone().set_requires_grad(true);
    const at::Tensor y = model::swiglu(h);
    y.backward(dy);
    const at::Tensor r = h0.clone().set_requires_grad(true);
    const at::Tensor ry = at::silu(r.narrow(1, 0, 24)) * r.narrow(1, 24, 24);
    ry.backward(dy);
    const double tol = dtype == at::kFloat ? 1e-6 : 2e-2;
    EXPECT_EQ(y.sizes(), ry.sizes());
    EXPECT_LT(test::max_abs_diff(y, ry), tol) << dtype;
    EXPECT_LT(test::max_abs_diff(h.grad(), r.grad()), tol) << dtype;
    EXPECT_TRUE(h.grad().is_contiguous());
  }
}

TEST(ExpertDispatch, GathersMatchIndexSelectForwardAndBackward) {
  torch::manual_seed(7);
  TopKRouter router(8, 4, 3);
  router->reset_parameters(1.0);
  const at::Tensor x0 = at::randn({10, 8}, at::kDouble);
  const Routing r = router->forward(x0.to(at::kFloat));
  EXPECT_TRUE(r.sorted_pairs.index_select(0, r.pair_rows).equal(at::arange(30)));
  const at::Tensor up = at::randn({30, 8}, at::kDouble);

  at::Tensor x = x0.clone().requires_grad_(true), xr = x0.clone().requires_grad_(true);
  const at::Tensor g = gather_pairs_by_expert(x, r);
  const at::Tensor gr = xr.unsqueeze(1).expand({10, 3, 8}).reshape({30, 8}).index_select(0, r.sorted_pairs);
  EXPECT_TRUE(g.equal(gr));
  g.backward(up);
  gr.backward(up);
  EXPECT_TRUE(at::allclose(x.grad(), xr.grad(), 1e-12, 1e-12));

  at::Tensor y = up.clone().requires_grad_(true), yr = up.clone().requires_grad_(true);
  const at::Tensor u = unsort_pairs(y, r);
  const at::Tensor ur = at::zeros_like(yr).index_copy(0, r.sorted_pairs, yr);
  EXPECT_TRUE(u.equal(ur));
  EXPECT_TRUE(sort_pairs(u, r).equal(up));
  (u * u).sum().backward();
  (ur * ur).sum().backward();
  EXPECT_TRUE(at::allclose(y.grad(), yr.grad(), 1e-12, 1e-12));
}

struct ModelRun {
  at::Tensor logits, loss;
  std::vector<at::Tensor> counts;
  std::vector<std::pair<std::string, at::Tensor>> grads;
};

ModelRun run_model(JetMoeCausalLM& model, const at::Tensor& ids) {
  model->zero_grad();
  CausalLMOutput out = model->forward(ids, ids);
  out.loss.backward();
  ModelRun run;
  run.logits = out.logits.detach().to(at::kDouble);
  run.loss = out.loss.detach().to(at::kDouble);
  for (const auto& s : out.router_stats) run.counts.push_back(s.counts);
  for (const auto& p : model->named_parameters()) run.grads.emplace_back(p.key(), p.value().grad().to(at::kDouble));
  return run;
}

double rel_l2(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).norm().item<double>() / std::max(b.norm().item<double>(), 1e-12);
}

class ModelBackends : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(5);
    config_ = test::small_config();
    model_ = JetMoeCausalLM(config_);
    ids_ = at::randint(0, config_.vocab_size, {2, 24}, at::kLong);
  }
  ModelConfig config_;
  JetMoeCausalLM model_{nullptr};
  at::Tensor ids_;
};

TEST_F(ModelBackends, Bf16GroupedMatchesBf16Loop) {
  model_->to(at::kBFloat16);
  model_->set_expert_backend(ExpertBackend::kLoop);
  const ModelRun loop = run_model(model_, ids_);
  model_->set_expert_backend(ExpertBackend::kGrouped);
  ASSERT_EQ(model_->resolved_expert_backend(), ExpertBackend::kGrouped);
  const ModelRun grouped = run_model(model_, ids_);

  // Routing happens before any expert matmul of a layer; it must not differ.
  for (std::size_t i = 0; i < loop.counts.size(); ++i) ASSERT_TRUE(loop.counts[i].equal(grouped.counts[i])) << i;
  EXPECT_LT(test::max_rel_diff(grouped.logits, loop.logits), 3e-2);
  EXPECT_NEAR(grouped.loss.item<double>(), loop.loss.item<double>(), 1e-2 * loop.loss.item<double>());
  for (std::size_t i = 0; i < loop.grads.size(); ++i) {
    EXPECT_LT(rel_l2(grouped.grads[i].second, loop.grads[i].second), 5e-2) << loop.grads[i].first;
  }
}

TEST_F(ModelBackends, Fp32LoopMatchesBf16Grouped) {
  model_->set_expert_backend(ExpertBackend::kLoop);
  const ModelRun fp32 = run_model(model_, ids_);
  model_->to(at::kBFloat16);
  const ModelRun bf16_loop = run_model(model_, ids_);
  model_->set_expert_backend(ExpertBackend::kGrouped);
  const ModelRun bf16_grouped = run_model(model_, ids_);

  // A bf16 model differs from fp32 by itself (rounding, and near-tied routing
  // choices that flip), so measure the grouped path's distance to fp32 against
  // the bf16 loop's: the grouped kernels must not add error of their own.
  const auto within = [](double grouped, double loop) { return grouped <= 1.5 * loop + 1e-2; };
  const double loss_g = std::abs(bf16_grouped.loss.item<double>() - fp32.loss.item<double>());
  const double loss_l = std::abs(bf16_loop.loss.item<double>() - fp32.loss.item<double>());
  EXPECT_LT(loss_g, 3e-2 * fp32.loss.item<double>());
  EXPECT_TRUE(within(loss_g, loss_l)) << loss_g << " vs " << loss_l;
  const double logits_g = rel_l2(bf16_grouped.logits, fp32.logits);
  const double logits_l = rel_l2(bf16_loop.logits, fp32.logits);
  EXPECT_LT(logits_g, 0.15);
  EXPECT_TRUE(within(logits_g, logits_l)) << logits_g << " vs " << logits_l;
  for (std::size_t i = 0; i < fp32.grads.size(); ++i) {
    const double g = rel_l2(bf16_grouped.grads[i].second, fp32.grads[i].second);
    const double l = rel_l2(bf16_loop.grads[i].second, fp32.grads[i].second);
    EXPECT_LT(g, 0.3) << fp32.grads[i].first;
    EXPECT_TRUE(within(g, l)) << fp32.grads[i].first << ": grouped " << g << " vs loop " << l;
  }
}

}  // namespace
}  // namespace moe::model
