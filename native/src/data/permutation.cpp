// Feistel permutation with cycle walking.
#include "data/permutation.h"

#include "data/rng.h"

namespace moe::data {

KeyedPermutation::KeyedPermutation(std::uint64_t n, std::uint64_t key) : n_(n) {
  int bits = 0;
  while (bits < 64 && (std::uint64_t{1} << bits) < n) ++bits;
  half_bits_ = (bits + 1) / 2;
  mask_ = half_bits_ == 0 ? 0 : (std::uint64_t{1} << half_bits_) - 1;
  for (int r = 0; r < 4; ++r) keys_[r] = hash_combine(key, static_cast<std::uint64_t>(r) + 1);
}

std::uint64_t KeyedPermutation::encrypt(std::uint64_t x) const {
  std::uint64_t left = x >> half_bits_;
  std::uint64_t right = x & mask_;
  for (int r = 0; r < 4; ++r) {
    const std::uint64_t next_left = right;
    right = (left ^ hash_combine(keys_[r], right)) & mask_;
    left = next_left;
  }
  return (left << half_bits_) | right;
}

std::uint64_t KeyedPermutation::operator()(std::uint64_t i) const {
  if (n_ <= 1) return 0;
  // The Feistel network permutes [0, 4^h) with 4^h < 4n; walking the cycle
  // until it lands below n restricts it to a permutation of [0, n).
  std::uint64_t x = encrypt(i);
  while (x >= n_) x = encrypt(x);
  return x;
}

}  // namespace moe::data
