// The token-dispatch seam (model/token_dispatch.h): the single-device dispatcher
// computes exactly what MoE and MoA computed inline before (bit for bit,
// forward and backward), and both layers route through whichever dispatcher is
// installed.
#include <gtest/gtest.h>

#include <memory>

#include "model/token_dispatch.h"
#include "model/transformer.h"
#include "test_helpers.h"

namespace moe::model {
namespace {

TEST(TokenDispatch, DispatchCombineAreTheGathersAndTheGatedSum) {
  torch::manual_seed(11);
  TopKRouter router(8, 4, 3);
  router->reset_parameters(1.0);
  const at::Tensor x = at::randn({10, 8});
  const Routing r = router->forward(x);
  const TokenDispatcher dispatcher;
  const Dispatched d = dispatcher.dispatch(x, r, ExpertBackend::kLoop);
  EXPECT_TRUE(d.rows.equal(gather_pairs_by_expert(x, r)));
  EXPECT_EQ(d.groups.backend, ExpertBackend::kLoop);
  std::int64_t rows = 0;
  for (const std::int64_t n : d.groups.sizes) rows += n;
  EXPECT_EQ(rows, 30);

  const at::Tensor y = at::randn({30, 5});  // expert order
  const at::Tensor pairs = dispatcher.to_pairs(y, d);
  EXPECT_TRUE(pairs.equal(unsort_pairs(y, r)));
  EXPECT_TRUE(dispatcher.to_experts(pairs, d).equal(y));
  const at::Tensor expected = (unsort_pairs(y, r).view({10, 3, 5}) * r.gates.unsqueeze(-1)).sum(1);
  EXPECT_TRUE(dispatcher.combine(y, d).equal(expected));
}

// The MoE forward as it was written before the seam, on the layer's own weights.
at::Tensor moe_inline(MixtureOfExperts& moe, const at::Tensor& x, std::int64_t I) {
  const std::int64_t N = x.size(0) * x.size(1), H = x.size(2), k = moe->router->top_k();
  const at::Tensor flat = x.reshape({N, H});
  const Routing routing = moe->router->forward(flat);
  const ExpertGroups groups = make_expert_groups(routing, ExpertBackend::kLoop);
  const at::Tensor xs = gather_pairs_by_expert(flat, routing);
  const at::Tensor h = moe->input_linear->forward(xs, groups);
  const at::Tensor act = at::silu(h.narrow(1, 0, I)) * h.narrow(1, I, I);
  const at::Tensor ys = moe->output_linear->forward(act, groups);
  const at::Tensor y = unsort_pairs(ys, routing).view({N, k, H});
  return ((y * routing.gates.unsqueeze(-1)).sum(1) + moe->bias).view(x.sizes());
}

TEST(TokenDispatch, MoeIsBitIdenticalToTheInlineComputation) {
  torch::manual_seed(12);
  const ModelConfig c = test::small_config();
  MixtureOfExperts moe(c);
  moe->reset_parameters(0.2);
  const at::Tensor x0 = at::randn({2, 7, c.hidden_size});
  const at::Tensor upstream = at::randn({2, 7, c.hidden_size});

  at::Tensor x = x0.clone().requires_grad_(true);
  const at::Tensor out = moe->forward(x, ExpertBackend::kLoop, 0).hidden;
  out.backward(upstream);
  std::vector<at::Tensor> grads = {x.grad()};
  for (const auto& p : moe->parameters()) grads.push_back(p.grad().clone());

  moe->zero_grad();
  at::Tensor xr = x0.clone().requires_grad_(true);
  const at::Tensor ref = moe_inline(moe, xr, c.intermediate_size);
  ref.backward(upstream);
  std::vector<at::Tensor> ref_grads = {xr.grad()};
  for (const auto& p : moe->parameters()) ref_grads.push_back(p.grad());

  EXPECT_TRUE(out.equal(ref));
  ASSERT_EQ(grads.size(), ref_grads.size());
  for (std::size_t i = 0; i < grads.size(); ++i) EXPECT_TRUE(grads[i].equal(ref_grads[i])) << "gradient " << i;
}

// Counts the calls and delegates: what an expert-parallel subclass overrides.
struct CountingDispatcher : TokenDispatcher {
  mutable int dispatches = 0, combines = 0, to_pairs_calls = 0, to_experts_calls = 0;
  Dispatched dispatch(const at::Tensor& x, const Routing& routing, ExpertBackend backend) const override {
    ++dispatches;
    return TokenDispatcher::dispatch(x, routing, backend);
  }
  at::Tensor combine(const at::Tensor& y, const Dispatched& d) const override {
    ++combines;
    return TokenDispatcher::combine(y, d);
  }
  at::Tensor to_pairs(const at::Tensor& y, const Dispatched& d) const override {
    ++to_pairs_calls;
    return TokenDispatcher::to_pairs(y, d);
  }
  at::Tensor to_experts(const at::Tensor& y, const Dispatched& d) const override {
    ++to_experts_calls;
    return TokenDispatcher::to_experts(y, d);
  }
};

TEST(TokenDispatch, BothLayersRouteThroughTheInstalledDispatcher) {
  torch::manual_seed(13);
  const ModelConfig c = test::small_config();
  JetMoeCausalLM model(c);
  const at::Tensor ids = at::randint(0, c.vocab_size, {2, 9}, at::kLong);
  const at::Tensor local = model->forward(ids, ids).loss;

  auto attention = std::make_shared<CountingDispatcher>();
  auto mlp = std::make_shared<CountingDispatcher>();
  for (const auto& layer : *model->model->layers) {
    auto* block = layer->as<JetMoeBlockImpl>();
    ASSERT_NE(block, nullptr);
    block->self_attention->set_token_dispatcher(attention);
    block->mlp->set_token_dispatcher(mlp);
  }
  const at::Tensor counted = model->forward(ids, ids).loss;
  EXPECT_TRUE(counted.equal(local));
  const int L = static_cast<int>(c.num_layers);
  // MoE: one round trip per layer.
  EXPECT_EQ(mlp->dispatches, L);
  EXPECT_EQ(mlp->combines, L);
  EXPECT_EQ(mlp->to_pairs_calls, L);  // inside combine
  EXPECT_EQ(mlp->to_experts_calls, 0);
  // MoA: queries back to their tokens for attention, outputs out again, then combine.
  EXPECT_EQ(attention->dispatches, L);
  EXPECT_EQ(attention->combines, L);
  EXPECT_EQ(attention->to_pairs_calls, 2 * L);
  EXPECT_EQ(attention->to_experts_calls, L);
}

}  // namespace
}  // namespace moe::model
