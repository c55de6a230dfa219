// Top-k router of JetMoE (JetMoeTopKGating), the per-router training loss
// (Switch balance loss + z-loss, docs/model.md, Routing and losses) and router statistics.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "model/linear.h"

namespace moe::model {

// One routing decision for N tokens, plus the expert-sorted dispatch order.
// A "pair" is one (token t, slot s) choice, numbered p = t*k + s.
struct Routing {
  at::Tensor logits;         // [N, E] fp32 raw router logits (matmul in model dtype, then upcast)
  at::Tensor expert_ids;     // [N, k] int64 top-k experts of the raw logits, best first
  at::Tensor gates;          // [N, k] model dtype, softmax over the k selected logits
  at::Tensor sorted_pairs;   // [N*k] int64 pair ids ordered by expert (stable)
  at::Tensor pair_rows;      // [N*k] int64 inverse of sorted_pairs: pair p sits at sorted row pair_rows[p]
  at::Tensor sorted_tokens;  // [N*k] int64 token of each sorted row: sorted_pairs / k
  at::Tensor counts;         // [E] int64 pairs per expert
  at::Tensor group_ends;     // [E] int32 cumulative counts: expert e owns sorted rows [ends[e-1], ends[e])
};

// Parameter: "layer.weight" [E, H].
class TopKRouterImpl : public torch::nn::Module {
 public:
  TopKRouterImpl(std::int64_t hidden_size, std::int64_t num_experts, std::int64_t top_k);
  // x: [N, H]
  Routing forward(const at::Tensor& x);
  void reset_parameters(double init_std);

  std::int64_t num_experts() const { return num_experts_; }
  std::int64_t top_k() const { return top_k_; }

  BiasFreeLinear layer{nullptr};

 private:
  std::int64_t num_experts_;
  std::int64_t top_k_;
};
TORCH_MODULE(TopKRouter);

enum class RouterKind { kAttention, kMlp };
const char* to_string(RouterKind kind);

// Per-router statistics for one forward pass; tensors live on the model's
// device and are detached (read them when logging, not every step).
struct RouterStats {
  std::int64_t layer = 0;
  RouterKind kind = RouterKind::kMlp;
  at::Tensor counts;        // [E] int64 assignments per expert over all k slots
  at::Tensor expert_ids;    // [N, k] int64 chosen experts per token (for per-domain loads)
  at::Tensor fractions;     // [E] fp32 counts / (N*k)
  at::Tensor importance;    // [E] fp32 mean over tokens of softmax(logits) over all E
  at::Tensor balance_loss;  // [] fp32 E * sum_i P_i f_i
  at::Tensor z_loss;        // [] fp32 mean_t logsumexp(logits_t)^2
};

struct RouterLoss {
  at::Tensor loss;  // [] fp32, differentiable: balance + z_coef * z
  RouterStats stats;
};

// The original JetMoE router loss: P = softmax over all E summed over tokens and
// L1-normalised; f = assignment counts over all k slots, L1-normalised;
// balance = E * sum_i P_i f_i; z = mean_t logsumexp(logits_t)^2.
RouterLoss compute_router_loss(const Routing& routing, double z_loss_coef, std::int64_t layer, RouterKind kind);

// Host-side summary of one router's load for logging (synchronises the device).
struct RouterSummary {
  double max_over_mean = 0;       // max_i counts_i / mean counts (1 = perfectly balanced)
  double coeff_of_variation = 0;  // population std / mean of counts
  double entropy = 0;             // -sum f_i ln f_i over the fractions, nats
  double normalized_entropy = 0;  // entropy / ln E (1 = uniform; 1 when E = 1)
  std::int64_t dead_experts = 0;  // experts that received no tokens
};
RouterSummary summarize_router_stats(const RouterStats& stats);

}  // namespace moe::model
