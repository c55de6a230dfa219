// Router invariants (T*k assignments, gates >= 0 summing to 1, distinct top-k
// experts of the raw logits, expert-sorted dispatch), the router loss against
// hand-computed values, and load summaries.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "model/router.h"
#include "test_helpers.h"

namespace moe::model {
namespace {

TEST(Router, RoutingInvariants) {
  torch::manual_seed(0);
  const std::int64_t N = 257, H = 32, E = 6, k = 3;
  TopKRouter router(H, E, k);
  router->reset_parameters(0.5);
  const at::Tensor x = at::randn({N, H});
  const Routing r = router->forward(x);

  ASSERT_EQ(r.logits.sizes(), (std::vector<std::int64_t>{N, E}));
  ASSERT_EQ(r.expert_ids.sizes(), (std::vector<std::int64_t>{N, k}));
  ASSERT_EQ(r.gates.sizes(), (std::vector<std::int64_t>{N, k}));
  EXPECT_EQ(r.logits.scalar_type(), at::kFloat);

  // Gates are a distribution over the k slots.
  EXPECT_TRUE(r.gates.ge(0).all().item<bool>());
  EXPECT_LT(test::max_abs_diff(r.gates.sum(1), at::ones({N})), 1e-6);

  const auto ids = r.expert_ids.accessor<std::int64_t, 2>();
  const auto logits = r.logits.accessor<float, 2>();
  const auto gates = r.gates.accessor<float, 2>();
  for (std::int64_t t = 0; t < N; ++t) {
    std::set<std::int64_t> chosen;
    float min_chosen = INFINITY;
    for (std::int64_t s = 0; s < k; ++s) {
      ASSERT_GE(ids[t][s], 0);
      ASSERT_LT(ids[t][s], E);
      chosen.insert(ids[t][s]);
      min_chosen = std::min(min_chosen, logits[t][ids[t][s]]);
    }
    EXPECT_EQ(chosen.size(), static_cast<std::size_t>(k)) << "token " << t << " picked an expert twice";
    // Top-k of the raw logits: no unchosen expert scores higher.
    for (std::int64_t e = 0; e < E; ++e) {
      if (!chosen.count(e)) EXPECT_LE(logits[t][e], min_chosen);
    }
    // Softmax over the k chosen logits only.
    double denom = 0;
    for (std::int64_t s = 0; s < k; ++s) denom += std::exp(static_cast<double>(logits[t][ids[t][s]]));
    for (std::int64_t s = 0; s < k; ++s) {
      EXPECT_NEAR(gates[t][s], std::exp(static_cast<double>(logits[t][ids[t][s]])) / denom, 1e-6);
    }
  }

  // Dispatch: counts sum to N*k; sorted pairs are a permutation in expert order.
  EXPECT_EQ(r.counts.sum().item<std::int64_t>(), N * k);
  EXPECT_TRUE(r.counts.equal(at::bincount(r.expert_ids.reshape({-1}), {}, E)));
  EXPECT_TRUE(std::get<0>(r.sorted_pairs.sort()).equal(at::arange(N * k)));
  const at::Tensor sorted_experts = r.expert_ids.reshape({-1}).index_select(0, r.sorted_pairs);
  EXPECT_TRUE(sorted_experts.diff().ge(0).all().item<bool>());
  EXPECT_EQ(r.group_ends.scalar_type(), at::kInt);
  EXPECT_TRUE(r.group_ends.to(at::kLong).equal(r.counts.cumsum(0)));
}

// Router whose logits equal its input: weight = identity (H = E).
TopKRouter identity_router(std::int64_t E, std::int64_t k) {
  TopKRouter router(E, E, k);
  torch::NoGradGuard no_grad;
  router->layer->weight.copy_(at::eye(E));
  return router;
}

TEST(RouterLoss, MatchesAHandComputedExample) {
  const std::int64_t E = 4, k = 2;
  TopKRouter router = identity_router(E, k);
  const std::vector<std::vector<double>> rows = {{2.0, 1.0, 0.0, -1.0}, {0.5, 3.0, 0.2, 0.1}, {-1.0, 0.0, 4.0, 1.0}};
  std::vector<float> flat;
  for (const auto& row : rows) flat.insert(flat.end(), row.begin(), row.end());
  const at::Tensor x = at::tensor(flat).reshape({3, E});

  // By hand: top-2 per row are {0,1}, {1,0}, {2,3} -> counts [2,2,1,1] / 6.
  const std::vector<double> f = {2.0 / 6, 2.0 / 6, 1.0 / 6, 1.0 / 6};
  std::vector<double> P(E, 0.0);
  double z = 0;
  for (const auto& row : rows) {
    double sum = 0;
    for (double v : row) sum += std::exp(v);
    for (std::int64_t e = 0; e < E; ++e) P[e] += std::exp(row[e]) / sum;
    z += std::log(sum) * std::log(sum);
  }
  double p_total = 0;
  for (double p : P) p_total += p;
  double balance = 0;
  for (std::int64_t e = 0; e < E; ++e) balance += (P[e] / p_total) * f[e];
  balance *= E;
  z /= 3;

  const Routing r = router->forward(x);
  EXPECT_TRUE(r.counts.equal(at::tensor({2, 2, 1, 1}, at::kLong)));
  const RouterLoss loss = compute_router_loss(r, 0.1, 7, RouterKind::kAttention);
  EXPECT_NEAR(loss.stats.balance_loss.item<double>(), balance, 1e-6);
  EXPECT_NEAR(loss.stats.z_loss.item<double>(), z, 1e-5);
  EXPECT_NEAR(loss.loss.item<double>(), balance + 0.1 * z, 1e-5);
  EXPECT_EQ(loss.stats.layer, 7);
  EXPECT_EQ(loss.stats.kind, RouterKind::kAttention);
  EXPECT_LT(test::max_abs_diff(loss.stats.fractions, at::tensor({2.0, 2.0, 1.0, 1.0}) / 6.0), 1e-7);
  EXPECT_NEAR(loss.stats.importance.sum().item<double>(), 1.0, 1e-6);
}

TEST(RouterLoss, UniformLogitsGiveBalanceOneAndLogESquared) {
  // softmax uniform: P_i = 1/E, so E * sum_i P_i f_i = sum_i f_i = 1 whatever
  // the (tie-broken) assignment; logsumexp(0) = ln E.
  const std::int64_t E = 8, k = 2;
  TopKRouter router = identity_router(E, k);
  const RouterLoss loss = compute_router_loss(router->forward(at::zeros({16, E})), 0.1, 0, RouterKind::kMlp);
  EXPECT_NEAR(loss.stats.balance_loss.item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(loss.stats.z_loss.item<double>(), std::log(8.0) * std::log(8.0), 1e-5);
}

TEST(RouterLoss, GradientReachesTheRouterWeights) {
  torch::manual_seed(1);
  TopKRouter router(16, 4, 2);
  router->reset_parameters(0.3);
  const RouterLoss loss = compute_router_loss(router->forward(at::randn({64, 16})), 0.1, 0, RouterKind::kMlp);
  loss.loss.backward();
  const at::Tensor grad = router->layer->weight.grad();
  ASSERT_TRUE(grad.defined());
  EXPECT_GT(grad.abs().sum().item<double>(), 0.0);
  EXPECT_FALSE(loss.stats.balance_loss.requires_grad());  // statistics are detached
}

TEST(RouterSummary, DeadExpertsImbalanceAndEntropy) {
  RouterStats skewed;
  skewed.counts = at::tensor({4, 0, 0, 0}, at::kLong);
  RouterSummary s = summarize_router_stats(skewed);
  EXPECT_EQ(s.dead_experts, 3);
  EXPECT_DOUBLE_EQ(s.max_over_mean, 4.0);
  EXPECT_DOUBLE_EQ(s.entropy, 0.0);
  EXPECT_NEAR(s.coeff_of_variation, std::sqrt(3.0), 1e-12);

  RouterStats uniform;
  uniform.counts = at::tensor({5, 5, 5, 5}, at::kLong);
  s = summarize_router_stats(uniform);
  EXPECT_EQ(s.dead_experts, 0);
  EXPECT_DOUBLE_EQ(s.max_over_mean, 1.0);
  EXPECT_DOUBLE_EQ(s.coeff_of_variation, 0.0);
  EXPECT_NEAR(s.normalized_entropy, 1.0, 1e-12);
  EXPECT_NEAR(s.entropy, std::log(4.0), 1e-12);
}

}  // namespace
}  // namespace moe::model
