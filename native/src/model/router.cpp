// Top-k routing, dispatch order, router loss and load statistics.
#include "model/router.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <cmath>

namespace moe::model {

TopKRouterImpl::TopKRouterImpl(std::int64_t hidden_size, std::int64_t num_experts, std::int64_t top_k)
    : num_experts_(num_experts), top_k_(top_k) {
  TORCH_CHECK(top_k >= 1 && top_k <= num_experts, "router: top_k must be in [1, num_experts]");
  layer = register_module("layer", BiasFreeLinear(hidden_size, num_experts));
}

void TopKRouterImpl::reset_parameters(double init_std) {
  layer->reset_parameters(init_std);
}

Routing TopKRouterImpl::forward(const at::Tensor& x) {
  Routing r;
  // The matmul runs in the model dtype and is upcast afterwards, as in the
  // reference; computing it in fp32 could flip near-tied choices in bf16.
  r.logits = layer->forward(x).to(at::kFloat);                       // [N, E]
  auto [top_logits, expert_ids] = r.logits.topk(top_k_, /*dim=*/1);  // [N, k] each
  r.expert_ids = expert_ids;
  r.gates = at::softmax(top_logits, /*dim=*/1).to(x.scalar_type());  // [N, k]

  const at::Tensor flat_ids = expert_ids.reshape({-1});  // [N*k], pair p = t*k + s
  r.sorted_pairs =
      std::get<1>(at::sort(flat_ids, /*stable=*/std::optional<bool>(true), /*dim=*/0, /*descending=*/false));
  r.pair_rows =
      at::empty_like(r.sorted_pairs).scatter_(0, r.sorted_pairs, at::arange(flat_ids.numel(), flat_ids.options()));
  r.sorted_tokens = r.sorted_pairs.div(top_k_, "floor");
  r.counts = at::bincount(flat_ids, /*weights=*/{}, num_experts_);  // [E]
  r.group_ends = r.counts.cumsum(0).to(at::kInt);                   // [E]
  return r;
}

const char* to_string(RouterKind kind) {
  return kind == RouterKind::kAttention ? "attention" : "mlp";
}

RouterLoss compute_router_loss(const Routing& r, double z_loss_coef, std::int64_t layer, RouterKind kind) {
  const std::int64_t num_experts = r.logits.size(1);
  const at::Tensor probs = at::softmax(r.logits, /*dim=*/-1);  // [N, E] fp32
  at::Tensor importance = probs.sum(0);                        // [E]
  importance = importance / importance.sum();                  // L1-normalised P
  const at::Tensor counts_f = r.counts.to(at::kFloat);         // [E]
  const at::Tensor fractions = counts_f / counts_f.sum();      // f, sums to 1
  const at::Tensor balance = static_cast<double>(num_experts) * (importance * fractions).sum();
  const at::Tensor z = at::logsumexp(r.logits, /*dim=*/-1).pow(2).mean();

  RouterLoss out;
  out.loss = balance + z_loss_coef * z;
  out.stats.layer = layer;
  out.stats.kind = kind;
  out.stats.counts = r.counts.detach();
  out.stats.expert_ids = r.expert_ids.detach();
  out.stats.fractions = fractions.detach();
  out.stats.importance = importance.detach();
  out.stats.balance_loss = balance.detach();
  out.stats.z_loss = z.detach();
  return out;
}

RouterSummary summarize_router_stats(const RouterStats& stats) {
  const at::Tensor counts = stats.counts.to(at::kCPU, at::kDouble).contiguous();
  const double* c = counts.data_ptr<double>();
  const std::int64_t n = counts.numel();
  double total = 0, max_count = 0;
  RouterSummary s;
  for (std::int64_t i = 0; i < n; ++i) {
    total += c[i];
    max_count = std::max(max_count, c[i]);
    if (c[i] == 0) ++s.dead_experts;
  }
  if (n == 0 || total == 0) return s;
  const double mean = total / static_cast<double>(n);
  double var = 0, entropy = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    var += (c[i] - mean) * (c[i] - mean);
    const double f = c[i] / total;
    if (f > 0) entropy -= f * std::log(f);
  }
  var /= static_cast<double>(n);
  s.max_over_mean = max_count / mean;
  s.coeff_of_variation = std::sqrt(var) / mean;
  s.entropy = entropy;
  s.normalized_entropy = n > 1 ? entropy / std::log(static_cast<double>(n)) : 1.0;
  return s;
}

}  // namespace moe::model
