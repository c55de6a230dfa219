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

struct TrainConfig {
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

  // WSD schedule: linear warmup to lr, constant, then decay to min_lr.
  double lr = 5e-4;
  double min_lr = 5e-5;
  std::int64_t warmup_steps = 0;
  std::int64_t warmup_tokens = 0;
  DecayForm decay_form = DecayForm::kExponential;
  std::int64_t decay_steps = 0;
  std::int64_t decay_tokens = 0;
  std::optional<std::int64_t> decay_start_steps;   // nullopt = end of training - decay length
  std::optional<std::int64_t> decay_start_tokens;  // nullopt = end of training - decay length

  // AdamW and clipping.
  double weight_decay = 0.1;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double adam_eps = 1e-8;
  double clip_grad = 1.0;        // 0 disables clipping
  bool decay_embeddings = true;  // weight decay on the (tied) embedding matrix

  // Data.
  std::string data = "synthetic";
  TokenDType token_dtype = TokenDType::kUint16;
  std::int64_t val_every = 0;
  std::int64_t val_tokens = 0;
  std::string val_data = "";                        // empty: synthetic validation split, or the tail of --data
  std::string data_mix = "";                        // "src=w,src=w"; replaces --data when set
  std::string data_mix_phase2 = "";                 // the mixture from the phase-2 start on
  std::optional<std::int64_t> phase2_start_steps;   // nullopt = the decay start
  std::optional<std::int64_t> phase2_start_tokens;  // nullopt = the decay start

  // Logging, checkpoints, recovery.
  std::int64_t log_every = 10;
  std::int64_t router_stats_every = 100;
  std::int64_t checkpoint_every = 0;
  std::int64_t keep_checkpoints = 3;
  std::int64_t keep_every_tokens = 0;  // 0 = off; else keep the first checkpoint at or after each multiple
  bool keep_best_val = false;          // keep the checkpoint with the lowest validation loss at save
  std::string resume = "auto";
  std::string run_dir = "";
  std::int64_t max_consecutive_nonfinite = 3;
  std::string run_id = "";
  double heartbeat_every = 10.0;  // seconds
  bool verify_checkpoints = true;
  std::string fork_from = "";   // checkpoint directory whose weights start this run
  bool fork_optimizer = false;  // with fork_from: also load the AdamW moments
  double peak_flops = 0;        // 0 = from the device table
};

struct RunConfig {
  model::ModelConfig model;
  TrainConfig train;
};

// Checks combinations that single-flag ranges cannot express (top-k <= experts,
// seq-len <= max-seq-len, ...). Throws ConfigError naming the flag to change.
void validate_combinations(const RunConfig& config);

}  // namespace moe::config
