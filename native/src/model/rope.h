// Rotary position embeddings, GPT-NeoX "rotate_half" style over the full head
// dimension (docs/model.md, Rotary embeddings).
#pragma once

#include <ATen/core/Tensor.h>

namespace moe::model {

struct RotaryTables {
  at::Tensor cos;  // [T, D], model dtype
  at::Tensor sin;  // [T, D], model dtype
};

// inv_freq = theta^(-arange(0, D, 2) / D); angles = pos x inv_freq, duplicated
// to [T, D] as cat(freqs, freqs); computed in fp32 and cast to `dtype`.
RotaryTables make_rotary_tables(std::int64_t seq_len, std::int64_t head_dim, double theta, at::Device device,
                                at::ScalarType dtype);

// x: [..., T, ..., D] with tables broadcastable to it (e.g. [T, D] for [B, heads, T, D], [T, 1, 1, D]
// for [B, T, k, G, D]) -> x*cos + rotate_half(x)*sin, rotate_half(x) = cat(-x[D/2:], x[:D/2]).
at::Tensor apply_rotary(const at::Tensor& x, const RotaryTables& tables);

}  // namespace moe::model
