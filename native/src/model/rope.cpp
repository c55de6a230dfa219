// Rotary embedding tables and their application to query/key heads.
#include "model/rope.h"

#include <ATen/ATen.h>

namespace moe::model {

RotaryTables make_rotary_tables(std::int64_t seq_len, std::int64_t head_dim, double theta, at::Device device,
                                at::ScalarType dtype) {
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  const at::Tensor exponent = at::arange(0, head_dim, 2, f32) / static_cast<double>(head_dim);  // [D/2]
  const at::Tensor inv_freq = at::pow(theta, exponent).reciprocal();                            // [D/2]
  const at::Tensor positions = at::arange(seq_len, f32);                                        // [T]
  const at::Tensor freqs = at::outer(positions, inv_freq);                                      // [T, D/2]
  const at::Tensor angles = at::cat({freqs, freqs}, -1);                                        // [T, D]
  return {angles.cos().to(dtype), angles.sin().to(dtype)};
}

at::Tensor apply_rotary(const at::Tensor& x, const RotaryTables& tables) {
  const std::int64_t half = x.size(-1) / 2;
  const at::Tensor x1 = x.narrow(-1, 0, half);        // [B, h, T, D/2]
  const at::Tensor x2 = x.narrow(-1, half, half);     // [B, h, T, D/2]
  const at::Tensor rotated = at::cat({-x2, x1}, -1);  // [B, h, T, D]
  return x * tables.cos + rotated * tables.sin;       // tables broadcast over [B, h]
}

}  // namespace moe::model
