// Training checkpoints as a whole (docs/checkpoints.md): what goes into one
// (the optimizer's fp32 weights and moments, trainer.pt, config.flags), writing
// it with retention, and starting a run from one: resume (everything) or fork
// (weights, optionally moments and the data position). The metrics records and
// log lines about it are the caller's (train/reporter.h).
#pragma once

#include <ATen/core/ivalue.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "checkpoint/retention.h"
#include "checkpoint/trainer_state.h"
#include "config/flags.h"
#include "data/loader.h"
#include "optim/adamw.h"
#include "optim/schedule.h"

namespace moe::checkpoint {

// Generator states belong to the device (train/device.h): the caller captures
// them into WriterFacts when saving and says how to restore them from trainer.pt.
using RestoreGenerators = std::function<void(const c10::impl::GenericDict& trainer_state)>;

// How this run starts from checkpoints: the --resume, --fork-from and
// --fork-optimizer flags and what a restored state is compared with.
struct StartRequest {
  std::string resume = "auto";  // auto | none | a checkpoint directory
  std::string fork_from;        // empty: no fork
  bool fork_optimizer = false;
  std::int64_t seq_len = 0;  // this run's --seq-len
  std::string data_source;   // this run's data description (data::DataSetup::describe)
  std::int64_t max_consecutive_nonfinite = 3;
  const config::FlagSet* flags = nullptr;  // this run's flags, for the "flags changed" warning
};

struct ForkInfo {
  std::string checkpoint;
  std::int64_t step = 0;
  bool optimizer = false;
  bool data_position = false;
};

// Where a run starts. Weights, moments, the data position and the generators
// are already restored into the live objects.
struct StartPoint {
  TrainState state;                                             // zero on a fresh start or a fork
  std::optional<std::pair<std::int64_t, std::string>> resumed;  // step, checkpoint path
  std::optional<ForkInfo> fork;
  // Events to report once the metrics header is out: (kind, message), in order.
  std::vector<std::pair<std::string, std::string>> events;
};

// One save: the directory written and what retention decided. The deletions
// are applied by remove_deleted() once the save has been reported.
struct SaveResult {
  Written written;
  RetentionPlan plan;
};

class Checkpointer {
 public:
  // `checkpoints_dir`: <run-dir>/checkpoints. `verify`: check SHA-1s before loading.
  Checkpointer(std::string checkpoints_dir, bool verify, RetentionPolicy retention, optim::AdamW& optimizer,
               data::DataLoader& loader, RestoreGenerators restore_generators);

  const std::string& dir() const { return dir_; }

  // Removes the leftovers of interrupted writes, then resumes (--resume auto:
  // the newest complete checkpoint that loads, falling back to older ones) or
  // forks. Throws std::runtime_error when checkpoints exist but none loads.
  StartPoint start(const StartRequest& request);

  // Writes the checkpoint of `saved` (taken at `saved.train.step`) and plans retention.
  SaveResult save(const SavedState& saved, const optim::WsdSchedule& schedule, const WriterFacts& writer,
                  const std::string& config_flags);
  // Removes what `result.plan` deletes; returns the names removed.
  std::vector<std::string> remove_deleted(const SaveResult& result);

  // The state to save now: the loader's position and the optimizer's update count with `train`.
  SavedState snapshot(const TrainState& train, const std::string& data_source, std::int64_t seq_len) const;

 private:
  // Loads weights (and with `full` moments, state, data position, generators) from `loaded`.
  void restore(const Loaded& loaded, bool full, const StartRequest& request, StartPoint& start);

  std::string dir_;
  bool verify_;
  RetentionPolicy retention_;
  optim::AdamW& optimizer_;
  data::DataLoader& loader_;
  RestoreGenerators restore_generators_;
};

}  // namespace moe::checkpoint
