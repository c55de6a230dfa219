// Printing resolved configurations: as a flags file (re-readable with
// --flags-file) or as one JSON object for the workbench.
#pragma once

#include <ostream>

#include "config/flags.h"
#include "util/json_writer.h"

namespace moe::config {

// Every flag as `--name=value`, grouped, with '#' comment headers; feeding the
// output back through --flags-file reproduces the same configuration.
void write_flags_text(std::ostream& out, const ResolvedConfig& resolved);

// Writes the value of one flag with its JSON type (number, bool, string; "auto").
void write_flag_json_value(util::JsonWriter& json, const FlagSpec& spec, const FlagValue& value);

// {"moetrain", "preset", "preset_path", "flags_file", "flags": {name: value},
//  "sources": {name: "default"|"preset"|"flags-file"|"command-line"}, "derived": {...}}
void write_config_json(std::ostream& out, const ResolvedConfig& resolved);

}  // namespace moe::config
