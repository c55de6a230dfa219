// The warmup-stable-decay (WSD) learning-rate schedule: linear warmup from
// --min-lr to --lr, a constant stable phase, then a decay back to --min-lr in one
// of four shapes. Resolved once into optimizer steps, so `train` and `plan` use
// exactly the same function. LibTorch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/run_config.h"

namespace moe::optim {

// Training length in optimizer steps and tokens for a given world size.
struct RunLength {
  std::int64_t tokens_per_step = 0;  // micro_batch * accum * seq_len * world_size
  std::int64_t total_steps = 0;      // --max-steps, or ceil(--train-tokens / tokens_per_step)
  std::int64_t total_tokens = 0;     // total_steps * tokens_per_step
};

// Throws config::ConfigError when the length does not resolve to at least one step.
RunLength resolve_run_length(const config::TrainConfig& train, std::int64_t world_size);

// All lengths in steps; the step s of lr_at is the 1-based optimizer step about to run.
struct WsdSchedule {
  double peak_lr = 0;
  double min_lr = 0;
  std::int64_t warmup_steps = 0;  // W: steps 1..W ramp linearly, lr(W) = peak
  std::int64_t decay_start = 0;   // S: steps S+1..S+D decay, lr(S+D) = min_lr
  std::int64_t decay_steps = 0;   // D: 0 = no decay
  config::DecayForm form = config::DecayForm::kExponential;

  // lr(s) = min + (peak-min)*s/W                for s <= W (W > 0)
  //       = peak                                for W < s <= S, or D = 0
  //       = decay(p), p = min(1, (s-S)/D)       for s > S
  // decay(p): exponential peak*(min/peak)^p; linear min+(peak-min)(1-p);
  //           cosine min+(peak-min)(1+cos(pi p))/2; 1-sqrt min+(peak-min)(1-sqrt(p)).
  double lr_at(std::int64_t step) const;
  // True when the decay ends after the last step (training stops mid-decay).
  bool decay_unfinished(std::int64_t total_steps) const {
    return decay_steps > 0 && decay_start + decay_steps > total_steps;
  }
};

// Converts token-denominated lengths with ceil(tokens / tokens_per_step) and
// checks the combination (warmup before decay start). Throws config::ConfigError
// naming the flag to change.
WsdSchedule resolve_schedule(const config::TrainConfig& train, const RunLength& length);

// `points` steps spread evenly over [1, total_steps] plus the schedule's
// breakpoints (W, S, S+D), sorted and unique; every step when total <= points.
std::vector<std::int64_t> curve_steps(const WsdSchedule& schedule, std::int64_t total_steps, std::int64_t points);

// The last step of data phase 1 when --data-mix-phase2 is set (steps after it
// read the phase-2 mixture), else nullopt: --phase2-start-steps, or
// ceil(--phase2-start-tokens / tokens per step), or the decay start. Throws
// ConfigError when it lies after the last step, or when it defaults to a decay
// the run does not have.
std::optional<std::int64_t> resolve_phase2_start(const config::TrainConfig& train, const RunLength& length,
                                                 const WsdSchedule& schedule);

}  // namespace moe::optim
