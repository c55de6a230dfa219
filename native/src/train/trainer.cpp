// The training run: checks everything before touching the run directory, then
// resumes or forks, trains with periodic metrics, validation and checkpoints,
// and stops cleanly on signals and non-finite streaks.
#include "train/trainer.h"

#include <ATen/ATen.h>
#include <torch/version.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>

#include "checkpoint/checkpoint.h"
#include "config/config_error.h"
#include "config/config_output.h"
#include "data/data_setup.h"
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
#include "train/run_state.h"
#include "train/signals.h"
#include "train/train_step.h"
#include "util/error_text.h"
#include "util/fs.h"
#include "util/json_writer.h"
#include "util/strings.h"
#include "util/time.h"

namespace moe::train {

namespace {

using metrics::Phase;

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

const char* dtype_name(at::ScalarType t) {
  return t == at::kBFloat16 ? "bfloat16" : "float32";
}

// WORLD_SIZE from a launcher such as torchrun; 1 when unset.
std::int64_t world_size_from_env() {
  const char* env = std::getenv("WORLD_SIZE");
  if (!env || !*env) return 1;
  try {
    return std::stoll(env);
  } catch (const std::exception&) {
    throw config::ConfigError("", std::string("WORLD_SIZE='") + env + "' is not a number",
                              "unset WORLD_SIZE or launch with torchrun");
  }
}

struct ForkInfo {
  std::string checkpoint;
  std::int64_t step = 0;
  bool optimizer = false;
  bool data_position = false;
};

class Trainer {
 public:
  Trainer(const config::ResolvedConfig& resolved, std::ostream& log)
      : resolved_(resolved), cfg_(resolved.config), t_(resolved.config.train), log_(log) {}

  int run();

 private:
  void check_before_writing();
  void build();
  void resume_or_fork();
  void restore(const checkpoint::Loaded& loaded, bool full);
  void write_header();
  int train_loop();
  void log_step(const StepOutput& out, double lr);
  void write_router_record();
  bool run_validation();
  void save_checkpoint(const std::string& reason);
  void event(const std::string& kind, const std::string& message);
  void status(const std::string& state, const std::string& message);
  double elapsed() const { return elapsed_base_ + (util::monotonic_seconds() - attempt_start_); }

  const config::ResolvedConfig& resolved_;
  const config::RunConfig& cfg_;
  const config::TrainConfig& t_;
  std::ostream& log_;

  std::int64_t world_size_ = 1;
  optim::RunLength length_;
  optim::WsdSchedule schedule_;
  std::optional<std::int64_t> phase2_start_;  // last step of data phase 1
  DeviceSetup device_;
  data::DataSetup data_;
  std::string checkpoints_dir_;
  bool resume_none_ = false;

  std::unique_ptr<metrics::MetricsFile> metrics_;
  std::unique_ptr<metrics::Heartbeat> heartbeat_;
  std::int64_t attempt_ = 1;
  std::vector<std::pair<std::string, std::string>> pending_events_;

  model::JetMoeCausalLM model_{nullptr};
  std::unique_ptr<optim::AdamW> optimizer_;
  std::unique_ptr<data::DataLoader> loader_;
  std::unique_ptr<metrics::RouterWindow> router_window_;
  std::unique_ptr<StepRunner> runner_;
  metrics::PeakFlops peak_;
  double flops_per_token_ = 0;

  TrainState state_;
  std::optional<std::pair<std::int64_t, std::string>> resumed_;  // step, checkpoint path
  std::optional<ForkInfo> fork_;
  std::int64_t last_checkpoint_step_ = -1;
  std::int64_t last_val_step_ = -1;
  std::optional<double> last_loss_;
  double elapsed_base_ = 0;
  double attempt_start_ = 0;
  // Throughput window since the previous step record.
  double window_seconds_ = 0;
  std::int64_t window_tokens_ = 0;
};

void Trainer::check_before_writing() {
  if (t_.run_dir.empty()) {
    throw config::ConfigError("run-dir", "`moetrain train` needs a run directory",
                              "pass --run-dir DIR (created if missing)");
  }
  if (util::exists(t_.run_dir) && !util::is_directory(t_.run_dir)) {
    throw config::ConfigError("run-dir", "'" + t_.run_dir + "' exists and is not a directory",
                              "point --run-dir at a directory");
  }
  world_size_ = world_size_from_env();
  if (world_size_ != 1) {
    throw config::ConfigError("",
                              "WORLD_SIZE=" + std::to_string(world_size_) +
                                  ": multi-process (data-parallel) training is not available in this build",
                              "run a single process per run (unset WORLD_SIZE)");
  }
  length_ = optim::resolve_run_length(t_, world_size_);
  schedule_ = optim::resolve_schedule(t_, length_);
  device_ = resolve_device(cfg_);
  phase2_start_ = optim::resolve_phase2_start(t_, length_, schedule_);
  data_ = data::open_data(cfg_);
  checkpoints_dir_ = t_.run_dir + "/checkpoints";
  resume_none_ = t_.resume == "none";
  if (t_.resume != "auto" && !resume_none_ && !util::is_directory(t_.resume)) {
    throw config::ConfigError("resume", "no checkpoint directory '" + t_.resume + "'",
                              "pass --resume auto, none, or the path of a checkpoints/step-N directory");
  }
  if (!t_.fork_from.empty() && !util::is_directory(t_.fork_from)) {
    throw config::ConfigError("fork-from", "no checkpoint directory '" + t_.fork_from + "'",
                              "pass the path of another run's checkpoints/step-N directory");
  }
  if (resume_none_ && !checkpoint::list_checkpoints(checkpoints_dir_).empty()) {
    throw config::ConfigError("resume",
                              "--resume none, but " + checkpoints_dir_ + " holds checkpoints of an earlier start",
                              "use --resume auto to continue that run, or a new --run-dir to start over");
  }
  // A checkpoint named on the command line must be sound before anything in
  // the run directory changes (failing here is exit 1, saying why).
  if (t_.resume != "auto" && !resume_none_) checkpoint::validate_checkpoint(t_.resume, t_.verify_checkpoints);
  if (!t_.fork_from.empty()) checkpoint::validate_checkpoint(t_.fork_from, t_.verify_checkpoints);
  if (t_.val_every > 0 && data_.val_parts.empty()) {
    throw config::ConfigError("val-every", "validation is on but there is no validation data",
                              "set --val-tokens, give --val-data, or use --val-every=0");
  }
}

void Trainer::build() {
  apply_runtime_settings(device_, t_);
  model_ = model::JetMoeCausalLM(cfg_.model);  // initialised from the seeded generator
  model_->to(device_.device, device_.param_dtype);
  std::vector<optim::NamedParameter> params;
  for (const auto& item : model_->named_parameters(/*recurse=*/true)) params.push_back({item.key(), item.value()});
  optim::AdamWOptions options;
  options.beta1 = t_.beta1;
  options.beta2 = t_.beta2;
  options.eps = t_.adam_eps;
  options.weight_decay = t_.weight_decay;
  options.decay_embeddings = t_.decay_embeddings;
  optimizer_ = std::make_unique<optim::AdamW>(std::move(params), options);
  loader_ = std::make_unique<data::DataLoader>(data_.phases, t_.micro_batch_size, /*rank=*/0, world_size_,
                                               static_cast<std::uint64_t>(t_.seed));
  if (t_.router_stats_every > 0) {
    router_window_ = std::make_unique<metrics::RouterWindow>(cfg_.model.num_experts, data_.domains);
  }
  runner_ = std::make_unique<StepRunner>(model_, *optimizer_, *loader_, router_window_.get(), device_,
                                         t_.grad_accum_steps, t_.clip_grad);
  const auto injected = injected_nonfinite_steps_from_env();
  if (!injected.empty()) {
    pending_events_.push_back({"warning", "test-only fault injection: non-finite loss at steps " +
                                              std::string(std::getenv("MOETRAIN_TEST_INJECT_NONFINITE"))});
  }
  runner_->set_injected_nonfinite_steps(injected);
  peak_ = metrics::resolve_peak_flops(t_.peak_flops, device_.device.is_cuda(), device_.name, device_.cpu_threads);
  flops_per_token_ = model::training_flops_per_token(cfg_.model, t_.seq_len).total;
}

void Trainer::restore(const checkpoint::Loaded& loaded, bool full) {
  optimizer_->load_master_weights(loaded.model);
  if (!full) return;
  const SavedState saved = read_trainer_state(loaded.trainer);
  optimizer_->load_moments(loaded.optimizer, saved.optimizer_step);
  state_ = saved.train;
  if (state_.nonfinite_consecutive >= t_.max_consecutive_nonfinite) state_.nonfinite_consecutive = 0;
  loader_->restore(saved.loader);
  restore_rng_states(device_, loaded.trainer);
  elapsed_base_ = state_.elapsed;
  last_checkpoint_step_ = state_.step;
  const auto diffs = config_differences(loaded.config_flags, resolved_.flags);
  if (!diffs.empty()) {
    pending_events_.push_back({"warning", "flags changed since the checkpoint: " + util::join(diffs, "; ")});
  }
  if (saved.seq_len != t_.seq_len || saved.data_source != data_.describe) {
    pending_events_.push_back({"warning", "the training data changed since the checkpoint (was " + saved.data_source +
                                              ", seq-len " + std::to_string(saved.seq_len) +
                                              "); its data position is kept"});
  }
}

void Trainer::resume_or_fork() {
  for (const auto& name : checkpoint::remove_partial(checkpoints_dir_)) {
    pending_events_.push_back(
        {"checkpoint_deleted", "removed checkpoints/" + name + ", left unfinished by an interrupted write"});
  }
  if (t_.resume == "auto") {
    std::string last_problem;
    int tried = 0;
    for (const auto& listing : checkpoint::list_checkpoints(checkpoints_dir_)) {
      if (!listing.complete) continue;
      ++tried;
      try {
        const checkpoint::Loaded loaded = checkpoint::load_checkpoint(listing.dir, t_.verify_checkpoints);
        restore(loaded, /*full=*/true);
        resumed_ = {state_.step, "checkpoints/" + listing.name};
        break;
      } catch (const std::exception& e) {
        last_problem = util::error_text(e);
        pending_events_.push_back({"checkpoint_invalid", "checkpoints/" + listing.name + " cannot be resumed from: " +
                                                             last_problem + "; trying the next older checkpoint"});
      }
    }
    if (!resumed_ && tried > 0) {
      throw std::runtime_error("none of the " + std::to_string(tried) + " checkpoints in " + checkpoints_dir_ +
                               " can be resumed from (last problem: " + last_problem +
                               "); move them away to start over, or pass --resume PATH");
    }
  } else if (!resume_none_) {
    const checkpoint::Loaded loaded = checkpoint::load_checkpoint(t_.resume, t_.verify_checkpoints);
    restore(loaded, /*full=*/true);
    resumed_ = {state_.step, t_.resume};
  }
  if (!resumed_ && !t_.fork_from.empty()) {
    const checkpoint::Loaded loaded = checkpoint::load_checkpoint(t_.fork_from, t_.verify_checkpoints);
    restore(loaded, /*full=*/false);
    ForkInfo fork;
    fork.checkpoint = t_.fork_from;
    fork.step = loaded.manifest.step;
    const SavedState saved = read_trainer_state(loaded.trainer);
    if (t_.fork_optimizer) {
      optimizer_->load_moments(loaded.optimizer, saved.optimizer_step);
      fork.optimizer = true;
    }
    // Same data (or sources of the same name): continue after what the source
    // run has read rather than repeat it.
    bool shared_source = false;
    for (const auto& name : loader_->source_names()) shared_source = shared_source || saved.loader.sources.count(name);
    if (saved.seq_len == t_.seq_len &&
        (shared_source || (saved.loader.sources.empty() && saved.data_source == data_.describe))) {
      loader_->restore(saved.loader);
      fork.data_position = true;
    }
    fork_ = fork;
  }
}

void Trainer::write_header() {
  const model::ParamCounts p = model::count_parameters(cfg_.model);
  std::ostringstream out;
  util::JsonWriter json(out);
  json.begin_object();
  json.key("type").value("header");
  json.key("schema").value(1);
  json.key("run_id").value(t_.run_id);
  json.key("attempt").value(static_cast<long long>(attempt_));
  json.key("time").value(util::unix_time());
  json.key("resume");
  if (resumed_) {
    json.begin_object();
    json.key("step").value(static_cast<long long>(resumed_->first));
    json.key("checkpoint").value(resumed_->second);
    json.end_object();
  } else {
    json.null();
  }
  json.key("trainer").begin_object();
  json.key("moetrain").value(build_info::kVersion);
  json.key("libtorch").value(TORCH_VERSION);
  json.key("device").value(device_.device.is_cuda() ? "cuda" : "cpu");
  json.key("device_name").value(device_.name);
  json.key("dtype").value(dtype_name(device_.param_dtype));
  json.key("cpu_threads").value(device_.cpu_threads);
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  if (wait_policy != nullptr) {
    json.key("omp_wait_policy").value(wait_policy);
  } else {
    json.key("omp_wait_policy").null();
  }
  const model::ModelConfig& m = cfg_.model;
  json.key("attention_kernel")
      .value(
          model::to_string(model::resolve_attention_kernel(m.attention_kernel, device_.device, device_.param_dtype,
                                                           t_.micro_batch_size, t_.seq_len, m.num_kv_heads, m.top_k)));
  json.key("world_size").value(static_cast<long long>(world_size_));
  json.end_object();
  json.key("config").begin_object();
  const auto& table = config::flag_table();
  for (std::size_t i = 0; i < table.size(); ++i) {
    json.key(table[i].name);
    config::write_flag_json_value(json, table[i], resolved_.flags.values()[i]);
  }
  json.end_object();
  json.key("params").begin_object();
  json.key("total").value(static_cast<long long>(p.total));
  json.key("active").value(static_cast<long long>(p.active_non_embedding));
  json.key("active_with_embedding").value(static_cast<long long>(p.active_with_embedding));
  json.key("flops_per_token").value(flops_per_token_);
  json.end_object();
  json.key("run").begin_object();
  json.key("tokens_per_step").value(static_cast<long long>(length_.tokens_per_step));
  json.key("total_steps").value(static_cast<long long>(length_.total_steps));
  json.key("total_tokens").value(static_cast<long long>(length_.total_tokens));
  json.key("peak_flops");
  if (peak_.value)
    json.value(*peak_.value);
  else
    json.null();
  json.key("peak_flops_source").value(peak_.source);
  json.key("train_data").value(data_.describe);
  json.key("val_data");
  if (!data_.val_parts.empty())
    json.value(data_.val_describe);
  else
    json.null();
  if (phase2_start_) json.key("data_phase2_start").value(static_cast<long long>(*phase2_start_));
  json.end_object();
  if (fork_) {
    json.key("fork").begin_object();
    json.key("checkpoint").value(fork_->checkpoint);
    json.key("step").value(static_cast<long long>(fork_->step));
    json.key("optimizer").value(fork_->optimizer);
    json.key("data_position").value(fork_->data_position);
    json.end_object();
  }
  json.end_object();
  metrics_->append(out.str());
}

void Trainer::event(const std::string& kind, const std::string& message) {
  metrics_->append(metrics::event_json(state_.step, util::unix_time(), kind, message));
  log_ << "[" << kind << "] " << message << std::endl;
}

void Trainer::status(const std::string& state, const std::string& message) {
  metrics_->append(metrics::status_json(state, state_.step, state_.tokens, util::unix_time(), message));
  log_ << "[" << state << "] " << message << std::endl;
}

void Trainer::log_step(const StepOutput& out, double lr) {
  metrics::StepRecord r;
  r.step = state_.step;
  r.tokens = state_.tokens;
  r.time = util::unix_time();
  r.elapsed = elapsed();
  r.loss = out.loss.item<double>();
  r.lm_loss = out.lm_loss.item<double>();
  r.aux_loss = out.aux_loss.item<double>();
  r.z_loss = out.z_loss.item<double>();
  r.lr = lr;
  r.grad_norm = out.grad_norm.item<double>();
  r.tokens_per_s = window_seconds_ > 0 ? static_cast<double>(window_tokens_) / window_seconds_ : 0.0;
  if (peak_.value) r.mfu = r.tokens_per_s * flops_per_token_ / (static_cast<double>(world_size_) * *peak_.value);
  r.mem_bytes = memory_bytes(device_);
  r.skipped = out.skipped;
  r.nonfinite_total = state_.nonfinite_total;
  const std::vector<std::int64_t> counts = runner_->take_source_counts();
  if (data_.by_source || data_.phases.size() > 1 || !t_.data_mix.empty()) {
    const auto& names = loader_->source_names();
    for (std::size_t i = 0; i < names.size(); ++i) r.samples.emplace_back(names[i], i < counts.size() ? counts[i] : 0);
  }
  metrics_->append(metrics::step_json(r));
  window_seconds_ = 0;
  window_tokens_ = 0;
  log_ << "step " << r.step << "/" << length_.total_steps << "  loss " << fmt("%.4f", r.loss) << "  lm "
       << fmt("%.4f", r.lm_loss) << "  lr " << fmt("%.3g", lr) << "  grad " << fmt("%.3f", r.grad_norm) << "  "
       << fmt("%.0f", r.tokens_per_s) << " tok/s" << (r.skipped ? "  (skipped)" : "") << std::endl;
}

void Trainer::write_router_record() {
  if (!router_window_ || router_window_->empty()) return;
  metrics_->append(metrics::router_json(state_.step, state_.tokens, router_window_->take()));
}

bool Trainer::run_validation() {
  const Phase previous_phase = heartbeat_->phase();
  heartbeat_->set_phase(Phase::kEval);
  const EvalResult r = evaluate_parts(model_, data_.val_parts, data_.by_source, t_.micro_batch_size, device_,
                                      /*interruptible=*/true);
  heartbeat_->set_phase(previous_phase);
  if (r.interrupted) return false;
  metrics::ValRecord v;
  v.step = state_.step;
  v.tokens = state_.tokens;
  v.loss = r.loss;
  v.tokens_evaluated = r.tokens_evaluated;
  v.by_domain = r.by_domain;
  v.by_source = r.by_source;
  metrics_->append(metrics::val_json(v));
  state_.last_val_loss = r.loss;
  last_val_step_ = state_.step;
  log_ << "val step " << state_.step << "  loss " << fmt("%.4f", r.loss) << "  ppl " << fmt("%.2f", std::exp(r.loss))
       << std::endl;
  return true;
}

void Trainer::save_checkpoint(const std::string& reason) {
  if (last_checkpoint_step_ == state_.step) return;  // this state is already on disk
  const Phase previous_phase = heartbeat_->phase();
  heartbeat_->set_phase(Phase::kCheckpoint);
  state_.elapsed = elapsed();
  SavedState saved;
  saved.train = state_;
  saved.loader = loader_->state();
  saved.optimizer_step = optimizer_->step_count();
  saved.data_source = data_.describe;
  saved.seq_len = t_.seq_len;
  saved.data_phase = static_cast<std::int64_t>(loader_->phase());

  checkpoint::Contents c;
  c.step = state_.step;
  c.tokens = state_.tokens;
  c.model = optimizer_->master_weights();
  c.optimizer = optimizer_->moments();
  c.optimizer.emplace_back("step", at::scalar_tensor(optimizer_->step_count(), at::kLong));
  c.trainer = make_trainer_state(saved, schedule_, device_, t_.run_id, attempt_);
  std::ostringstream flags;
  config::write_flags_text(flags, resolved_);
  c.config_flags = flags.str();
  c.val_loss = state_.last_val_loss;
  const checkpoint::Written w =
      checkpoint::write_checkpoint(checkpoints_dir_, c, std::string("moetrain ") + build_info::kVersion);
  if (w.replaced) event("checkpoint_deleted", "replaced checkpoints/" + w.name + " from an abandoned history");

  metrics::CheckpointRecord rec;
  rec.step = state_.step;
  rec.tokens = state_.tokens;
  rec.path = "checkpoints/" + w.name;
  rec.bytes = w.bytes;
  rec.loss = last_loss_;
  rec.val_loss = state_.last_val_loss;
  rec.reason = reason;
  checkpoint::RetentionPolicy policy;
  policy.keep_newest = t_.keep_checkpoints;
  policy.keep_every_tokens = t_.keep_every_tokens;
  policy.keep_best_val = t_.keep_best_val;
  const checkpoint::RetentionPlan plan = checkpoint::plan_retention_on_disk(checkpoints_dir_, policy, w.name);
  std::string kept_text;
  for (const auto& k : plan.kept) {
    rec.kept.emplace_back("checkpoints/" + k.name, k.reasons);
    kept_text += (kept_text.empty() ? "" : ", ") + k.name + " (" + util::join(k.reasons, "+") + ")";
  }
  metrics_->append(metrics::checkpoint_json(rec));
  log_ << "checkpoint " << rec.path << " (" << util::si_format(static_cast<double>(w.bytes)) << "B, " << reason << ")"
       << std::endl;
  last_checkpoint_step_ = state_.step;
  for (const auto& name : checkpoint::remove_checkpoints(checkpoints_dir_, plan.deleted)) {
    const std::string message = "removed checkpoints/" + name + " (retention; kept " + kept_text + ")";
    metrics_->append(
        metrics::retention_event_json(state_.step, util::unix_time(), "checkpoints/" + name, message, rec.kept));
    log_ << "[checkpoint_deleted] " << message << std::endl;
  }
  heartbeat_->set_phase(previous_phase);
}

int Trainer::train_loop() {
  attempt_start_ = util::monotonic_seconds();
  while (state_.step < length_.total_steps) {
    if (stop_signal() != 0) break;
    const double step_start = util::monotonic_seconds();
    ++state_.step;
    if (phase2_start_ && state_.step > *phase2_start_ && loader_->phase() == 0) {
      loader_->set_phase(1);
      event("phase_switch", "data phase 2 from step " + std::to_string(state_.step) + ": " + t_.data_mix_phase2);
    }
    const double lr = schedule_.lr_at(state_.step);
    const StepOutput out = runner_->run(state_.step, lr);
    state_.tokens += length_.tokens_per_step;
    window_seconds_ += util::monotonic_seconds() - step_start;
    window_tokens_ += length_.tokens_per_step;
    heartbeat_->set_step(state_.step);

    if (out.skipped) {
      ++state_.nonfinite_total;
      ++state_.nonfinite_consecutive;
    } else {
      state_.nonfinite_consecutive = 0;
    }
    const bool log_now = state_.step % t_.log_every == 0 || state_.step == length_.total_steps || out.skipped;
    if (log_now) log_step(out, lr);
    if (!out.skipped) last_loss_ = out.loss.item<double>();
    if (out.skipped) {
      const bool loss_bad = !std::isfinite(out.loss.item<double>());
      event("nonfinite", std::string(loss_bad ? "loss" : "gradient norm") + " is not finite; step " +
                             std::to_string(state_.step) + " skipped (" + std::to_string(state_.nonfinite_consecutive) +
                             " in a row, " + std::to_string(state_.nonfinite_total) + " in total)");
      if (state_.nonfinite_consecutive >= t_.max_consecutive_nonfinite) {
        // Weights and moments are those of the last good step; the checkpoint's
        // data position lies past the bad batches, so resuming skips them.
        save_checkpoint("nonfinite");
        status("failed", std::to_string(state_.nonfinite_consecutive) +
                             " steps in a row had a non-finite loss or gradient (--max-consecutive-nonfinite=" +
                             std::to_string(t_.max_consecutive_nonfinite) +
                             "); lower --lr, check the data, or raise the limit; the checkpoint holds the last good "
                             "weights");
        return kExitNonfinite;
      }
    }
    if (t_.router_stats_every > 0 && state_.step % t_.router_stats_every == 0) write_router_record();
    if (t_.val_every > 0 && state_.step % t_.val_every == 0) run_validation();
    if (t_.checkpoint_every > 0 && state_.step % t_.checkpoint_every == 0) save_checkpoint("interval");
  }

  if (const int sig = stop_signal(); sig != 0) {
    heartbeat_->set_phase(Phase::kStopping);
    event("signal", std::string(signal_name(sig)) + " received; saving a checkpoint and stopping");
    save_checkpoint("signal");
    status("stopped", std::string("stopped by ") + signal_name(sig) + " at step " + std::to_string(state_.step) +
                          "; resume with --resume auto");
    return 0;
  }
  // A resume that finds nothing left to train has already validated this state.
  const bool trained_now = state_.step > (resumed_ ? resumed_->first : 0);
  if (t_.val_every > 0 && last_val_step_ != state_.step && trained_now) run_validation();
  heartbeat_->set_phase(Phase::kStopping);
  save_checkpoint("final");
  status("completed", "reached the end of training (" + std::to_string(length_.total_steps) + " steps, " +
                          std::to_string(state_.tokens) + " tokens)");
  return 0;
}

int Trainer::run() {
  check_before_writing();  // config::ConfigError escapes: nothing written

  util::make_dirs(t_.run_dir);
  util::make_dirs(checkpoints_dir_);
  metrics_ = std::make_unique<metrics::MetricsFile>(t_.run_dir + "/metrics.jsonl");
  attempt_ = metrics_->previous_attempts() + 1;
  install_stop_handlers();
  heartbeat_ = std::make_unique<metrics::Heartbeat>(t_.run_dir, t_.heartbeat_every);
  bool header_written = false;
  try {
    build();
    resume_or_fork();
    write_header();
    header_written = true;
    for (const auto& [kind, message] : pending_events_) event(kind, message);
    heartbeat_->set_step(state_.step);
    log_ << "moetrain " << build_info::kVersion << ": " << model::count_parameters(cfg_.model).total
         << " parameters on " << device_.name << " (" << dtype_name(device_.param_dtype) << ", " << device_.cpu_threads
         << " threads), " << length_.total_steps << " steps of " << length_.tokens_per_step
         << " tokens, data: " << data_.describe
         << (resumed_ ? ", resumed from " + resumed_->second : std::string(", fresh start")) << std::endl;
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
