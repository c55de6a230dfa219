// The resolved trainer configuration: architecture (model::ModelConfig) plus the
// training, data and run settings. Built from flags by config::resolve_config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model/config.h"

namespace moe::config {

enum class DeviceChoice { kAuto, kCpu, kCuda };
enum class DecayForm { kExponential, kLinear, kCosine, kOneMinusSqrt };
enum class TokenDType { kUint16, kUint32 };

const char* to_string(DeviceChoice device);
const char* to_string(DecayForm form);
const char* to_string(TokenDType dtype);

// The training settings in sections, one per flag group (config/flag_table.cpp,
// `moetrain flags`): a field is named after its flag, less the section's name
// where the flag starts with it (--data-mix -> data.mix, --run-dir -> run.dir).
struct TrainingSection {  // flag group "training"
  // Reproducibility and placement.
  std::int64_t seed = 1234;
  bool deterministic = false;
  DeviceChoice device = DeviceChoice::kAuto;
  std::optional<std::int64_t> cpu_threads;  // nullopt = LibTorch's default

  // Batch geometry; tokens per optimizer step = micro_batch * accum * seq_len * ranks.
  std::int64_t micro_batch_size = 1;
  std::int64_t grad_accum_steps = 1;
  std::int64_t seq_len = 4096;

  // Length: exactly one of max_steps / train_tokens is non-zero.
  std::int64_t max_steps = 1000;
  std::int64_t train_tokens = 0;
};

struct ScheduleSection {  // flag group "schedule": WSD, linear warmup to lr, constant, then decay to min_lr
  double lr = 5e-4;
  double min_lr = 5e-5;
  std::int64_t warmup_steps = 0;
  std::int64_t warmup_tokens = 0;
  DecayForm decay_form = DecayForm::kExponential;
  std::int64_t decay_steps = 0;
  std::int64_t decay_tokens = 0;
  std::optional<std::int64_t> decay_start_steps;   // nullopt = end of training - decay length
  std::optional<std::int64_t> decay_start_tokens;  // nullopt = end of training - decay length
};

struct OptimizerSection {  // flag group "optimizer": AdamW and clipping
  double weight_decay = 0.1;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double adam_eps = 1e-8;
  double clip_grad = 1.0;        // 0 disables clipping
  bool decay_embeddings = true;  // weight decay on the (tied) embedding matrix
};

struct DataSection {                 // flag group "data"
  std::string source = "synthetic";  // --data: "synthetic" or a token file
  TokenDType token_dtype = TokenDType::kUint16;
  std::int64_t val_every = 0;
  std::int64_t val_tokens = 0;
  std::string val_data = "";                        // empty: synthetic validation split, or the tail of --data
  std::string mix = "";                             // "src=w,src=w"; replaces --data when set
  std::string mix_phase2 = "";                      // the mixture from the phase-2 start on
  std::optional<std::int64_t> phase2_start_steps;   // nullopt = the decay start
  std::optional<std::int64_t> phase2_start_tokens;  // nullopt = the decay start
};

struct RunSection {  // flag group "run": logging, checkpoints, recovery
  std::int64_t log_every = 10;
  std::int64_t router_stats_every = 100;
  std::int64_t checkpoint_every = 0;
  std::int64_t keep_checkpoints = 3;
  std::int64_t keep_every_tokens = 0;  // 0 = off; else keep the first checkpoint at or after each multiple
  bool keep_best_val = false;          // keep the checkpoint with the lowest validation loss at save
  std::string resume = "auto";
  std::string dir = "";  // --run-dir
  std::int64_t max_consecutive_nonfinite = 3;
  std::string id = "";            // --run-id
  double heartbeat_every = 10.0;  // seconds
  bool verify_checkpoints = true;
  std::string fork_from = "";          // checkpoint directory whose weights start this run
  bool fork_optimizer = false;         // with fork_from: also load the AdamW moments
  double peak_flops = 0;               // 0 = from the device table
  std::int64_t profile_from_step = 0;  // 0 = no profile; else the first profiled step
  std::int64_t profile_steps = 2;      // steps in the profiled window
  bool final_checkpoint = true;        // save a checkpoint at the end of training
  double collective_timeout = 600;     // seconds a rank waits for its peers in a collective
};

struct TrainConfig {
  TrainingSection training;
  ScheduleSection schedule;
  OptimizerSection optim;
  DataSection data;
  RunSection run;
};

struct RunConfig {
  model::ModelConfig model;
  TrainConfig train;
};

// Checks combinations that single-flag ranges cannot express (top-k <= experts,
// seq-len <= max-seq-len, ...). Throws ConfigError naming the flag to change.
void validate_combinations(const RunConfig& config);

}  // namespace moe::config
