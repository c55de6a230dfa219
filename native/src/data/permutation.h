// A keyed pseudo-random permutation of [0, n) computed per index (a 4-round
// Feistel network over the next power of four, with cycle walking), so a
// shuffled epoch over billions of samples needs no memory and no state.
#pragma once

#include <cstdint>

namespace moe::data {

class KeyedPermutation {
 public:
  KeyedPermutation(std::uint64_t n, std::uint64_t key);
  // The image of i, for i < n; a bijection on [0, n).
  std::uint64_t operator()(std::uint64_t i) const;
  std::uint64_t size() const { return n_; }

 private:
  std::uint64_t encrypt(std::uint64_t x) const;

  std::uint64_t n_;
  int half_bits_ = 0;
  std::uint64_t mask_ = 0;
  std::uint64_t keys_[4] = {};
};

}  // namespace moe::data
