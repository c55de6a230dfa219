// The blocked attention kernel must equal fused SDPA (forward and gradients) for any block size,
// sequence length and number of slots, alone and inside the whole model; `auto` picks it only for
// float32 on the CPU within its memory budget.
#include <gtest/gtest.h>

#include "model/attention.h"
#include "model/transformer.h"
#include "test_helpers.h"

namespace moe::model {
namespace {

struct AttentionRun {
  at::Tensor out, dq, dk, dv;
};

AttentionRun run_attention(AttentionKernel kernel, const at::Tensor& q0, const at::Tensor& kv0,
                           const at::Tensor& upstream, std::int64_t block) {
  at::Tensor q = q0.detach().requires_grad_(true);
  at::Tensor kv = kv0.detach().requires_grad_(true);         // [B, T, 2, G, D], as kv_proj lays them out
  const at::Tensor key = kv.select(2, 0).transpose(1, 2);    // [B, G, T, D], strided
  const at::Tensor value = kv.select(2, 1).transpose(1, 2);  // [B, G, T, D], strided
  const double scale = 0.3;
  const at::Tensor out = kernel == AttentionKernel::kBlocked ? blocked_causal_attention(q, key, value, scale, block)
                                                             : sdpa_causal_attention(q, key, value, scale);
  EXPECT_EQ(out.sizes(), q0.sizes());
  out.backward(upstream);
  return {out.detach(), q.grad(), kv.grad().select(2, 0), kv.grad().select(2, 1)};
}

double max_abs(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

TEST(BlockedAttention, EqualsSdpaForwardAndBackward) {
  torch::manual_seed(11);
  const std::int64_t B = 2, G = 3, D = 8;
  for (const std::int64_t T : {1, 5, 45}) {
    for (const std::int64_t k : {1, 2, 3}) {
      const at::Tensor q = at::randn({B, T, k, G, D});
      const at::Tensor kv = at::randn({B, T, 2, G, D});
      const at::Tensor upstream = at::randn({B, T, k, G, D});
      const AttentionRun ref = run_attention(AttentionKernel::kSdpa, q, kv, upstream, 0);
      for (const std::int64_t block : {1, 7, 16, 45, 128}) {
        const AttentionRun got = run_attention(AttentionKernel::kBlocked, q, kv, upstream, block);
        const std::string where =
            "T=" + std::to_string(T) + " k=" + std::to_string(k) + " block=" + std::to_string(block);
        EXPECT_LT(max_abs(got.out, ref.out), 2e-5) << where;
        EXPECT_LT(max_abs(got.dq, ref.dq), 2e-5) << where;
        EXPECT_LT(max_abs(got.dk, ref.dk), 2e-5) << where;
        EXPECT_LT(max_abs(got.dv, ref.dv), 2e-5) << where;
      }
    }
  }
}

TEST(BlockedAttention, QueriesSeeOnlyEarlierPositions) {
  // Changing the keys and values of the last position changes only the last position's output.
  torch::manual_seed(12);
  const at::Tensor q = at::randn({1, 20, 2, 2, 4});
  at::Tensor kv = at::randn({1, 20, 2, 2, 4});
  const auto out = [&](const at::Tensor& kvs) {
    return blocked_causal_attention(q, kvs.select(2, 0).transpose(1, 2), kvs.select(2, 1).transpose(1, 2), 0.5, 6);
  };
  const at::Tensor before = out(kv);
  at::Tensor changed = kv.clone();
  changed.select(1, 19).normal_();
  const at::Tensor after = out(changed);
  EXPECT_TRUE(before.narrow(1, 0, 19).equal(after.narrow(1, 0, 19)));
  EXPECT_FALSE(before.select(1, 19).equal(after.select(1, 19)));
}

TEST(AttentionKernelChoice, AutoIsBlockedForFloat32OnTheCpuWithinTheBudget) {
  const at::Tensor small = at::empty({8, 512, 4});
  EXPECT_EQ(resolve_attention_kernel(AttentionKernel::kAuto, small, 6, 2), AttentionKernel::kBlocked);
  EXPECT_EQ(resolve_attention_kernel(AttentionKernel::kAuto, small.to(at::kBFloat16), 6, 2), AttentionKernel::kSdpa);
  // 8 x 4096 positions, 16 heads x 2 slots: gigabytes of probabilities per layer -> SDPA.
  const at::Tensor long_seq = at::empty({8, 4096, 1});
  EXPECT_GT(blocked_attention_saved_bytes(8, 16, 2, 4096), kBlockedAttentionBudget);
  EXPECT_EQ(resolve_attention_kernel(AttentionKernel::kAuto, long_seq, 16, 2), AttentionKernel::kSdpa);
  EXPECT_EQ(resolve_attention_kernel(AttentionKernel::kBlocked, long_seq, 16, 2), AttentionKernel::kBlocked);
  EXPECT_EQ(resolve_attention_kernel(AttentionKernel::kSdpa, small, 6, 2), AttentionKernel::kSdpa);
  // 8 x 512 x 6 heads x 2 slots, blocks of 128: 4 * 8 * 6 * 2 * 128 * (128 + 256 + 384 + 512) bytes.
  EXPECT_EQ(blocked_attention_saved_bytes(8, 6, 2, 512), std::int64_t{4} * 8 * 6 * 2 * 128 * 1280);
}

TEST(BlockedAttention, WholeModelMatchesSdpa) {
  torch::manual_seed(13);
  ModelConfig c = test::small_config();
  c.attention_kernel = AttentionKernel::kSdpa;
  JetMoeCausalLM sdpa(c);
  c.attention_kernel = AttentionKernel::kBlocked;
  JetMoeCausalLM blocked(c);
  {
    torch::NoGradGuard no_grad;
    const auto from = sdpa->named_parameters();
    for (auto& p : blocked->named_parameters()) p.value().copy_(from[p.key()]);
  }
  const at::Tensor ids = at::randint(0, c.vocab_size, {2, 40}, at::kLong);
  CausalLMOutput a = sdpa->forward(ids, ids);
  a.loss.backward();
  CausalLMOutput b = blocked->forward(ids, ids);
  b.loss.backward();
  EXPECT_LT(max_abs(b.logits, a.logits), 1e-5);
  EXPECT_NEAR(b.loss.item<double>(), a.loss.item<double>(), 1e-6);
  const auto grads = sdpa->named_parameters();
  for (const auto& p : blocked->named_parameters()) {
    EXPECT_LT(max_abs(p.value().grad(), grads[p.key()].grad()), 1e-5) << p.key();
  }
}

}  // namespace
}  // namespace moe::model
