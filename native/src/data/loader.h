// The training data loader: turns a SequenceSource into micro-batches in a
// deterministic order that depends only on (seed, position).
//
// Position: `cursor` counts sequences consumed over all ranks. A micro-batch
// takes world_size * micro_batch sequences; rank r reads rows
// [cursor + r*B, cursor + (r+1)*B), so ranks never read the same sequence and
// the cursor (saved in checkpoints) means the same thing for any world size.
// Finite sources are read in a fresh keyed permutation every epoch
// (epoch = global index / size); unbounded ones by index. LibTorch-free.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/sequence_source.h"

namespace moe::data {

struct MicroBatch {
  std::int64_t rows = 0;
  std::int64_t seq_len = 0;
  std::vector<std::int64_t> tokens;  // [rows, seq_len] row-major
  std::vector<int> domains;          // [rows] domain index or -1
};

// What a checkpoint stores about the data position.
struct LoaderState {
  std::int64_t cursor = 0;  // sequences consumed over all ranks
};

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const SequenceSource> source, std::int64_t micro_batch, std::int64_t rank,
             std::int64_t world_size, std::uint64_t seed);

  // This rank's rows of the next global micro-batch; advances the cursor by
  // world_size * micro_batch.
  MicroBatch next();

  LoaderState state() const { return {cursor_}; }
  void restore(const LoaderState& state) { cursor_ = state.cursor; }

  // Source index of global sequence number g (the shuffled order).
  std::int64_t source_index(std::int64_t g) const;
  const SequenceSource& source() const { return *source_; }

 private:
  std::shared_ptr<const SequenceSource> source_;
  std::int64_t micro_batch_;
  std::int64_t rank_;
  std::int64_t world_size_;
  std::uint64_t seed_;
  std::int64_t cursor_ = 0;
};

// Reads sequences [first, first + count) of `source` in index order (validation).
MicroBatch read_sequences(const SequenceSource& source, std::int64_t first, std::int64_t count);

}  // namespace moe::data
