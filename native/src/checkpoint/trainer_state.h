// The trainer's own state in a checkpoint (trainer.pt): step and token
// counters, non-finite counters, elapsed time, the data position, the
// optimizer's update count, the resolved schedule and the generator states.
#pragma once

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/flags.h"
#include "data/loader.h"
#include "optim/schedule.h"

namespace moe::checkpoint {

struct TrainState {
  std::int64_t step = 0;    // optimizer steps taken (skipped ones included)
  std::int64_t tokens = 0;  // training tokens consumed, all ranks
  std::int64_t nonfinite_total = 0;
  std::int64_t nonfinite_consecutive = 0;
  double elapsed = 0;  // seconds of training across attempts
  std::optional<double> last_val_loss;
};

struct SavedState {
  TrainState train;
  data::LoaderState loader;
  std::int64_t optimizer_step = 0;  // AdamW updates applied (bias correction)
  std::string data_source;          // description of the training source
  std::int64_t seq_len = 0;
  std::int64_t data_phase = 0;  // 0 or 1: the data phase of the last step
};

// What trainer.pt records about the process that wrote it.
struct WriterFacts {
  std::string run_id;
  std::int64_t attempt = 1;
  std::string param_dtype;  // "float32" or "bfloat16": what the weights were trained as
  std::string device;       // "cpu" or "cuda"
  std::vector<std::pair<std::string, at::Tensor>> generators;  // "rng.cpu", "rng.cuda.<i>" (train/device.h)
};

c10::impl::GenericDict make_trainer_state(const SavedState& saved, const optim::WsdSchedule& schedule,
                                          const WriterFacts& writer);

// Throws std::runtime_error when an entry is missing or mistyped.
SavedState read_trainer_state(const c10::impl::GenericDict& dict);

// Flags whose canonical values differ between a checkpoint's config.flags and
// `now`, as "--name: old -> new"; flags that only steer this process (run-id,
// resume, heartbeat, ...) are left out.
std::vector<std::string> config_differences(const std::string& checkpoint_flags, const config::FlagSet& now);

}  // namespace moe::checkpoint
