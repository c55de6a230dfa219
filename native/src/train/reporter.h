// What a training run tells the outside: the records of metrics.jsonl
// (docs/metrics-schema.md: header, step, router, val, checkpoint, event,
// status) and the progress lines on the log. The trainer decides when to
// report; the reporter decides what each record and line holds, and keeps the
// throughput window between step records.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint/checkpointer.h"
#include "config/flags.h"
#include "metrics/metrics_file.h"
#include "metrics/peak_flops.h"
#include "metrics/records.h"
#include "metrics/router_window.h"
#include "train/device.h"
#include "train/evaluate.h"
#include "train/train_step.h"

namespace moe::train {

struct ReporterSetup {
  std::int64_t total_steps = 0;
  std::int64_t world_size = 1;  // MFU divides by world_size * peak
  metrics::PeakFlops peak;
  double flops_per_token = 0;
  // Sources whose sequence counts step records carry ("samples"); empty: none.
  std::vector<std::string> sample_sources;
};

class Reporter {
 public:
  Reporter(metrics::MetricsFile& metrics, std::ostream& log, const DeviceSetup& device, ReporterSetup setup);

  void header(const metrics::HeaderRecord& record, const config::FlagSet& flags);
  // The one line that says what this attempt trains, on what, from where.
  void start_line(std::int64_t total_params, std::int64_t tokens_per_step, const std::string& data,
                  const std::optional<std::string>& resumed_from);

  void event(std::int64_t step, const std::string& kind, const std::string& message);
  void status(const checkpoint::TrainState& state, const std::string& phase, const std::string& message);

  // Adds one step's wall time and tokens to the throughput window.
  void count_step(double seconds, std::int64_t tokens);
  // A step record and its progress line; `source_counts`: sequences read per
  // sample source since the last step record. Resets the throughput window.
  void step(const checkpoint::TrainState& state, double elapsed, const StepOutput& out, double lr,
            const std::vector<std::int64_t>& source_counts);
  void router(const checkpoint::TrainState& state, metrics::RouterWindow& window);
  void validation(const checkpoint::TrainState& state, const EvalResult& result);
  // The checkpoint record of `saved` (and the event when it replaced an
  // abandoned directory of the same name) and its progress line.
  void checkpoint_saved(const checkpoint::TrainState& state, const checkpoint::SaveResult& saved,
                        const std::string& reason, const std::optional<double>& last_loss);
  // One retention event per removed checkpoint of `saved`'s plan.
  void checkpoints_removed(std::int64_t step, const checkpoint::SaveResult& saved,
                           const std::vector<std::string>& removed);

 private:
  metrics::MetricsFile& metrics_;
  std::ostream& log_;
  const DeviceSetup& device_;
  ReporterSetup setup_;
  double window_seconds_ = 0;
  std::int64_t window_tokens_ = 0;
};

}  // namespace moe::train
