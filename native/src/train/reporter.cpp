// Metrics records and progress lines of a training run.
#include "train/reporter.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstdio>

#include "moetrain/build_info.h"
#include "util/strings.h"
#include "util/time.h"

namespace moe::train {

namespace {

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

// "step-00000400 (newest+best_val), ...": what retention keeps, for log and event messages.
std::string kept_text(const checkpoint::RetentionPlan& plan) {
  std::string text;
  for (const auto& k : plan.kept) {
    text += (text.empty() ? "" : ", ") + k.name + " (" + util::join(k.reasons, "+") + ")";
  }
  return text;
}

std::vector<std::pair<std::string, std::vector<std::string>>> kept_paths(const checkpoint::RetentionPlan& plan) {
  std::vector<std::pair<std::string, std::vector<std::string>>> kept;
  for (const auto& k : plan.kept) kept.emplace_back("checkpoints/" + k.name, k.reasons);
  return kept;
}

}  // namespace

Reporter::Reporter(metrics::MetricsFile& metrics, std::ostream& log, const DeviceSetup& device, ReporterSetup setup)
    : metrics_(metrics), log_(log), device_(device), setup_(std::move(setup)) {}

void Reporter::header(const metrics::HeaderRecord& record, const config::FlagSet& flags) {
  metrics_.append(metrics::header_json(record, flags));
}

void Reporter::start_line(std::int64_t total_params, std::int64_t tokens_per_step, const std::string& data,
                          const std::optional<std::string>& resumed_from) {
  log_ << "moetrain " << build_info::kVersion << ": " << total_params << " parameters on " << device_.name << " ("
       << param_dtype_name(device_) << ", " << device_.cpu_threads << " threads), " << setup_.total_steps
       << " steps of " << tokens_per_step << " tokens, data: " << data
       << (resumed_from ? ", resumed from " + *resumed_from : std::string(", fresh start")) << std::endl;
}

void Reporter::event(std::int64_t step, const std::string& kind, const std::string& message) {
  metrics_.append(metrics::event_json(step, util::unix_time(), kind, message));
  log_ << "[" << kind << "] " << message << std::endl;
}

void Reporter::status(const checkpoint::TrainState& state, const std::string& phase, const std::string& message) {
  metrics_.append(metrics::status_json(phase, state.step, state.tokens, util::unix_time(), message));
  log_ << "[" << phase << "] " << message << std::endl;
}

void Reporter::count_step(double seconds, std::int64_t tokens) {
  window_seconds_ += seconds;
  window_tokens_ += tokens;
}

void Reporter::step(const checkpoint::TrainState& state, double elapsed, const StepOutput& out, double lr,
                    const std::vector<std::int64_t>& source_counts) {
  metrics::StepRecord r;
  r.step = state.step;
  r.tokens = state.tokens;
  r.time = util::unix_time();
  r.elapsed = elapsed;
  r.loss = out.loss.item<double>();
  r.lm_loss = out.lm_loss.item<double>();
  r.aux_loss = out.aux_loss.item<double>();
  r.z_loss = out.z_loss.item<double>();
  r.lr = lr;
  r.grad_norm = out.grad_norm.item<double>();
  r.tokens_per_s = window_seconds_ > 0 ? static_cast<double>(window_tokens_) / window_seconds_ : 0.0;
  if (setup_.peak.value) {
    r.mfu = r.tokens_per_s * setup_.flops_per_token / (static_cast<double>(setup_.world_size) * *setup_.peak.value);
  }
  r.mem_bytes = memory_bytes(device_);
  r.skipped = out.skipped;
  r.nonfinite_total = state.nonfinite_total;
  const auto& names = setup_.sample_sources;
  for (std::size_t i = 0; i < names.size(); ++i) {
    r.samples.emplace_back(names[i], i < source_counts.size() ? source_counts[i] : 0);
  }
  metrics_.append(metrics::step_json(r));
  window_seconds_ = 0;
  window_tokens_ = 0;
  log_ << "step " << r.step << "/" << setup_.total_steps << "  loss " << fmt("%.4f", r.loss) << "  lm "
       << fmt("%.4f", r.lm_loss) << "  lr " << fmt("%.3g", lr) << "  grad " << fmt("%.3f", r.grad_norm) << "  "
       << fmt("%.0f", r.tokens_per_s) << " tok/s" << (r.skipped ? "  (skipped)" : "") << std::endl;
}

void Reporter::router(const checkpoint::TrainState& state, metrics::RouterWindow& window) {
  if (window.empty()) return;
  metrics_.append(metrics::router_json(state.step, state.tokens, window.take()));
}

void Reporter::validation(const checkpoint::TrainState& state, const EvalResult& result) {
  metrics::ValRecord v;
  v.step = state.step;
  v.tokens = state.tokens;
  v.loss = result.loss;
  v.tokens_evaluated = result.tokens_evaluated;
  v.by_domain = result.by_domain;
  v.by_source = result.by_source;
  metrics_.append(metrics::val_json(v));
  log_ << "val step " << state.step << "  loss " << fmt("%.4f", result.loss) << "  ppl "
       << fmt("%.2f", std::exp(result.loss)) << std::endl;
}

void Reporter::checkpoint_saved(const checkpoint::TrainState& state, const checkpoint::SaveResult& saved,
                                const std::string& reason, const std::optional<double>& last_loss) {
  const checkpoint::Written& w = saved.written;
  if (w.replaced)
    event(state.step, "checkpoint_deleted", "replaced checkpoints/" + w.name + " from an abandoned history");
  metrics::CheckpointRecord rec;
  rec.step = state.step;
  rec.tokens = state.tokens;
  rec.path = "checkpoints/" + w.name;
  rec.bytes = w.bytes;
  rec.loss = last_loss;
  rec.val_loss = state.last_val_loss;
  rec.reason = reason;
  rec.kept = kept_paths(saved.plan);
  metrics_.append(metrics::checkpoint_json(rec));
  log_ << "checkpoint " << rec.path << " (" << util::si_format(static_cast<double>(w.bytes)) << "B, " << reason << ")"
       << std::endl;
}

void Reporter::checkpoints_removed(std::int64_t step, const checkpoint::SaveResult& saved,
                                   const std::vector<std::string>& removed) {
  const std::string kept = kept_text(saved.plan);
  const auto kept_by_path = kept_paths(saved.plan);
  for (const auto& name : removed) {
    const std::string message = "removed checkpoints/" + name + " (retention; kept " + kept + ")";
    metrics_.append(
        metrics::retention_event_json(step, util::unix_time(), "checkpoints/" + name, message, kept_by_path));
    log_ << "[checkpoint_deleted] " << message << std::endl;
  }
}

}  // namespace moe::train
