// WSD schedule resolution and evaluation.
#include "optim/schedule.h"

#include <algorithm>
#include <cmath>

#include "config/config_error.h"

namespace moe::optim {

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

std::string num(std::int64_t v) {
  return std::to_string(v);
}

}  // namespace

RunLength resolve_run_length(const config::TrainConfig& t, std::int64_t world_size) {
  RunLength r;
  r.tokens_per_step = t.training.micro_batch_size * t.training.grad_accum_steps * t.training.seq_len * world_size;
  if (t.training.max_steps > 0) {
    r.total_steps = t.training.max_steps;
  } else {
    r.total_steps = ceil_div(t.training.train_tokens, r.tokens_per_step);
  }
  if (r.total_steps < 1) {
    throw config::ConfigError("max-steps", "the run has no steps", "set --max-steps=N or --train-tokens=N");
  }
  r.total_tokens = r.total_steps * r.tokens_per_step;
  return r;
}

WsdSchedule resolve_schedule(const config::TrainConfig& t, const RunLength& length) {
  const std::int64_t tps = length.tokens_per_step;
  WsdSchedule s;
  s.peak_lr = t.schedule.lr;
  s.min_lr = t.schedule.min_lr;
  s.form = t.schedule.decay_form;
  s.warmup_steps = t.schedule.warmup_steps > 0 ? t.schedule.warmup_steps : ceil_div(t.schedule.warmup_tokens, tps);
  s.decay_steps = t.schedule.decay_steps > 0 ? t.schedule.decay_steps : ceil_div(t.schedule.decay_tokens, tps);
  const char* start_flag = "decay-start-steps";
  if (t.schedule.decay_start_steps) {
    s.decay_start = *t.schedule.decay_start_steps;
  } else if (t.schedule.decay_start_tokens) {
    s.decay_start = ceil_div(*t.schedule.decay_start_tokens, tps);
    start_flag = "decay-start-tokens";
  } else {
    s.decay_start = std::max<std::int64_t>(0, length.total_steps - s.decay_steps);
  }
  const char* warmup_flag = t.schedule.warmup_tokens > 0 ? "warmup-tokens" : "warmup-steps";
  if (s.warmup_steps > length.total_steps) {
    throw config::ConfigError(warmup_flag,
                              "warmup (" + num(s.warmup_steps) + " steps) is longer than the run (" +
                                  num(length.total_steps) + " steps of " + num(tps) + " tokens)",
                              "shorten the warmup or train longer");
  }
  if (s.decay_steps > 0 && s.decay_start < s.warmup_steps) {
    const bool auto_start = !t.schedule.decay_start_steps && !t.schedule.decay_start_tokens;
    throw config::ConfigError(
        auto_start ? (t.schedule.decay_tokens > 0 ? "decay-tokens" : "decay-steps") : start_flag,
        "the decay starts at step " + num(s.decay_start) + ", before warmup ends at step " + num(s.warmup_steps) +
            " (" + num(tps) + " tokens per step)",
        auto_start ? "shorten the warmup or the decay, or train longer" : "start the decay after warmup, or use auto");
  }
  if (s.decay_start > length.total_steps) {
    throw config::ConfigError(
        start_flag,
        "the decay starts at step " + num(s.decay_start) + ", after the last step " + num(length.total_steps),
        "start the decay before the end of training, or use auto");
  }
  return s;
}

double WsdSchedule::lr_at(std::int64_t step) const {
  const double span = peak_lr - min_lr;
  if (warmup_steps > 0 && step <= warmup_steps) {
    return min_lr + span * static_cast<double>(step) / static_cast<double>(warmup_steps);
  }
  if (decay_steps <= 0 || step <= decay_start) return peak_lr;
  const double p = std::min(1.0, static_cast<double>(step - decay_start) / static_cast<double>(decay_steps));
  switch (form) {
    case config::DecayForm::kExponential:
      if (peak_lr <= 0) return peak_lr;
      return peak_lr * std::pow(min_lr / peak_lr, p);
    case config::DecayForm::kLinear: return min_lr + span * (1.0 - p);
    case config::DecayForm::kCosine: return min_lr + span * 0.5 * (1.0 + std::cos(M_PI * p));
    case config::DecayForm::kOneMinusSqrt: return min_lr + span * (1.0 - std::sqrt(p));
  }
  return peak_lr;
}

std::vector<std::int64_t> curve_steps(const WsdSchedule& s, std::int64_t total, std::int64_t points) {
  std::vector<std::int64_t> steps;
  if (total <= points) {
    for (std::int64_t i = 1; i <= total; ++i) steps.push_back(i);
    return steps;
  }
  const std::int64_t n = std::max<std::int64_t>(2, points);
  for (std::int64_t i = 0; i < n; ++i) {
    const double pos = 1.0 + static_cast<double>(i) * static_cast<double>(total - 1) / static_cast<double>(n - 1);
    steps.push_back(static_cast<std::int64_t>(std::llround(pos)));
  }
  for (std::int64_t b : {s.warmup_steps, s.decay_start, s.decay_start + s.decay_steps}) {
    if (b >= 1 && b <= total) steps.push_back(b);
  }
  std::sort(steps.begin(), steps.end());
  steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  return steps;
}

std::optional<std::int64_t> resolve_phase2_start(const config::TrainConfig& t, const RunLength& length,
                                                 const WsdSchedule& schedule) {
  if (t.data.mix_phase2.empty()) return std::nullopt;
  std::int64_t start = 0;
  const char* flag = "phase2-start-steps";
  if (t.data.phase2_start_steps) {
    start = *t.data.phase2_start_steps;
  } else if (t.data.phase2_start_tokens) {
    start = ceil_div(*t.data.phase2_start_tokens, length.tokens_per_step);
    flag = "phase2-start-tokens";
  } else if (schedule.decay_steps > 0) {
    start = schedule.decay_start;
  } else {
    throw config::ConfigError("phase2-start-steps",
                              "--data-mix-phase2 starts with the decay by default, but this run has no decay",
                              "set --phase2-start-steps=N (or --phase2-start-tokens), or give the run a decay "
                              "(--decay-steps/--decay-tokens)");
  }
  if (start > length.total_steps) {
    throw config::ConfigError(
        flag, "phase 2 would start after step " + num(start) + ", beyond the last step " + num(length.total_steps),
        "start phase 2 within the run (0 = from the first step)");
  }
  return start;
}

}  // namespace moe::optim
