// The flag registry and resolution: a declarative table of every architecture and
// training flag (name, type, default, range/choices, group, help), typed parsing,
// flags files, presets, and the precedence default < preset < flags file < command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.h"
#include "config/run_config.h"

namespace moe::config {

enum class FlagType { kInt, kIntOrAuto, kFloat, kBool, kChoice, kString };
enum class FlagGroup { kModel, kTraining, kSchedule, kOptimizer, kData, kRun };

const char* to_string(FlagType type);
const char* to_string(FlagGroup group);

struct FlagValue;

// One row of the registry. Build rows with the *_flag helpers in flag_table.cpp.
struct FlagSpec {
  std::string name;  // without dashes: "hidden-size"
  FlagType type = FlagType::kInt;
  std::string default_value;  // canonical text
  // Numeric range (kInt, kIntOrAuto, kFloat); bounds are inclusive unless *_open.
  std::optional<double> min, max;
  bool min_open = false, max_open = false;
  std::vector<std::string> choices;  // kChoice
  bool allow_empty = false;          // kString
  FlagGroup group = FlagGroup::kModel;
  std::string help;
  void (*apply)(RunConfig&, const FlagValue&) = nullptr;  // stores the value in RunConfig

  // "[1, 65536]", "(0, 1)", "auto|grouped|loop", "true|false", "" for free text.
  std::string range_text() const;
};

// The registry, in help order. Names are unique.
const std::vector<FlagSpec>& flag_table();
// nullptr when unknown.
const FlagSpec* find_flag(std::string_view name);
std::vector<std::string> flag_names();

enum class Source { kDefault, kPreset, kFlagsFile, kCommandLine };
const char* to_string(Source source);

// A parsed, range-checked value. Exactly one of the typed members is meaningful.
struct FlagValue {
  std::string text;  // canonical text, valid as --name=<text>
  std::int64_t int_value = 0;
  double float_value = 0;
  bool bool_value = false;
  bool is_auto = false;          // kIntOrAuto holding "auto"
  std::string string_value;      // kChoice and kString
  std::size_t choice_index = 0;  // kChoice: position in FlagSpec::choices
  Source source = Source::kDefault;
  std::string origin;  // where it was set, for messages: "flags file run.flags:3"
};

// Parses `text` for `spec`; throws ConfigError naming the flag (and `origin`).
FlagValue parse_flag_value(const FlagSpec& spec, std::string_view text, std::string_view origin = "");

// One `--name[=value]` seen on a command line or in a file, before validation.
struct Assignment {
  std::string name;                  // without dashes
  std::optional<std::string> value;  // nullopt for a bare flag (`--tie-embeddings`)
  std::string origin;                // "command line", "flags file x.flags:3"
};

// Parses the text of a flags file: one `--name=value` (or bare `--name`) per
// line; blank lines and lines starting with '#' are ignored. Throws ConfigError
// for a line that is not a flag. `origin` prefixes positions ("flags file P").
std::vector<Assignment> parse_flags_text(std::string_view text, const std::string& origin);
std::vector<Assignment> read_flags_file(const std::string& path, const std::string& origin_kind);

// Values for every flag in the table, starting at the defaults.
class FlagSet {
 public:
  FlagSet();
  // Validates and stores one assignment (bare booleans mean true, `no-X` means X=false).
  void apply(const Assignment& assignment, Source source);
  const FlagValue& get(std::string_view name) const;
  // In flag_table() order.
  const std::vector<FlagValue>& values() const { return values_; }
  RunConfig to_run_config() const;

 private:
  std::vector<FlagValue> values_;  // parallel to flag_table()
};

// What a subcommand asks for; filled by the CLI.
struct ConfigRequest {
  std::optional<std::string> preset;       // --preset NAME
  std::optional<std::string> flags_file;   // --flags-file PATH
  std::optional<std::string> presets_dir;  // --presets-dir DIR
  std::vector<Assignment> command_line;    // everything else, in order
};

struct ResolvedConfig {
  RunConfig config;
  FlagSet flags;
  std::string preset;       // empty when none
  std::string preset_path;  // file the preset came from
  std::string flags_file;   // empty when none
};

// Applies defaults < preset < flags file < command line, then checks ranges and
// combinations. Throws ConfigError on the first problem.
ResolvedConfig resolve_config(const ConfigRequest& request);

// Throws ConfigError for an unknown flag name, suggesting the nearest known one
// (from the registry plus `extra_names`, e.g. the subcommand's own options).
void check_flag_name(std::string_view name, std::string_view origin, const std::vector<std::string>& extra_names = {});

}  // namespace moe::config
