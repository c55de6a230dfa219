// trainer.pt contents.
#include "checkpoint/trainer_state.h"

#include <ATen/ATen.h>

#include <set>

#include "checkpoint/checkpoint.h"
#include "moetrain/build_info.h"

namespace moe::checkpoint {

c10::impl::GenericDict make_trainer_state(const SavedState& s, const optim::WsdSchedule& schedule,
                                          const WriterFacts& writer) {
  c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
  d.insert("format", static_cast<std::int64_t>(kFormatVersion));
  d.insert("moetrain", std::string(build_info::kVersion));
  d.insert("run_id", writer.run_id);
  d.insert("attempt", writer.attempt);
  // What the weights were trained as (model.pt always holds fp32 masters): an
  // exporter's default output dtype.
  d.insert("param_dtype", writer.param_dtype);
  d.insert("device", writer.device);
  d.insert("step", s.train.step);
  d.insert("tokens", s.train.tokens);
  d.insert("elapsed", s.train.elapsed);
  d.insert("nonfinite_total", s.train.nonfinite_total);
  d.insert("nonfinite_consecutive", s.train.nonfinite_consecutive);
  d.insert("last_val_loss", s.train.last_val_loss ? c10::IValue(*s.train.last_val_loss) : c10::IValue());
  d.insert("optimizer_step", s.optimizer_step);
  d.insert("data.cursor", s.loader.cursor);
  c10::impl::GenericDict sources(c10::StringType::get(), c10::IntType::get());
  for (const auto& [name, cursor] : s.loader.sources) sources.insert(name, cursor);
  d.insert("data.sources", sources);
  d.insert("data.phase", s.data_phase);
  d.insert("data.source", s.data_source);
  d.insert("data.seq_len", s.seq_len);
  d.insert("schedule.peak_lr", schedule.peak_lr);
  d.insert("schedule.min_lr", schedule.min_lr);
  d.insert("schedule.warmup_steps", schedule.warmup_steps);
  d.insert("schedule.decay_start", schedule.decay_start);
  d.insert("schedule.decay_steps", schedule.decay_steps);
  d.insert("schedule.decay_form", std::string(config::to_string(schedule.form)));
  for (const auto& [name, state] : writer.generators) d.insert(name, state);
  return d;
}

SavedState read_trainer_state(const c10::impl::GenericDict& d) {
  const std::int64_t format = get_int(d, "format");
  if (format > kFormatVersion) {
    throw std::runtime_error("trainer.pt has format " + std::to_string(format) + "; upgrade moetrain to read it");
  }
  SavedState s;
  s.train.step = get_int(d, "step");
  s.train.tokens = get_int(d, "tokens");
  s.train.elapsed = get_double(d, "elapsed");
  s.train.nonfinite_total = get_int(d, "nonfinite_total");
  s.train.nonfinite_consecutive = get_int(d, "nonfinite_consecutive");
  if (has_key(d, "last_val_loss")) {
    const auto it = d.find(c10::IValue(std::string("last_val_loss")));
    if (it->value().isDouble()) s.train.last_val_loss = it->value().toDouble();
  }
  s.optimizer_step = get_int(d, "optimizer_step");
  s.loader.cursor = get_int(d, "data.cursor");
  if (has_key(d, "data.sources")) {  // absent in checkpoints of single-source runs before mixtures
    const auto it = d.find(c10::IValue(std::string("data.sources")));
    if (!it->value().isGenericDict()) throw std::runtime_error("trainer.pt entry 'data.sources' is not a dict");
    for (const auto& entry : it->value().toGenericDict()) {
      if (!entry.key().isString() || !entry.value().isInt()) {
        throw std::runtime_error("trainer.pt entry 'data.sources' holds a non-integer cursor");
      }
      s.loader.sources[entry.key().toStringRef()] = entry.value().toInt();
    }
  }
  if (has_key(d, "data.phase")) s.data_phase = get_int(d, "data.phase");
  s.data_source = get_string(d, "data.source");
  s.seq_len = get_int(d, "data.seq_len");
  return s;
}

std::vector<std::string> config_differences(const std::string& checkpoint_flags, const config::FlagSet& now) {
  static const std::set<std::string> kProcessOnly = {
      "run-id",     "run-dir", "resume", "fork-from", "fork-optimizer", "heartbeat-every", "verify-checkpoints",
      "cpu-threads"};
  std::vector<std::string> out;
  std::vector<config::Assignment> saved;
  try {
    saved = config::parse_flags_text(checkpoint_flags, "checkpoint config.flags");
  } catch (const std::exception&) {
    return {"(the checkpoint's config.flags could not be read)"};
  }
  for (const auto& a : saved) {
    const config::FlagSpec* spec = config::find_flag(a.name);
    if (!spec || !a.value || kProcessOnly.count(a.name)) continue;  // unknown to this build, or bare
    std::string old_text;
    try {
      old_text = config::parse_flag_value(*spec, *a.value).text;
    } catch (const std::exception&) {
      old_text = *a.value;
    }
    const std::string& new_text = now.get(a.name).text;
    if (old_text != new_text) out.push_back("--" + a.name + ": " + old_text + " -> " + new_text);
  }
  return out;
}

}  // namespace moe::checkpoint
