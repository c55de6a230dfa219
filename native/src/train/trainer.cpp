// The training run: checks everything before touching the run directory, then
// resumes or forks, trains with periodic metrics, validation and checkpoints,
// and stops cleanly on signals and non-finite streaks. What goes into records,
// lines and checkpoints is train/reporter.h's and checkpoint/checkpointer.h's.
#include "train/trainer.h"

#include <ATen/ATen.h>
#include <torch/version.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "checkpoint/checkpoint.h"
#include "checkpoint/checkpointer.h"
#include "config/config_error.h"
#include "config/config_output.h"
#include "data/data_setup.h"
#include "dist/parallel_context.h"
#include "dist/process_group.h"
#include "metrics/heartbeat.h"
#include "metrics/metrics_file.h"
#include "metrics/peak_flops.h"
#include "metrics/records.h"
#include "metrics/router_window.h"
#include "model/attention.h"
#include "model/config.h"
#include "model/transformer.h"
#include "moetrain/build_info.h"
#include "optim/adamw.h"
#include "optim/schedule.h"
#include "train/device.h"
#include "train/evaluate.h"
#include "train/reporter.h"
#include "train/signals.h"
#include "train/step_profiler.h"
#include "train/train_step.h"
#include "util/error_text.h"
#include "util/fs.h"
#include "util/time.h"

namespace moe::train {

namespace {

using checkpoint::TrainState;
using metrics::Phase;

class Trainer {
 public:
  Trainer(const config::ResolvedConfig& resolved, std::ostream& log)
      : resolved_(resolved), cfg_(resolved.config), t_(resolved.config.train), log_(log) {}

  int run();

 private:
  void check_before_writing();
  void build();
  void start();
  metrics::HeaderRecord header_record() const;
  int train_loop();
  bool run_validation();
  void save_checkpoint(const std::string& reason);
  void event(const std::string& kind, const std::string& message) { reporter_->event(state_.step, kind, message); }
  // Sequences read per source since the last step record, summed over ranks.
  std::vector<std::int64_t> source_counts() {
    std::vector<std::int64_t> counts = runner_->take_source_counts();
    if (!parallel_.distributed()) return counts;
    counts.resize(loader_->source_names().size(), 0);
    at::Tensor t = at::tensor(counts, at::kLong);
    dist::all_reduce_sum(parallel_, t);
    return std::vector<std::int64_t>(t.data_ptr<std::int64_t>(), t.data_ptr<std::int64_t>() + t.numel());
  }
  std::string own_dir() const {
    return parallel_.main_process() ? t_.run.dir : t_.run.dir + "/ranks/rank-" + std::to_string(parallel_.rank);
  }
  // The stop signal, agreed by all ranks (one collective per step in a multi-process run).
  int agreed_stop_signal() {
    return static_cast<int>(dist::all_reduce_max(parallel_, static_cast<std::int64_t>(stop_signal())));
  }
  void status(const std::string& state, const std::string& message) { reporter_->status(state_, state, message); }
  double elapsed() const { return elapsed_base_ + (util::monotonic_seconds() - attempt_start_); }

  const config::ResolvedConfig& resolved_;
  const config::RunConfig& cfg_;
  const config::TrainConfig& t_;
  std::ostream& log_;
  // Ranks other than 0 write their lines, metrics and heartbeat under <run-dir>/ranks/rank-N/ instead, so the run
  // directory holds one stream; out_ is log_ on rank 0.
  std::unique_ptr<std::ofstream> rank_log_;
  std::ostream* out_ = &log_;
  int stop_signal_ = 0;  // the signal every rank agreed to stop on (the largest any rank received)

  // Resolved before anything is written.
  dist::ParallelContext parallel_;
  optim::RunLength length_;
  optim::WsdSchedule schedule_;
  std::optional<std::int64_t> phase2_start_;  // last step of data phase 1
  DeviceSetup device_;
  data::DataSetup data_;
  std::string checkpoints_dir_;

  // The run directory's writers.
  std::unique_ptr<metrics::MetricsFile> metrics_;
  std::unique_ptr<metrics::Heartbeat> heartbeat_;
  std::unique_ptr<Reporter> reporter_;
  std::int64_t attempt_ = 1;

  // What trains.
  model::JetMoeCausalLM model_{nullptr};
  std::unique_ptr<optim::AdamW> optimizer_;
  std::unique_ptr<data::DataLoader> loader_;
  std::unique_ptr<metrics::RouterWindow> router_window_;
  std::unique_ptr<StepRunner> runner_;
  std::unique_ptr<checkpoint::Checkpointer> checkpointer_;
  std::unique_ptr<StepProfiler> profiler_;
  std::vector<std::pair<std::string, std::string>> pending_events_;  // reported after the header

  // Where the run stands.
  TrainState state_;
  checkpoint::StartPoint start_;
  std::int64_t last_checkpoint_step_ = -1;
  std::int64_t last_val_step_ = -1;
  std::optional<double> last_loss_;
  double elapsed_base_ = 0;
  double attempt_start_ = 0;
};

void Trainer::check_before_writing() {
  if (t_.run.dir.empty()) {
    throw config::ConfigError("run-dir", "`moetrain train` needs a run directory",
                              "pass --run-dir DIR (created if missing)");
  }
  if (util::exists(t_.run.dir) && !util::is_directory(t_.run.dir)) {
    throw config::ConfigError("run-dir", "'" + t_.run.dir + "' exists and is not a directory",
                              "point --run-dir at a directory");
  }
  parallel_ = dist::parallel_context_from_env(dist::launcher_environment());
  dist::require_collectives(parallel_, dist::gloo_available());
  length_ = optim::resolve_run_length(t_, parallel_.world_size);
  schedule_ = optim::resolve_schedule(t_, length_);
  device_ = resolve_device(cfg_, parallel_);
  phase2_start_ = optim::resolve_phase2_start(t_, length_, schedule_);
  data_ = data::open_data(cfg_);
  checkpoints_dir_ = t_.run.dir + "/checkpoints";
  const bool resume_none = t_.run.resume == "none";
  if (t_.run.resume != "auto" && !resume_none && !util::is_directory(t_.run.resume)) {
    throw config::ConfigError("resume", "no checkpoint directory '" + t_.run.resume + "'",
                              "pass --resume auto, none, or the path of a checkpoints/step-N directory");
  }
  if (!t_.run.fork_from.empty() && !util::is_directory(t_.run.fork_from)) {
    throw config::ConfigError("fork-from", "no checkpoint directory '" + t_.run.fork_from + "'",
                              "pass the path of another run's checkpoints/step-N directory");
  }
  if (resume_none && !checkpoint::list_checkpoints(checkpoints_dir_).empty()) {
    throw config::ConfigError("resume",
                              "--resume none, but " + checkpoints_dir_ + " holds checkpoints of an earlier start",
                              "use --resume auto to continue that run, or a new --run-dir to start over");
  }
  // A checkpoint named on the command line must be sound before anything in
  // the run directory changes (failing here is exit 1, saying why).
  if (t_.run.resume != "auto" && !resume_none)
    checkpoint::validate_checkpoint(t_.run.resume, t_.run.verify_checkpoints);
  if (!t_.run.fork_from.empty()) checkpoint::validate_checkpoint(t_.run.fork_from, t_.run.verify_checkpoints);
  if (t_.data.val_every > 0 && data_.val_parts.empty()) {
    throw config::ConfigError("val-every", "validation is on but there is no validation data",
                              "set --val-tokens, give --val-data, or use --val-every=0");
  }
}

void Trainer::build() {
  apply_runtime_settings(device_, t_.training);
  model_ = model::JetMoeCausalLM(cfg_.model);  // initialised from the seeded generator
  model_->to(device_.device, device_.param_dtype);
  std::vector<optim::NamedParameter> params;
  for (const auto& item : model_->named_parameters(/*recurse=*/true)) params.push_back({item.key(), item.value()});
  optim::AdamWOptions options;
  options.beta1 = t_.optim.beta1;
  options.beta2 = t_.optim.beta2;
  options.eps = t_.optim.adam_eps;
  options.weight_decay = t_.optim.weight_decay;
  options.decay_embeddings = t_.optim.decay_embeddings;
  optimizer_ = std::make_unique<optim::AdamW>(std::move(params), options);
  loader_ = std::make_unique<data::DataLoader>(data_.phases, t_.training.micro_batch_size, parallel_.rank,
                                               parallel_.world_size, static_cast<std::uint64_t>(t_.training.seed));
  if (t_.run.router_stats_every > 0) {
    router_window_ = std::make_unique<metrics::RouterWindow>(cfg_.model.num_experts, data_.domains);
  }
  runner_ = std::make_unique<StepRunner>(model_, *optimizer_, *loader_, router_window_.get(), device_,
                                         t_.training.grad_accum_steps, t_.optim.clip_grad, parallel_);
  const auto injected = injected_nonfinite_steps_from_env();
  if (!injected.empty()) {
    pending_events_.push_back({"warning", "test-only fault injection: non-finite loss at steps " +
                                              std::string(std::getenv("MOETRAIN_TEST_INJECT_NONFINITE"))});
  }
  runner_->set_injected_nonfinite_steps(injected);

  checkpoint::RetentionPolicy retention;
  retention.keep_newest = t_.run.keep_checkpoints;
  retention.keep_every_tokens = t_.run.keep_every_tokens;
  retention.keep_best_val = t_.run.keep_best_val;
  checkpointer_ = std::make_unique<checkpoint::Checkpointer>(
      checkpoints_dir_, t_.run.verify_checkpoints, retention, *optimizer_, *loader_,
      [this](const c10::impl::GenericDict& trainer_state) { restore_rng_states(device_, trainer_state); });

  ReporterSetup setup;
  setup.total_steps = length_.total_steps;
  setup.world_size = parallel_.world_size;
  setup.peak =
      metrics::resolve_peak_flops(t_.run.peak_flops, device_.device.is_cuda(), device_.name, device_.cpu_threads);
  setup.flops_per_token = model::training_flops_per_token(cfg_.model, t_.training.seq_len).total;
  if (data_.by_source || data_.phases.size() > 1 || !t_.data.mix.empty())
    setup.sample_sources = loader_->source_names();
  reporter_ = std::make_unique<Reporter>(*metrics_, *out_, device_, std::move(setup));
}

void Trainer::start() {
  checkpoint::StartRequest request;
  request.resume = t_.run.resume;
  request.fork_from = t_.run.fork_from;
  request.fork_optimizer = t_.run.fork_optimizer;
  request.seq_len = t_.training.seq_len;
  request.data_source = data_.describe;
  request.max_consecutive_nonfinite = t_.run.max_consecutive_nonfinite;
  request.flags = &resolved_.flags;
  // Rank 0 settles the checkpoints directory (unfinished saves removed, the resume point chosen) before the
  // other ranks read it.
  if (!parallel_.main_process()) dist::barrier(parallel_);
  start_ = checkpointer_->start(request);
  if (parallel_.main_process()) dist::barrier(parallel_);
  pending_events_.insert(pending_events_.end(), start_.events.begin(), start_.events.end());
  if (start_.resumed) {
    state_ = start_.state;
    elapsed_base_ = state_.elapsed;
    last_checkpoint_step_ = state_.step;
  }
}

metrics::HeaderRecord Trainer::header_record() const {
  const model::ParamCounts p = model::count_parameters(cfg_.model);
  const model::ModelConfig& m = cfg_.model;
  metrics::HeaderRecord h;
  h.run_id = t_.run.id;
  h.attempt = attempt_;
  h.time = util::unix_time();
  h.resume = start_.resumed;
  h.moetrain = build_info::kVersion;
  h.libtorch = TORCH_VERSION;
  h.device = device_.device.is_cuda() ? "cuda" : "cpu";
  h.device_name = device_.name;
  h.dtype = param_dtype_name(device_);
  h.cpu_threads = device_.cpu_threads;
  if (const char* wait_policy = std::getenv("OMP_WAIT_POLICY")) h.omp_wait_policy = wait_policy;
  h.attention_kernel = model::to_string(
      model::resolve_attention_kernel(m.attention_kernel, device_.device, device_.param_dtype,
                                      t_.training.micro_batch_size, t_.training.seq_len, m.num_kv_heads, m.top_k));
  h.world_size = parallel_.world_size;
  h.params_total = p.total;
  h.params_active = p.active_non_embedding;
  h.params_active_with_embedding = p.active_with_embedding;
  h.flops_per_token = model::training_flops_per_token(cfg_.model, t_.training.seq_len).total;
  h.tokens_per_step = length_.tokens_per_step;
  h.total_steps = length_.total_steps;
  h.total_tokens = length_.total_tokens;
  const metrics::PeakFlops peak =
      metrics::resolve_peak_flops(t_.run.peak_flops, device_.device.is_cuda(), device_.name, device_.cpu_threads);
  h.peak_flops = peak.value;
  h.peak_flops_source = peak.source;
  h.train_data = data_.describe;
  if (!data_.val_parts.empty()) h.val_data = data_.val_describe;
  h.data_phase2_start = phase2_start_;
  if (start_.fork) {
    h.fork = metrics::HeaderRecord::Fork{start_.fork->checkpoint, start_.fork->step, start_.fork->optimizer,
                                         start_.fork->data_position};
  }
  return h;
}

bool Trainer::run_validation() {
  const Phase previous_phase = heartbeat_->phase();
  heartbeat_->set_phase(Phase::kEval);
  const EvalResult r = evaluate_parts(model_, data_.val_parts, data_.by_source, t_.training.micro_batch_size, device_,
                                      /*interruptible=*/true);
  heartbeat_->set_phase(previous_phase);
  if (r.interrupted) return false;
  reporter_->validation(state_, r);
  state_.last_val_loss = r.loss;
  last_val_step_ = state_.step;
  return true;
}

void Trainer::save_checkpoint(const std::string& reason) {
  if (last_checkpoint_step_ == state_.step) return;  // this state is already on disk
  if (!parallel_.main_process()) {
    // Plain data parallelism: every rank holds the same weights and moments, so rank 0's checkpoint is the
    // run's; the others wait until it is complete.
    dist::barrier(parallel_);
    last_checkpoint_step_ = state_.step;
    return;
  }
  const Phase previous_phase = heartbeat_->phase();
  heartbeat_->set_phase(Phase::kCheckpoint);
  state_.elapsed = elapsed();
  checkpoint::WriterFacts writer;
  writer.run_id = t_.run.id;
  writer.attempt = attempt_;
  writer.param_dtype = param_dtype_name(device_);
  writer.device = device_.device.is_cuda() ? "cuda" : "cpu";
  writer.generators = capture_rng_states(device_);
  std::ostringstream flags;
  config::write_flags_text(flags, resolved_);
  const checkpoint::SaveResult saved = checkpointer_->save(
      checkpointer_->snapshot(state_, data_.describe, t_.training.seq_len), schedule_, writer, flags.str());
  reporter_->checkpoint_saved(state_, saved, reason, last_loss_);
  last_checkpoint_step_ = state_.step;
  reporter_->checkpoints_removed(state_.step, saved, checkpointer_->remove_deleted(saved));
  dist::barrier(parallel_);
  heartbeat_->set_phase(previous_phase);
}

int Trainer::train_loop() {
  profiler_ = std::make_unique<StepProfiler>(t_.run.profile_from_step, t_.run.profile_steps, own_dir() + "/profile",
                                             device_.device.is_cuda());
  attempt_start_ = util::monotonic_seconds();
  while (state_.step < length_.total_steps) {
    stop_signal_ = agreed_stop_signal();
    if (stop_signal_ != 0) break;
    const double step_start = util::monotonic_seconds();
    ++state_.step;
    if (phase2_start_ && state_.step > *phase2_start_ && loader_->phase() == 0) {
      loader_->set_phase(1);
      event("phase_switch", "data phase 2 from step " + std::to_string(state_.step) + ": " + t_.data.mix_phase2);
    }
    const double lr = schedule_.lr_at(state_.step);
    profiler_->before_step(state_.step);
    const StepOutput out = runner_->run(state_.step, lr);
    if (const std::string trace = profiler_->after_step(state_.step); !trace.empty()) {
      event("profile", "steps " + std::to_string(t_.run.profile_from_step) + "-" + std::to_string(state_.step) +
                           " profiled into " + trace);
    }
    state_.tokens += length_.tokens_per_step;
    reporter_->count_step(util::monotonic_seconds() - step_start, length_.tokens_per_step);
    heartbeat_->set_step(state_.step);

    if (out.skipped) {
      ++state_.nonfinite_total;
      ++state_.nonfinite_consecutive;
    } else {
      state_.nonfinite_consecutive = 0;
    }
    const bool log_now = state_.step % t_.run.log_every == 0 || state_.step == length_.total_steps || out.skipped;
    if (log_now) reporter_->step(state_, elapsed(), out, lr, source_counts());
    if (!out.skipped) last_loss_ = out.loss.item<double>();
    if (out.skipped) {
      const bool loss_bad = !std::isfinite(out.loss.item<double>());
      event("nonfinite", std::string(loss_bad ? "loss" : "gradient norm") + " is not finite; step " +
                             std::to_string(state_.step) + " skipped (" + std::to_string(state_.nonfinite_consecutive) +
                             " in a row, " + std::to_string(state_.nonfinite_total) + " in total)");
      if (state_.nonfinite_consecutive >= t_.run.max_consecutive_nonfinite) {
        // Weights and moments are those of the last good step; the checkpoint's
        // data position lies past the bad batches, so resuming skips them.
        save_checkpoint("nonfinite");
        status("failed", std::to_string(state_.nonfinite_consecutive) +
                             " steps in a row had a non-finite loss or gradient (--max-consecutive-nonfinite=" +
                             std::to_string(t_.run.max_consecutive_nonfinite) +
                             "); lower --lr, check the data, or raise the limit; the checkpoint holds the last good "
                             "weights");
        return kExitNonfinite;
      }
    }
    if (t_.run.router_stats_every > 0 && state_.step % t_.run.router_stats_every == 0)
      reporter_->router(state_, *router_window_);
    if (t_.data.val_every > 0 && state_.step % t_.data.val_every == 0) run_validation();
    if (t_.run.checkpoint_every > 0 && state_.step % t_.run.checkpoint_every == 0) save_checkpoint("interval");
  }

  if (stop_signal_ == 0) stop_signal_ = agreed_stop_signal();  // a signal during the last step
  if (const int sig = stop_signal_; sig != 0) {
    heartbeat_->set_phase(Phase::kStopping);
    event("signal", std::string(signal_name(sig)) + " received; saving a checkpoint and stopping");
    save_checkpoint("signal");
    status("stopped", std::string("stopped by ") + signal_name(sig) + " at step " + std::to_string(state_.step) +
                          "; resume with --resume auto");
    return 0;
  }
  // A resume that finds nothing left to train has already validated this state.
  const bool trained_now = state_.step > (start_.resumed ? start_.resumed->first : 0);
  if (t_.data.val_every > 0 && last_val_step_ != state_.step && trained_now) run_validation();
  heartbeat_->set_phase(Phase::kStopping);
  if (t_.run.final_checkpoint) {
    save_checkpoint("final");
  } else {
    event("no_final_checkpoint", "--final-checkpoint=false: the final weights were not saved");
  }
  status("completed", "reached the end of training (" + std::to_string(length_.total_steps) + " steps, " +
                          std::to_string(state_.tokens) + " tokens)");
  return 0;
}

int Trainer::run() {
  check_before_writing();  // config::ConfigError escapes: nothing written

  if (parallel_.distributed()) {
    const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(t_.run.collective_timeout * 1000));
    dist::connect_process_group(parallel_, timeout);  // before anything is written: a missing peer writes nothing
  }
  util::make_dirs(t_.run.dir);
  util::make_dirs(checkpoints_dir_);
  if (!parallel_.main_process()) {
    util::make_dirs(own_dir());
    rank_log_ = std::make_unique<std::ofstream>(own_dir() + "/train.log", std::ios::app);
    out_ = rank_log_.get();
  }
  metrics_ = std::make_unique<metrics::MetricsFile>(own_dir() + "/metrics.jsonl");
  attempt_ = metrics_->previous_attempts() + 1;
  install_stop_handlers();
  heartbeat_ = std::make_unique<metrics::Heartbeat>(own_dir(), t_.run.heartbeat_every);
  bool header_written = false;
  try {
    build();
    start();
    reporter_->header(header_record(), resolved_.flags);
    header_written = true;
    for (const auto& [kind, message] : pending_events_) event(kind, message);
    heartbeat_->set_step(state_.step);
    reporter_->start_line(model::count_parameters(cfg_.model).total, length_.tokens_per_step, data_.describe,
                          start_.resumed ? std::optional<std::string>(start_.resumed->second) : std::nullopt);
    heartbeat_->set_phase(Phase::kTrain);
    if (phase2_start_ && state_.step > *phase2_start_) loader_->set_phase(1);  // resumed inside phase 2
    const int rc = train_loop();
    heartbeat_->stop();
    return rc;
  } catch (const std::exception& e) {
    if (header_written) {
      try {
        status("failed", util::error_text(e));
      } catch (const std::exception&) {}
    }
    heartbeat_->stop();
    throw;
  }
}

}  // namespace

int run_training(const config::ResolvedConfig& resolved, std::ostream& log) {
  Trainer trainer(resolved, log);
  return trainer.run();
}

}  // namespace moe::train
