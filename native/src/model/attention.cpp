// Causal attention over shared keys and values: blocked matmuls or fused SDPA.
#include "model/attention.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <limits>
#include <vector>

namespace moe::model {

std::int64_t blocked_attention_saved_bytes(std::int64_t batch, std::int64_t heads, std::int64_t slots,
                                           std::int64_t seq_len, std::int64_t block) {
  std::int64_t keys = 0;  // sum over blocks of rows-per-position x keys seen
  for (std::int64_t start = 0; start < seq_len; start += block) {
    const std::int64_t end = std::min(seq_len, start + block);
    keys += (end - start) * end;
  }
  return 4 * batch * heads * slots * keys;
}

AttentionKernel resolve_attention_kernel(AttentionKernel requested, const at::Device& device, at::ScalarType dtype,
                                         std::int64_t batch, std::int64_t seq_len, std::int64_t heads,
                                         std::int64_t slots) {
  if (requested != AttentionKernel::kAuto) return requested;
  if (!device.is_cpu() || dtype != at::kFloat) return AttentionKernel::kSdpa;
  const std::int64_t bytes = blocked_attention_saved_bytes(batch, heads, slots, seq_len);
  return bytes <= kBlockedAttentionBudget ? AttentionKernel::kBlocked : AttentionKernel::kSdpa;
}

AttentionKernel resolve_attention_kernel(AttentionKernel requested, const at::Tensor& x, std::int64_t heads,
                                         std::int64_t slots) {
  return resolve_attention_kernel(requested, x.device(), x.scalar_type(), x.size(0), x.size(1), heads, slots);
}

namespace {

// Additive mask [k*rows, end] for the query rows of positions [start, end): row r is position
// start + r / k and sees keys 0..start + r / k.
at::Tensor block_mask(std::int64_t start, std::int64_t end, std::int64_t slots, const at::TensorOptions& options) {
  const auto i64 = at::TensorOptions().dtype(at::kLong).device(options.device());
  const at::Tensor pos = at::arange(start, end, i64).repeat_interleave(slots).unsqueeze(1);  // [k*rows, 1]
  const at::Tensor keys = at::arange(end, i64).unsqueeze(0);                                 // [1, end]
  return at::zeros({(end - start) * slots, end}, options)
      .masked_fill_(keys.gt(pos), -std::numeric_limits<double>::infinity());
}

}  // namespace

at::Tensor blocked_causal_attention(const at::Tensor& q, const at::Tensor& key, const at::Tensor& value, double scale,
                                    std::int64_t block) {
  TORCH_CHECK(q.dim() == 5 && key.dim() == 4 && value.sizes() == key.sizes(),
              "blocked_causal_attention: q must be [B, T, k, G, D] and key/value [B, G, T, D]");
  const std::int64_t B = q.size(0), T = q.size(1), k = q.size(2), G = q.size(3), D = q.size(4);
  TORCH_CHECK(key.size(0) == B && key.size(1) == G && key.size(2) == T && key.size(3) == D,
              "blocked_causal_attention: key shape ", key.sizes(), " does not match q ", q.sizes());
  TORCH_CHECK(block >= 1, "blocked_causal_attention: block must be positive");
  // Per KV head, its k query heads' rows position-major ([t, s]), so a block of positions is a
  // contiguous run of k*rows query rows.
  const at::Tensor qh = q.permute({0, 3, 1, 2, 4}).contiguous();  // [B, G, T, k, D]
  const at::Tensor kc = key.contiguous(), vc = value.contiguous();
  std::vector<at::Tensor> outputs;
  for (std::int64_t start = 0; start < T; start += block) {
    const std::int64_t end = std::min(T, start + block), rows = (end - start) * k;
    const at::Tensor qb = qh.narrow(2, start, end - start).reshape({B * G, rows, D});  // [BG, k*rows, D]
    const at::Tensor kb = kc.narrow(2, 0, end).reshape({B * G, end, D});               // [BG, end, D]
    const at::Tensor vb = vc.narrow(2, 0, end).reshape({B * G, end, D});               // [BG, end, D]
    const at::Tensor scores = at::baddbmm(block_mask(start, end, k, q.options()), qb, kb.transpose(1, 2),
                                          /*beta=*/1.0, /*alpha=*/scale);  // [BG, k*rows, end]
    outputs.push_back(at::bmm(at::softmax(scores, -1), vb));               // [BG, k*rows, D]
  }
  return at::cat(outputs, 1).view({B, G, T, k, D}).permute({0, 2, 3, 1, 4});  // [B, T, k, G, D]
}

at::Tensor sdpa_causal_attention(const at::Tensor& q, const at::Tensor& key, const at::Tensor& value, double scale) {
  const std::int64_t B = q.size(0), T = q.size(1), k = q.size(2), G = q.size(3), D = q.size(4);
  const at::Tensor heads = q.reshape({B, T, k * G, D}).transpose(1, 2);  // [B, kG, T, D], head s*G + h
  const at::Tensor attn = at::scaled_dot_product_attention(heads, key.repeat({1, k, 1, 1}), value.repeat({1, k, 1, 1}),
                                                           /*attn_mask=*/{}, /*dropout_p=*/0.0, /*is_causal=*/true,
                                                           scale);  // [B, kG, T, D]
  return attn.transpose(1, 2).view({B, T, k, G, D});
}

}  // namespace moe::model
