// `moetrain plan`: the one call the launch wizard makes on every edit. Prints
// the resolved configuration, parameter counts, FLOPs, run length, a memory
// estimate per device and the learning-rate curve, or every configuration
// error found (exit 2; with --json as {"ok": false, "errors": [...]}).
#include <cstdio>
#include <iostream>
#include <optional>
#include <ostream>

#include "cli.h"
#include "config/config_output.h"
#include "config/presets.h"
#include "data/data_setup.h"
#include "model/config.h"
#include "train/plan.h"
#include "util/json_writer.h"
#include "util/strings.h"

namespace moe::cli {

namespace {

// resolve_config, but recording each bad assignment and carrying on, so the
// wizard can mark every wrong field at once.
config::ResolvedConfig resolve_collecting(const config::ConfigRequest& request,
                                          std::vector<config::ConfigError>& errors) {
  config::ResolvedConfig out;
  const auto apply_all = [&](const std::vector<config::Assignment>& assignments, config::Source source) {
    for (const auto& a : assignments) {
      try {
        out.flags.apply(a, source);
      } catch (const config::ConfigError& e) {
        errors.push_back(e);
      }
    }
  };
  try {
    if (request.preset) {
      const config::PresetsDir dir = config::find_presets_dir(request.presets_dir);
      out.preset = *request.preset;
      out.preset_path = config::preset_file(dir, *request.preset);
      apply_all(config::read_flags_file(out.preset_path, "preset"), config::Source::kPreset);
    }
  } catch (const config::ConfigError& e) {
    errors.push_back(e);
  }
  try {
    if (request.flags_file) {
      out.flags_file = *request.flags_file;
      apply_all(config::read_flags_file(*request.flags_file, "flags file"), config::Source::kFlagsFile);
    }
  } catch (const config::ConfigError& e) {
    errors.push_back(e);
  }
  apply_all(request.command_line, config::Source::kCommandLine);
  out.config = out.flags.to_run_config();
  return out;
}

std::int64_t option_int(const ParsedArgs& args, const char* name, std::int64_t fallback, std::int64_t lo,
                        std::int64_t hi, std::vector<config::ConfigError>& errors) {
  const auto it = args.options.find(name);
  if (it == args.options.end()) return fallback;
  try {
    std::size_t used = 0;
    const long long v = std::stoll(it->second, &used);
    if (used == it->second.size() && v >= lo && v <= hi) return v;
  } catch (const std::exception&) {}
  errors.emplace_back(
      name, "expects an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got '" + it->second + "'",
      "write --" + std::string(name) + "=N");
  return fallback;
}

std::string flops_text(double flops) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g", flops);
  return buf;
}

void write_memory(util::JsonWriter& json, const train::MemoryEstimate& m) {
  json.begin_object();
  json.key("device").value(m.device);
  json.key("param_dtype").value(m.param_dtype);
  json.key("weights").value(static_cast<long long>(m.weights));
  json.key("master_weights").value(static_cast<long long>(m.master_weights));
  json.key("grads").value(static_cast<long long>(m.grads));
  json.key("optimizer").value(static_cast<long long>(m.optimizer));
  json.key("activations").value(static_cast<long long>(m.activations));
  json.key("logits").value(static_cast<long long>(m.logits));
  json.key("runtime").value(static_cast<long long>(m.runtime));
  json.key("total").value(static_cast<long long>(m.total));
  json.key("formula").value("see docs/trainer-cli.md#memory-estimate");
  json.end_object();
}

}  // namespace

int run_plan(const ParsedArgs& args, std::ostream& out) {
  std::vector<config::ConfigError> errors = args.errors;
  const std::int64_t world = option_int(args, "world-size", 1, 1, 1 << 20, errors);
  const std::int64_t points = option_int(args, "curve-points", 200, 2, 100000, errors);
  const config::ResolvedConfig resolved = resolve_collecting(args.request, errors);
  std::optional<train::Plan> plan;
  if (errors.empty()) {
    try {
      config::validate_combinations(resolved.config);
      data::check_data_flags(resolved.config);
      plan = train::make_plan(resolved.config, world, points);
    } catch (const config::ConfigError& e) {
      errors.push_back(e);
    }
  }
  if (!errors.empty()) {
    if (args.json) write_errors_json(out, errors);
    for (const auto& e : errors) std::cerr << "moetrain plan: error: " << e.what() << "\n";
    return kExitUsage;
  }

  const model::ModelConfig& m = resolved.config.model;
  const model::ParamCounts p = model::count_parameters(m);
  if (!args.json) {
    out << "model: " << util::group_thousands(p.total) << " parameters, "
        << util::group_thousands(p.active_non_embedding) << " active per token (non-embedding)\n"
        << "run: " << plan->length.total_steps << " steps x " << plan->length.tokens_per_step
        << " tokens = " << util::si_format(static_cast<double>(plan->length.total_tokens)) << " tokens, "
        << flops_text(plan->total_flops) << " FLOP\n"
        << "schedule: warmup " << plan->schedule.warmup_steps << ", decay (" << config::to_string(plan->schedule.form)
        << ") steps " << plan->schedule.decay_start + 1 << ".."
        << plan->schedule.decay_start + plan->schedule.decay_steps << ", lr "
        << util::format_double(plan->schedule.peak_lr) << " -> " << util::format_double(plan->schedule.min_lr) << "\n"
        << "memory per " << plan->memory.device << " device (" << plan->memory.param_dtype
        << "): " << util::si_format(static_cast<double>(plan->memory.total)) << "B\n";
    for (const auto& w : plan->warnings) out << "warning: " << w << "\n";
    return kExitOk;
  }

  util::JsonWriter json(out);
  json.begin_object();
  json.key("ok").value(true);
  json.key("preset");
  if (resolved.preset.empty())
    json.null();
  else
    json.value(resolved.preset);
  json.key("config").begin_object();
  const auto& table = config::flag_table();
  for (std::size_t i = 0; i < table.size(); ++i) {
    json.key(table[i].name);
    config::write_flag_json_value(json, table[i], resolved.flags.values()[i]);
  }
  json.end_object();
  json.key("errors").begin_array().end_array();
  json.key("warnings").begin_array();
  for (const auto& w : plan->warnings) json.value(w);
  json.end_array();
  json.key("params").begin_object();
  json.key("total").value(static_cast<long long>(p.total));
  json.key("active").value(static_cast<long long>(p.active_non_embedding));
  json.key("active_with_embedding").value(static_cast<long long>(p.active_with_embedding));
  json.key("embedding").value(static_cast<long long>(p.embedding));
  json.end_object();
  json.key("flops_per_token").value(plan->flops_per_token);
  json.key("world_size").value(static_cast<long long>(world));
  json.key("tokens_per_step").value(static_cast<long long>(plan->length.tokens_per_step));
  json.key("total_steps").value(static_cast<long long>(plan->length.total_steps));
  json.key("total_tokens").value(static_cast<long long>(plan->length.total_tokens));
  json.key("total_flops").value(plan->total_flops);
  json.key("schedule").begin_object();
  json.key("peak_lr").value(plan->schedule.peak_lr);
  json.key("min_lr").value(plan->schedule.min_lr);
  json.key("warmup_steps").value(static_cast<long long>(plan->schedule.warmup_steps));
  json.key("decay_start_step").value(static_cast<long long>(plan->schedule.decay_start));
  json.key("decay_steps").value(static_cast<long long>(plan->schedule.decay_steps));
  json.key("decay_form").value(config::to_string(plan->schedule.form));
  json.key("phase2_start_step");
  if (plan->phase2_start)
    json.value(static_cast<long long>(*plan->phase2_start));
  else
    json.null();
  json.end_object();
  json.key("lr_curve").begin_array();
  for (const auto& c : plan->curve) {
    json.begin_array().value(static_cast<long long>(c.step)).value(c.lr).end_array();
  }
  json.end_array();
  json.key("memory");
  write_memory(json, plan->memory);
  json.end_object();
  out << "\n";
  return kExitOk;
}

}  // namespace moe::cli
