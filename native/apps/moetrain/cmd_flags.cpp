// `moetrain flags [--json]`: the flag registry itself, as Markdown tables (the
// form docs/trainer-cli.md embeds) or as JSON for tools that build forms or
// validate launches without running `moetrain config`.
#include <ostream>

#include "cli.h"
#include "config/flags.h"
#include "util/json_writer.h"
#include "util/strings.h"

namespace moe::cli {

namespace {

std::string markdown_cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  return out;
}

}  // namespace

int run_flags(const ParsedArgs& args, std::ostream& out) {
  const auto& table = config::flag_table();
  if (args.json) {
    util::JsonWriter json(out);
    json.begin_array();
    for (const auto& spec : table) {
      json.begin_object();
      json.key("name").value(spec.name);
      json.key("type").value(config::to_string(spec.type));
      json.key("default").value(spec.default_value);
      json.key("group").value(config::to_string(spec.group));
      json.key("min");
      if (spec.min)
        json.value(*spec.min);
      else
        json.null();
      json.key("min_exclusive").value(spec.min_open);
      json.key("max");
      if (spec.max && *spec.max < 9e18)
        json.value(*spec.max);
      else
        json.null();
      json.key("max_exclusive").value(spec.max_open);
      json.key("choices").begin_array();
      for (const auto& c : spec.choices) json.value(c);
      json.end_array();
      json.key("allow_empty").value(spec.type == config::FlagType::kString && spec.allow_empty);
      json.key("help").value(spec.help);
      json.end_object();
    }
    json.end_array();
    out << "\n";
    return kExitOk;
  }
  const char* group = nullptr;
  for (const auto& spec : table) {
    const char* g = config::to_string(spec.group);
    if (group == nullptr || std::string(group) != g) {
      if (group != nullptr) out << "\n";
      group = g;
      out << "### " << g << " flags\n\n"
          << "| flag | type | default | range | description |\n"
          << "|---|---|---|---|---|\n";
    }
    const std::string def = spec.default_value.empty() ? "\"\"" : spec.default_value;
    const std::string range = spec.range_text();
    out << "| `--" << spec.name << "` | " << markdown_cell(config::to_string(spec.type)) << " | `" << def << "` | ";
    if (!range.empty()) out << '`' << markdown_cell(range) << '`';
    out << " | " << markdown_cell(spec.help) << " |\n";
  }
  return kExitOk;
}

}  // namespace moe::cli
