// Checkpoint assembly, retention, resume and fork.
#include "checkpoint/checkpointer.h"

#include <ATen/ATen.h>

#include <stdexcept>

#include "moetrain/build_info.h"
#include "util/error_text.h"
#include "util/strings.h"

namespace moe::checkpoint {

Checkpointer::Checkpointer(std::string checkpoints_dir, bool verify, RetentionPolicy retention, optim::AdamW& optimizer,
                           data::DataLoader& loader, RestoreGenerators restore_generators)
    : dir_(std::move(checkpoints_dir)),
      verify_(verify),
      retention_(retention),
      optimizer_(optimizer),
      loader_(loader),
      restore_generators_(std::move(restore_generators)) {}

void Checkpointer::restore(const Loaded& loaded, bool full, const StartRequest& request, StartPoint& start) {
  optimizer_.load_master_weights(loaded.model);
  if (!full) return;
  const SavedState saved = read_trainer_state(loaded.trainer);
  optimizer_.load_moments(loaded.optimizer, saved.optimizer_step);
  start.state = saved.train;
  if (start.state.nonfinite_consecutive >= request.max_consecutive_nonfinite) start.state.nonfinite_consecutive = 0;
  loader_.restore(saved.loader);
  restore_generators_(loaded.trainer);
  const auto diffs = config_differences(loaded.config_flags, *request.flags);
  if (!diffs.empty()) {
    start.events.push_back({"warning", "flags changed since the checkpoint: " + util::join(diffs, "; ")});
  }
  if (saved.seq_len != request.seq_len || saved.data_source != request.data_source) {
    start.events.push_back({"warning", "the training data changed since the checkpoint (was " + saved.data_source +
                                           ", seq-len " + std::to_string(saved.seq_len) +
                                           "); its data position is kept"});
  }
}

StartPoint Checkpointer::start(const StartRequest& request) {
  StartPoint start;
  for (const auto& name : remove_partial(dir_)) {
    start.events.push_back(
        {"checkpoint_deleted", "removed checkpoints/" + name + ", left unfinished by an interrupted write"});
  }
  if (request.resume == "auto") {
    std::string last_problem;
    int tried = 0;
    for (const auto& listing : list_checkpoints(dir_)) {
      if (!listing.complete) continue;
      ++tried;
      try {
        const Loaded loaded = load_checkpoint(listing.dir, verify_);
        restore(loaded, /*full=*/true, request, start);
        start.resumed = {start.state.step, "checkpoints/" + listing.name};
        break;
      } catch (const std::exception& e) {
        last_problem = util::error_text(e);
        start.events.push_back({"checkpoint_invalid", "checkpoints/" + listing.name + " cannot be resumed from: " +
                                                          last_problem + "; trying the next older checkpoint"});
      }
    }
    if (!start.resumed && tried > 0) {
      throw std::runtime_error("none of the " + std::to_string(tried) + " checkpoints in " + dir_ +
                               " can be resumed from (last problem: " + last_problem +
                               "); move them away to start over, or pass --resume PATH");
    }
  } else if (request.resume != "none") {
    const Loaded loaded = load_checkpoint(request.resume, verify_);
    restore(loaded, /*full=*/true, request, start);
    start.resumed = {start.state.step, request.resume};
  }
  if (!start.resumed && !request.fork_from.empty()) {
    const Loaded loaded = load_checkpoint(request.fork_from, verify_);
    restore(loaded, /*full=*/false, request, start);
    ForkInfo fork;
    fork.checkpoint = request.fork_from;
    fork.step = loaded.manifest.step;
    const SavedState saved = read_trainer_state(loaded.trainer);
    if (request.fork_optimizer) {
      optimizer_.load_moments(loaded.optimizer, saved.optimizer_step);
      fork.optimizer = true;
    }
    // Same data (or sources of the same name): continue after what the source
    // run has read rather than repeat it.
    bool shared_source = false;
    for (const auto& name : loader_.source_names()) shared_source = shared_source || saved.loader.sources.count(name);
    if (saved.seq_len == request.seq_len &&
        (shared_source || (saved.loader.sources.empty() && saved.data_source == request.data_source))) {
      loader_.restore(saved.loader);
      fork.data_position = true;
    }
    start.fork = fork;
  }
  return start;
}

SavedState Checkpointer::snapshot(const TrainState& train, const std::string& data_source, std::int64_t seq_len) const {
  SavedState saved;
  saved.train = train;
  saved.loader = loader_.state();
  saved.optimizer_step = optimizer_.step_count();
  saved.data_source = data_source;
  saved.seq_len = seq_len;
  saved.data_phase = static_cast<std::int64_t>(loader_.phase());
  return saved;
}

SaveResult Checkpointer::save(const SavedState& saved, const optim::WsdSchedule& schedule, const WriterFacts& writer,
                              const std::string& config_flags) {
  Contents c;
  c.step = saved.train.step;
  c.tokens = saved.train.tokens;
  c.model = optimizer_.master_weights();
  c.optimizer = optimizer_.moments();
  c.optimizer.emplace_back("step", at::scalar_tensor(optimizer_.step_count(), at::kLong));
  c.trainer = make_trainer_state(saved, schedule, writer);
  c.config_flags = config_flags;
  c.val_loss = saved.train.last_val_loss;
  SaveResult result;
  result.written = write_checkpoint(dir_, c, std::string("moetrain ") + build_info::kVersion);
  result.plan = plan_retention_on_disk(dir_, retention_, result.written.name);
  return result;
}

std::vector<std::string> Checkpointer::remove_deleted(const SaveResult& result) {
  return remove_checkpoints(dir_, result.plan.deleted);
}

}  // namespace moe::checkpoint
