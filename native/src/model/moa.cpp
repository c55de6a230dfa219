// Mixture-of-Attention forward.
#include "model/moa.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <cmath>

#include "model/attention.h"

namespace moe::model {

AttentionExpertsImpl::AttentionExpertsImpl(const ModelConfig& c) {
  const std::int64_t H = c.hidden_size, A = c.attention_dim(), E = c.num_experts;
  bias = register_parameter("bias", at::zeros({H}));
  input_linear = register_module("input_linear", ParallelExperts(E, H, A));
  output_linear = register_module("output_linear", ParallelExperts(E, A, H));
  router = register_module("router", TopKRouter(H, E, c.top_k));
}

void AttentionExpertsImpl::reset_parameters(double init_std) {
  router->reset_parameters(init_std);
  input_linear->reset_parameters(init_std);
  output_linear->reset_parameters(init_std);
  torch::NoGradGuard no_grad;
  bias.zero_();
}

MixtureOfAttentionImpl::MixtureOfAttentionImpl(const ModelConfig& c)
    : num_kv_heads_(c.num_kv_heads),
      head_dim_(c.head_dim),
      z_loss_coef_(c.z_loss_coef),
      attention_kernel_(c.attention_kernel) {
  experts = register_module("experts", AttentionExperts(c));
  kv_proj = register_module("kv_proj", BiasFreeLinear(c.hidden_size, 2 * c.attention_dim()));
}

void MixtureOfAttentionImpl::reset_parameters(double init_std) {
  experts->reset_parameters(init_std);
  kv_proj->reset_parameters(init_std);
}

MixtureOutput MixtureOfAttentionImpl::forward(const at::Tensor& x, const RotaryTables& rope, ExpertBackend backend,
                                              std::int64_t layer) {
  const std::int64_t B = x.size(0), T = x.size(1), H = x.size(2), N = B * T;
  const std::int64_t G = num_kv_heads_, D = head_dim_, A = G * D;
  const at::Tensor flat = x.reshape({N, H});  // [N, H]

  const Routing routing = experts->router->forward(flat);
  const std::int64_t k = routing.expert_ids.size(1);
  const Dispatched d = dispatcher_->dispatch(flat, routing, backend);  // rows [N*k, H] expert order

  // Queries: one A-wide projection per (token, slot) by that slot's expert.
  const at::Tensor qs = experts->input_linear->forward(d.rows, d.groups);  // [N*k, A] expert order
  // Pair order t*k + s, so each token's k*A values are slot-major: [B, T, k, G, D].
  at::Tensor q = dispatcher_->to_pairs(qs, d).view({B, T, k, G, D});

  // Shared keys and values: first A output rows are K, the last A are V.
  const at::Tensor kv = kv_proj->forward(x);                                        // [B, T, 2A]
  at::Tensor key = kv.narrow(-1, 0, A).view({B, T, G, D}).transpose(1, 2);          // [B, G, T, D]
  const at::Tensor value = kv.narrow(-1, A, A).view({B, T, G, D}).transpose(1, 2);  // [B, G, T, D]

  q = apply_rotary(q, {rope.cos.view({T, 1, 1, D}), rope.sin.view({T, 1, 1, D})});
  key = apply_rotary(key, rope);

  // Query (t, s, h) attends with KV head h to positions <= t (slot-major heads s*G + h, K/V tiled).
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  const at::Tensor attn = resolve_attention_kernel(attention_kernel_, x, G, k) == AttentionKernel::kBlocked
                              ? blocked_causal_attention(q, key, value, scale)
                              : sdpa_causal_attention(q, key, value, scale);  // [B, T, k, G, D]

  // Back to (token, slot) rows of A values, then expert order for W_o.
  const at::Tensor o_pairs = attn.reshape({N * k, A});                  // [N*k, A] pair order
  const at::Tensor os = dispatcher_->to_experts(o_pairs, d);            // [N*k, A] expert order
  const at::Tensor ys = experts->output_linear->forward(os, d.groups);  // [N*k, H] expert order
  const at::Tensor out = dispatcher_->combine(ys, d) + experts->bias;   // [N, H] gated sum over the k slots

  MixtureOutput result;
  result.hidden = out.view({B, T, H});
  result.router = compute_router_loss(routing, z_loss_coef_, layer, RouterKind::kAttention);
  return result;
}

}  // namespace moe::model
