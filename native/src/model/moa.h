// Mixture-of-Attention (JetMoeAttention): per-expert query projections
// Wq [E, A, H] and output projections Wo [E, H, A] chosen by a top-k router,
// one shared kv_proj [2A, H], slot-major query heads, K/V tiled across slots,
// causal attention, fused SDPA or blocked (model/attention.h) (docs/model.md, Mixture of attention).
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <utility>

#include "model/config.h"
#include "model/experts.h"
#include "model/linear.h"
#include "model/moe.h"
#include "model/rope.h"
#include "model/router.h"
#include "model/token_dispatch.h"

namespace moe::model {

// The routed part of MoA (HF `self_attention.experts`). Parameters:
// router.layer.weight [E,H], input_linear.weight [E,A,H], output_linear.weight [E,H,A], bias [H].
class AttentionExpertsImpl : public torch::nn::Module {
 public:
  explicit AttentionExpertsImpl(const ModelConfig& config);
  void reset_parameters(double init_std);

  TopKRouter router{nullptr};
  ParallelExperts input_linear{nullptr};
  ParallelExperts output_linear{nullptr};
  at::Tensor bias;  // [H]
};
TORCH_MODULE(AttentionExperts);

// HF `self_attention`: submodules "experts" and "kv_proj" ([2A, H]: rows 0..A-1 K, A..2A-1 V).
class MixtureOfAttentionImpl : public torch::nn::Module {
 public:
  explicit MixtureOfAttentionImpl(const ModelConfig& config);
  // x: [B, T, H]; rope tables for T positions; backend: resolved kGrouped or kLoop.
  MixtureOutput forward(const at::Tensor& x, const RotaryTables& rope, ExpertBackend backend, std::int64_t layer);
  void reset_parameters(double init_std);
  // Where the routed rows go (model/token_dispatch.h); the single-device dispatcher by default.
  void set_token_dispatcher(std::shared_ptr<const TokenDispatcher> dispatcher) { dispatcher_ = std::move(dispatcher); }

  AttentionExperts experts{nullptr};
  BiasFreeLinear kv_proj{nullptr};

 private:
  std::int64_t num_kv_heads_;
  std::int64_t head_dim_;
  double z_loss_coef_;
  AttentionKernel attention_kernel_;
  std::shared_ptr<const TokenDispatcher> dispatcher_ = local_token_dispatcher();
};
TORCH_MODULE(MixtureOfAttention);

}  // namespace moe::model
