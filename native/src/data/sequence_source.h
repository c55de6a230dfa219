// The data interface of the trainer: a source of fixed-length token sequences
// addressed by index, each tagged with the domain it came from (or -1). Loaders
// decide the order; sources only answer "what is sequence i". Weighted mixtures
// of several sources (and the Megatron .bin/.idx format) are further
// implementations of this interface. LibTorch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moe::data {

inline constexpr int kUnknownDomain = -1;

class SequenceSource {
 public:
  virtual ~SequenceSource() = default;
  // Number of distinct sequences; 0 means unbounded (generated on demand).
  virtual std::int64_t size() const = 0;
  virtual std::int64_t seq_len() const = 0;
  // Writes sequence `index` (any index >= 0 when unbounded, else < size()) into
  // out[0, seq_len) and returns its domain (an index into domains()) or -1.
  // Throws std::runtime_error on bad data (I/O, token ids out of range).
  virtual int read(std::int64_t index, std::int64_t* out) const = 0;
  // Names of the domains read() can return; empty when unknown.
  virtual const std::vector<std::string>& domains() const = 0;
  // One line for logs and metrics: "synthetic (train split)", "tokens.bin windows 0..9999".
  virtual std::string describe() const = 0;
};

}  // namespace moe::data
