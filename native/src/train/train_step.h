// One optimizer step: grad-accum micro-batches of forward/backward, router
// statistics, global-norm clipping, the non-finite check and the AdamW update.
// The only host synchronisation is reading the one-element "skip" flag after
// the update has been queued; losses stay on the device until logged.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "data/loader.h"
#include "dist/parallel_context.h"
#include "metrics/router_window.h"
#include "model/transformer.h"
#include "optim/adamw.h"
#include "train/device.h"

namespace moe::train {

struct StepOutput {
  at::Tensor loss;       // [] fp32, mean over micro-batches: lm + aux_coef*(aux + z_coef*z)
  at::Tensor lm_loss;    // [] fp32
  at::Tensor aux_loss;   // [] fp32 summed balance terms of all routers
  at::Tensor z_loss;     // [] fp32 summed z terms
  at::Tensor grad_norm;  // [] fp32 before clipping
  bool skipped = false;  // non-finite loss or gradient: no update was applied
};

class StepRunner {
 public:
  StepRunner(model::JetMoeCausalLM model, optim::AdamW& optimizer, data::DataLoader& loader,
             metrics::RouterWindow* router_window, const DeviceSetup& device, std::int64_t grad_accum_steps,
             double clip_grad, const dist::ParallelContext& parallel);

  // Test-only fault injection: steps whose loss is multiplied by NaN (from
  // MOETRAIN_TEST_INJECT_NONFINITE="5,6,9").
  void set_injected_nonfinite_steps(std::set<std::int64_t> steps) { inject_ = std::move(steps); }

  StepOutput run(std::int64_t step, double lr);

  // Sequences this rank read per source (index into DataLoader::source_names())
  // since the last call; resets the counts.
  std::vector<std::int64_t> take_source_counts() { return std::exchange(source_counts_, {}); }

 private:
  model::JetMoeCausalLM model_;
  optim::AdamW& optimizer_;
  data::DataLoader& loader_;
  metrics::RouterWindow* router_window_;
  const DeviceSetup& device_;
  std::int64_t accum_;
  double clip_;
  std::set<std::int64_t> inject_;
  const dist::ParallelContext& parallel_;
  std::vector<std::int64_t> source_counts_;
};

// Parses MOETRAIN_TEST_INJECT_NONFINITE (comma-separated steps); empty when unset.
std::set<std::int64_t> injected_nonfinite_steps_from_env();

}  // namespace moe::train
