// `moetrain train`: the training run in a run directory (docs/run-directory.md,
// docs/metrics-schema.md, docs/checkpoints.md). LibTorch-free header.
#pragma once

#include <ostream>

#include "config/flags.h"

namespace moe::train {

inline constexpr int kExitNonfinite = 3;

// Runs training and returns the exit code: 0 when the planned steps are done
// or a stop signal was honoured after writing a checkpoint, 3 after
// --max-consecutive-nonfinite non-finite steps in a row. Throws
// config::ConfigError for bad flags, paths or combinations before anything is
// written (exit 2), and std::runtime_error for failures (exit 1; a `failed`
// status record is appended when the metrics stream is already open).
// Progress lines go to `log`.
int run_training(const config::ResolvedConfig& resolved, std::ostream& log);

}  // namespace moe::train
