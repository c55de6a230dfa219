// The training data loader: turns one source, or a weighted mixture of sources
// in one or two phases, into micro-batches in an order that depends only on
// (seed, position).
//
// Position: `cursor` counts sequences consumed over all ranks. A micro-batch
// takes world_size * micro_batch sequences; rank r reads rows
// [cursor + r*B, cursor + (r+1)*B), so ranks never read the same sequence and
// the cursor (saved in checkpoints) means the same thing for any world size.
//
// Mixtures: global sequence g is drawn from a source chosen by a counter-based
// draw keyed by (seed, phase, g), so the choice needs no generator state. Each
// source keeps its own cursor (sequences of it consumed so far, all ranks); the
// j-th sequence taken from a source is its j-th in its own shuffled order. The
// choices of a whole global micro-batch are made on every rank, so per-source
// cursors stay identical across ranks. Source cursors are kept by source name
// across phases: a source in both phases continues where it was.
//
// Finite sources are read in a fresh keyed permutation every epoch
// (epoch = index / size); unbounded ones by index. LibTorch-free.
#pragma once

#include <cstdint>
#include <map>
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
  std::vector<int> sources;          // [rows] index into DataLoader::source_names() (empty for read_sequences)
};

// One source of a mixture phase.
struct MixSource {
  std::string name;  // "synthetic:copy", a path, or --data's value
  std::shared_ptr<const SequenceSource> source;
  double weight = 1;       // normalised within the phase
  std::uint64_t salt = 0;  // keys this source's epoch permutations
};
using MixPhase = std::vector<MixSource>;

// What a checkpoint stores about the data position.
struct LoaderState {
  std::int64_t cursor = 0;                      // sequences consumed over all ranks
  std::map<std::string, std::int64_t> sources;  // sequences consumed per source name
};

class DataLoader {
 public:
  // One source for the whole run (its cursor is the global cursor).
  DataLoader(std::shared_ptr<const SequenceSource> source, std::int64_t micro_batch, std::int64_t rank,
             std::int64_t world_size, std::uint64_t seed);
  // One or more phases (switched with set_phase); every phase's sources have the same seq_len.
  DataLoader(std::vector<MixPhase> phases, std::int64_t micro_batch, std::int64_t rank, std::int64_t world_size,
             std::uint64_t seed);

  // This rank's rows of the next global micro-batch; advances the cursor by
  // world_size * micro_batch.
  MicroBatch next();

  void set_phase(std::size_t phase);
  std::size_t phase() const { return phase_; }
  std::size_t num_phases() const { return phases_.size(); }

  LoaderState state() const;
  // Restores a saved position. A state without per-source cursors (an older
  // checkpoint) gives a single-source first phase the global cursor.
  void restore(const LoaderState& state);

  // Source index of global sequence number g for a single-source loader (the shuffled order).
  std::int64_t source_index(std::int64_t g) const;
  const SequenceSource& source() const { return *phases_[0][0].source; }
  // Every source of every phase, in order of first appearance (MicroBatch::sources indexes this).
  const std::vector<std::string>& source_names() const { return names_; }

 private:
  std::size_t choose(std::int64_t g) const;  // index into the current phase

  std::vector<MixPhase> phases_;
  std::vector<std::string> names_;
  std::vector<std::vector<int>> name_index_;  // [phase][component] -> index into names_
  std::int64_t micro_batch_;
  std::int64_t rank_;
  std::int64_t world_size_;
  std::uint64_t seed_;
  std::size_t phase_ = 0;
  std::int64_t cursor_ = 0;
  std::vector<std::int64_t> source_cursors_;  // parallel to names_
};

// The index within `source` of its j-th sequence: j for unbounded sources,
// else position j % n of the permutation of epoch j / n keyed by (seed, salt).
std::int64_t shuffled_index(const SequenceSource& source, std::uint64_t seed, std::uint64_t salt, std::int64_t j);

// Reads sequences [first, first + count) of `source` in index order (validation).
MicroBatch read_sequences(const SequenceSource& source, std::int64_t first, std::int64_t count);

}  // namespace moe::data
