// Causal attention of the MoA query heads over the shared keys and values, two ways:
// PyTorch's fused scaled_dot_product_attention over K/V tiled across the k slots, or a
// blocked kernel that uses the sharing directly (faster for float32 on the CPU).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "model/config.h"

namespace moe::model {

// Rows of queries per block of the blocked kernel (each block attends to the keys up to its end).
inline constexpr std::int64_t kAttentionBlock = 128;

// Bytes the blocked kernel keeps for the backward (its softmax probabilities) per attention call:
// B*G*k query rows per position, each over the keys up to the end of its block, 4 bytes each.
std::int64_t blocked_attention_saved_bytes(std::int64_t batch, std::int64_t heads, std::int64_t slots,
                                           std::int64_t seq_len, std::int64_t block = kAttentionBlock);

// Largest blocked_attention_saved_bytes that `auto` accepts (per layer); longer sequences use SDPA,
// whose memory grows linearly with the sequence.
inline constexpr std::int64_t kBlockedAttentionBudget = std::int64_t{256} << 20;

// The kernel `requested` resolves to: auto = blocked for float32 on the CPU within the memory
// budget, SDPA otherwise (CUDA, bfloat16, long sequences).
AttentionKernel resolve_attention_kernel(AttentionKernel requested, const at::Device& device, at::ScalarType dtype,
                                         std::int64_t batch, std::int64_t seq_len, std::int64_t heads,
                                         std::int64_t slots);
// The same for the activations x: [B, T, H].
AttentionKernel resolve_attention_kernel(AttentionKernel requested, const at::Tensor& x, std::int64_t heads,
                                         std::int64_t slots);

// q: [B, T, k, G, D] (the query of slot s for KV head h at [b, t, s, h]); key, value: [B, G, T, D].
// Query (t, s) attends to keys 0..t. Returns [B, T, k, G, D] (a view; reshape copies as needed).
// Per block of `block` positions: one batched matmul of its k*block query rows against the keys up to
// the block's end, an additive causal mask, softmax, one batched matmul with the values.
at::Tensor blocked_causal_attention(const at::Tensor& q, const at::Tensor& key, const at::Tensor& value, double scale,
                                    std::int64_t block = kAttentionBlock);

// The same through at::scaled_dot_product_attention (is_causal) with slot-major query heads s*G + h
// and K/V tiled over the k slots (head s*G + h uses KV head h). Same shapes as blocked_causal_attention.
at::Tensor sdpa_causal_attention(const at::Tensor& q, const at::Tensor& key, const at::Tensor& value, double scale);

}  // namespace moe::model
