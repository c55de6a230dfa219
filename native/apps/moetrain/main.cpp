// moetrain entry point: dispatches to the subcommands in this directory and maps
// errors to exit codes (2 for configuration mistakes, 1 for runtime failures;
// `train` returns 3 itself after a non-finite streak).
#include <exception>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli.h"
#include "config/config_error.h"
#include "process_setup.h"
#include "util/error_text.h"
#include "util/strings.h"

int main(int argc, char** argv) {
  using namespace moe;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    cli::print_main_help(std::cerr);
    return cli::kExitUsage;
  }
  const std::string first = args.front();
  if (first == "--version" || first == "-V") {
    if (args.size() > 1) {
      std::cerr << "moetrain: error: --version takes no further arguments\n";
      return cli::kExitUsage;
    }
    try {
      cli::print_version_line(std::cout);
      return cli::kExitOk;
    } catch (const std::exception& e) {
      std::cerr << "moetrain: error: " << e.what() << "\n";
      return cli::kExitFailure;
    }
  }
  if (first == "--help" || first == "-h") {
    cli::print_main_help(std::cout);
    return cli::kExitOk;
  }

  std::string name = first;
  bool help_requested = false;
  if (first == "help") {
    if (args.size() == 1) {
      cli::print_main_help(std::cout);
      return cli::kExitOk;
    }
    name = args[1];
    help_requested = true;
  }

  const cli::Subcommand* cmd = nullptr;
  std::vector<std::string> names;
  for (const auto& c : cli::subcommands()) {
    names.push_back(c.name);
    if (name == c.name) cmd = &c;
  }
  if (!cmd) {
    const std::string guess = util::nearest(name, names);
    std::cerr << "moetrain: error: unknown subcommand '" << name << "'; "
              << (guess.empty() ? "" : "did you mean `moetrain " + guess + "`? ")
              << "run `moetrain --help` for the list\n";
    return cli::kExitUsage;
  }
  if (help_requested) {
    cli::print_subcommand_help(*cmd, std::cout);
    return cli::kExitOk;
  }
  cli::prepare_compute_process(cmd->name, argv);

  try {
    const cli::ParsedArgs parsed = cli::parse_args(*cmd, {args.begin() + 1, args.end()});
    if (parsed.help) {
      cli::print_subcommand_help(*cmd, std::cout);
      return cli::kExitOk;
    }
    // Render into a buffer first so a failure half-way writes nothing to stdout.
    std::ostringstream out;
    const int rc = cmd->run(parsed, out);
    std::cout << out.str() << std::flush;
    return rc;
  } catch (const config::ConfigError& e) {
    // --json callers (the workbench) get the error as JSON on stdout as well.
    bool json = false;
    for (const auto& a : args) json = json || (cmd->takes_json && a == "--json");
    if (json) cli::write_errors_json(std::cout, {e});
    std::cerr << "moetrain " << cmd->name << ": error: " << e.what() << "\n";
    return cli::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "moetrain " << cmd->name << ": error: " << util::error_text(e) << "\n";
    return cli::kExitFailure;
  }
}
