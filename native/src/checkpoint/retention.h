// Which checkpoints retention keeps (docs/checkpoints.md, "Retention"):
//   newest       the newest --keep-checkpoints complete checkpoints by step, and
//                always the one just written
//   every_tokens with --keep-every-tokens=M: for each multiple k*M (k >= 1), the
//                first checkpoint whose token count is at or after it
//   best_val     with --keep-best-val: the checkpoint with the lowest validation
//                loss at save (ties: the earliest)
// Everything else that is complete is deleted. A pure function of the listing,
// so the rules are tested without a disk. LibTorch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace moe::checkpoint {

struct RetentionPolicy {
  std::int64_t keep_newest = 3;        // --keep-checkpoints (at least 1 is kept)
  std::int64_t keep_every_tokens = 0;  // 0 = off
  bool keep_best_val = false;
};

struct RetentionCandidate {
  std::string name;  // "step-00000400"
  std::int64_t step = 0;
  std::optional<std::int64_t> tokens;  // from the MANIFEST; unknown = not an every_tokens candidate
  std::optional<double> val_loss;      // validation loss at save; unknown = not a best_val candidate
};

struct RetentionPlan {
  struct Kept {
    std::string name;
    std::vector<std::string> reasons;  // "newest", "every_tokens", "best_val"
  };
  std::vector<Kept> kept;            // newest first
  std::vector<std::string> deleted;  // newest first
};

// `candidates`: the complete checkpoints (any order). `just_written`: the name of
// the checkpoint this save produced (always kept as "newest").
RetentionPlan plan_retention(std::vector<RetentionCandidate> candidates, const RetentionPolicy& policy,
                             const std::string& just_written);

}  // namespace moe::checkpoint
