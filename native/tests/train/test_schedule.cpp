// The WSD learning-rate schedule: values at the key steps of every decay form
// (expected values computed here from the documented formulas), token-based
// lengths, the decay-from-step-0 schedule of a fork, validation errors, and
// the sampled curve.
#include <gtest/gtest.h>

#include <cmath>

#include "config/config_error.h"
#include "optim/schedule.h"

namespace moe::optim {
namespace {

config::TrainConfig base() {
  config::TrainConfig t;
  t.training.micro_batch_size = 2;
  t.training.grad_accum_steps = 2;
  t.training.seq_len = 8;  // 32 tokens per step
  t.training.max_steps = 100;
  t.schedule.lr = 1e-3;
  t.schedule.min_lr = 1e-4;
  t.schedule.warmup_steps = 10;
  t.schedule.decay_steps = 40;
  return t;
}

double expected_decay(config::DecayForm form, double peak, double floor, double p) {
  switch (form) {
    case config::DecayForm::kExponential: return peak * std::pow(floor / peak, p);
    case config::DecayForm::kLinear: return floor + (peak - floor) * (1 - p);
    case config::DecayForm::kCosine: return floor + (peak - floor) * 0.5 * (1 + std::cos(M_PI * p));
    case config::DecayForm::kOneMinusSqrt: return floor + (peak - floor) * (1 - std::sqrt(p));
  }
  return NAN;
}

class EveryDecayForm : public ::testing::TestWithParam<config::DecayForm> {};

TEST_P(EveryDecayForm, ValuesAtKeySteps) {
  config::TrainConfig t = base();
  t.schedule.decay_form = GetParam();
  const RunLength len = resolve_run_length(t, 1);
  const WsdSchedule s = resolve_schedule(t, len);
  ASSERT_EQ(s.warmup_steps, 10);
  ASSERT_EQ(s.decay_start, 60);  // auto: 100 - 40
  ASSERT_EQ(s.decay_steps, 40);
  const double peak = t.schedule.lr, floor = t.schedule.min_lr;
  // Warmup: linear from min-lr, reaching the peak at step W.
  EXPECT_DOUBLE_EQ(s.lr_at(1), floor + (peak - floor) * 1 / 10.0);
  EXPECT_DOUBLE_EQ(s.lr_at(5), floor + (peak - floor) * 5 / 10.0);
  EXPECT_DOUBLE_EQ(s.lr_at(10), peak);
  // Stable phase.
  EXPECT_DOUBLE_EQ(s.lr_at(11), peak);
  EXPECT_DOUBLE_EQ(s.lr_at(60), peak);
  // Decay: p = (s - S) / D.
  for (std::int64_t step : {61, 70, 80, 90, 99}) {
    const double p = (step - 60) / 40.0;
    EXPECT_NEAR(s.lr_at(step), expected_decay(t.schedule.decay_form, peak, floor, p), 1e-15) << "step " << step;
  }
  EXPECT_NEAR(s.lr_at(100), floor, 1e-15);
  EXPECT_NEAR(s.lr_at(150), floor, 1e-15);  // past the end: stays at the floor
  // Monotone non-increasing through the decay.
  for (std::int64_t step = 61; step <= 100; ++step) EXPECT_LE(s.lr_at(step), s.lr_at(step - 1) + 1e-18);
}

INSTANTIATE_TEST_SUITE_P(Forms, EveryDecayForm,
                         ::testing::Values(config::DecayForm::kExponential, config::DecayForm::kLinear,
                                           config::DecayForm::kCosine, config::DecayForm::kOneMinusSqrt));

TEST(Schedule, JetMoePhaseTwoDecaysExponentiallyToTenPercent) {
  config::TrainConfig t = base();
  t.schedule.warmup_steps = 0;
  t.schedule.lr = 5e-4;
  t.schedule.min_lr = 5e-5;
  t.schedule.decay_steps = 100;
  t.schedule.decay_start_steps = 0;  // anneal from a forked stable-phase checkpoint: decay from step 0
  const WsdSchedule s = resolve_schedule(t, resolve_run_length(t, 1));
  EXPECT_EQ(s.decay_start, 0);
  EXPECT_NEAR(s.lr_at(1), 5e-4 * std::pow(0.1, 1 / 100.0), 1e-18);
  EXPECT_NEAR(s.lr_at(50), 5e-4 * std::pow(0.1, 0.5), 1e-18);
  EXPECT_NEAR(s.lr_at(100), 5e-5, 1e-18);
}

TEST(Schedule, TokenLengthsRoundUpToWholeSteps) {
  config::TrainConfig t = base();
  t.training.max_steps = 0;
  t.training.train_tokens = 3190;  // 99.7 steps of 32 tokens -> 100
  t.schedule.warmup_steps = 0;
  t.schedule.warmup_tokens = 305;  // 9.5 -> 10
  t.schedule.decay_steps = 0;
  t.schedule.decay_tokens = 1280;        // 40
  t.schedule.decay_start_tokens = 1600;  // 50
  const RunLength len = resolve_run_length(t, 1);
  EXPECT_EQ(len.tokens_per_step, 32);
  EXPECT_EQ(len.total_steps, 100);
  EXPECT_EQ(len.total_tokens, 3200);
  const WsdSchedule s = resolve_schedule(t, len);
  EXPECT_EQ(s.warmup_steps, 10);
  EXPECT_EQ(s.decay_steps, 40);
  EXPECT_EQ(s.decay_start, 50);
  // World size scales tokens per step and so the step counts.
  const RunLength len4 = resolve_run_length(t, 4);
  EXPECT_EQ(len4.tokens_per_step, 128);
  EXPECT_EQ(len4.total_steps, 25);
}

TEST(Schedule, NoDecayStaysAtPeak) {
  config::TrainConfig t = base();
  t.schedule.decay_steps = 0;
  const WsdSchedule s = resolve_schedule(t, resolve_run_length(t, 1));
  EXPECT_DOUBLE_EQ(s.lr_at(100), t.schedule.lr);
}

TEST(Schedule, MixedUnitConflictsNameTheFlag) {
  config::TrainConfig t = base();
  t.schedule.warmup_steps = 0;
  t.schedule.warmup_tokens = 32 * 70;  // 70 steps of warmup
  try {
    resolve_schedule(t, resolve_run_length(t, 1));  // auto decay start 60 < 70
    FAIL() << "expected a ConfigError";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(e.flag(), "decay-steps");
  }
  t.schedule.warmup_tokens = 32 * 200;
  try {
    resolve_schedule(t, resolve_run_length(t, 1));
    FAIL() << "expected a ConfigError";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(e.flag(), "warmup-tokens");
  }
}

TEST(Schedule, CurveHasBreakpointsAndEndpoints) {
  config::TrainConfig t = base();
  t.training.max_steps = 10000;
  t.schedule.warmup_steps = 123;
  t.schedule.decay_steps = 777;
  const RunLength len = resolve_run_length(t, 1);
  const WsdSchedule s = resolve_schedule(t, len);
  const auto steps = curve_steps(s, len.total_steps, 50);
  EXPECT_EQ(steps.front(), 1);
  EXPECT_EQ(steps.back(), 10000);
  for (std::int64_t b : {std::int64_t{123}, s.decay_start}) {
    EXPECT_NE(std::find(steps.begin(), steps.end(), b), steps.end()) << b;
  }
  EXPECT_TRUE(std::is_sorted(steps.begin(), steps.end()));
  EXPECT_LE(steps.size(), 53u);
  // Short runs list every step.
  EXPECT_EQ(curve_steps(s, 20, 50).size(), 20u);
}

}  // namespace
}  // namespace moe::optim
