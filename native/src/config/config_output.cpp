// Text and JSON renderings of a resolved configuration.
#include "config/config_output.h"

#include "model/config.h"
#include "moetrain/build_info.h"

namespace moe::config {

void write_flags_text(std::ostream& out, const ResolvedConfig& r) {
  out << "# moetrain " << build_info::kVersion << " resolved configuration\n";
  out << "# preset: " << (r.preset.empty() ? "none" : r.preset + " (" + r.preset_path + ")") << "\n";
  out << "# flags file: " << (r.flags_file.empty() ? "none" : r.flags_file) << "\n";
  const auto& table = flag_table();
  const char* group = nullptr;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const char* g = to_string(table[i].group);
    if (group == nullptr || std::string(group) != g) {
      group = g;
      out << "# [" << g << "]\n";
    }
    out << "--" << table[i].name << "=" << r.flags.values()[i].text << "\n";
  }
}

void write_flag_json_value(util::JsonWriter& json, const FlagSpec& spec, const FlagValue& v) {
  switch (spec.type) {
    case FlagType::kInt: json.value(static_cast<long long>(v.int_value)); return;
    case FlagType::kIntOrAuto:
      if (v.is_auto)
        json.value("auto");
      else
        json.value(static_cast<long long>(v.int_value));
      return;
    case FlagType::kFloat: json.value(v.float_value); return;
    case FlagType::kBool: json.value(v.bool_value); return;
    case FlagType::kChoice:
    case FlagType::kString: json.value(v.string_value); return;
  }
}

void write_config_json(std::ostream& out, const ResolvedConfig& r) {
  util::JsonWriter json(out);
  json.begin_object();
  json.key("moetrain").value(build_info::kVersion);
  json.key("preset");
  if (r.preset.empty())
    json.null();
  else
    json.value(r.preset);
  json.key("preset_path");
  if (r.preset_path.empty())
    json.null();
  else
    json.value(r.preset_path);
  json.key("flags_file");
  if (r.flags_file.empty())
    json.null();
  else
    json.value(r.flags_file);

  const auto& table = flag_table();
  json.key("flags").begin_object();
  for (std::size_t i = 0; i < table.size(); ++i) {
    json.key(table[i].name);
    write_flag_json_value(json, table[i], r.flags.values()[i]);
  }
  json.end_object();
  json.key("sources").begin_object();
  for (std::size_t i = 0; i < table.size(); ++i) json.key(table[i].name).value(to_string(r.flags.values()[i].source));
  json.end_object();

  const model::ModelConfig& m = r.config.model;
  const TrainConfig& t = r.config.train;
  const model::ParamCounts p = model::count_parameters(m);
  json.key("derived").begin_object();
  json.key("attention_dim").value(static_cast<long long>(m.attention_dim()));
  json.key("num_attention_heads").value(static_cast<long long>(m.num_attention_heads()));
  json.key("tokens_per_step_per_rank")
      .value(static_cast<long long>(t.training.micro_batch_size * t.training.grad_accum_steps * t.training.seq_len));
  json.key("params_total").value(static_cast<long long>(p.total));
  json.key("params_active_non_embedding").value(static_cast<long long>(p.active_non_embedding));
  json.key("params_active_with_embedding").value(static_cast<long long>(p.active_with_embedding));
  json.end_object();
  json.end_object();
  out << "\n";
}

}  // namespace moe::config
