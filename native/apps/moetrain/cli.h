// Command-line plumbing shared by the subcommands: the subcommand table,
// argument parsing into a ConfigRequest, generated --help, and exit codes.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "config/flags.h"

namespace moe::cli {

// Exit codes (docs/trainer-cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;    // runtime failure
inline constexpr int kExitUsage = 2;      // bad command line or configuration; nothing was written
inline constexpr int kExitNonfinite = 3;  // train: too many non-finite steps in a row

struct ParsedArgs {
  bool help = false;
  bool json = false;
  config::ConfigRequest request;
  std::map<std::string, std::string> options;  // the subcommand's own valued options (--checkpoint, ...)
  std::vector<config::ConfigError> errors;     // collected instead of thrown when the subcommand collects errors
};

// A valued option that belongs to one subcommand rather than to the configuration.
struct OptionSpec {
  const char* name;         // without dashes
  const char* placeholder;  // "DIR", "N"
  const char* help;
  bool is_switch = false;  // boolean: --name, --no-name, --name=true|false; stored as "true"/"false"
};

struct Subcommand {
  const char* name;
  const char* summary;
  const char* usage;  // after "moetrain "
  bool takes_config;  // accepts --preset/--flags-file/--presets-dir and every config flag
  bool takes_json;    // accepts --json
  int (*run)(const ParsedArgs& args, std::ostream& out);
  std::vector<OptionSpec> options = {};
  bool collects_errors = false;  // report every bad flag at once (plan) instead of stopping at the first
};

const std::vector<Subcommand>& subcommands();

// Parses the arguments after the subcommand name. Throws config::ConfigError.
ParsedArgs parse_args(const Subcommand& cmd, const std::vector<std::string>& args);

void print_main_help(std::ostream& out);
void print_subcommand_help(const Subcommand& cmd, std::ostream& out);

// Subcommands (one file each).
int run_version(const ParsedArgs& args, std::ostream& out);
int run_config(const ParsedArgs& args, std::ostream& out);
int run_params(const ParsedArgs& args, std::ostream& out);
int run_train(const ParsedArgs& args, std::ostream& out);
int run_eval(const ParsedArgs& args, std::ostream& out);
int run_plan(const ParsedArgs& args, std::ostream& out);

// {"errors": [{"flag", "message", "hint"}]} for configuration errors (--json callers).
void write_errors_json(std::ostream& out, const std::vector<config::ConfigError>& errors);
int run_flags(const ParsedArgs& args, std::ostream& out);
int run_export_hf(const ParsedArgs& args, std::ostream& out);
int run_tokenize(const ParsedArgs& args, std::ostream& out);

// `moetrain --version`: one human-readable line.
void print_version_line(std::ostream& out);

}  // namespace moe::cli
