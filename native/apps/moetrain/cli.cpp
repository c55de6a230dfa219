// Subcommand table, argument parsing and generated help for moetrain.
#include "cli.h"

#include <cctype>
#include <iomanip>
#include <sstream>

#include "util/json_writer.h"
#include "util/strings.h"

namespace moe::cli {

const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> table = {
      {"version", "Print the trainer, LibTorch and CUDA versions and the visible GPUs.", "version [--json]", false,
       true, run_version},
      {"config", "Resolve and validate a configuration and print it (flags file or JSON).",
       "config [--preset NAME] [--flags-file PATH] [--presets-dir DIR] [--FLAG=VALUE ...] [--json]", true, true,
       run_config},
      {"params", "Print total and active parameter counts and training FLOPs per token.",
       "params [--preset NAME] [--flags-file PATH] [--presets-dir DIR] [--FLAG=VALUE ...] [--json]", true, true,
       run_params},
      {"train", "Train in a run directory: metrics.jsonl, heartbeat and checkpoints (exit 3: non-finite streak).",
       "train --run-dir DIR [--run-id ID] [--preset NAME] [--flags-file PATH] [--resume auto|none|PATH] "
       "[--FLAG=VALUE ...]",
       true, false, run_train},
      {"eval",
       "Held-out loss and perplexity of a checkpoint, per data domain where known.",
       "eval --checkpoint DIR [--FLAG=VALUE ...] [--json]",
       true,
       true,
       run_eval,
       {{"checkpoint", "DIR",
         "The checkpoint directory (<run-dir>/checkpoints/step-N); its config.flags sets the "
         "model and data, later flags override (e.g. --val-data, --val-tokens, --device)."}}},
      {"plan",
       "Resolve a configuration for a launch: sizes, FLOPs, steps, memory per GPU, learning-rate curve.",
       "plan [--preset NAME] [--flags-file PATH] [--presets-dir DIR] [--FLAG=VALUE ...] [--world-size N] "
       "[--curve-points N] [--json]",
       true,
       true,
       run_plan,
       {{"world-size", "N", "Data-parallel ranks to plan for (default 1)."},
        {"curve-points", "N", "Learning-rate curve samples, plus the schedule's breakpoints (default 200)."}},
       /*collects_errors=*/true},
      {"flags", "List every configuration flag: type, default, range, group, help (Markdown or JSON).",
       "flags [--json]", false, true, run_flags},
      {"export-hf",
       "Write a Hugging Face model folder (config.json, model.safetensors, tokenizer) from a checkpoint.",
       "export-hf --checkpoint DIR --out DIR [--dtype auto|fp32|bf16] [--tokenizer DIR] [--force]",
       false,
       false,
       run_export_hf,
       {{"checkpoint", "DIR", "The checkpoint to export (<run-dir>/checkpoints/step-N)."},
        {"out", "DIR", "The model folder to create (written to a temporary folder next to it, then renamed)."},
        {"dtype", "auto|fp32|bf16", "Weight dtype in model.safetensors; auto (default) = as trained."},
        {"tokenizer", "DIR", "Copy tokenizer.json, tokenizer_config.json, ... from DIR (runs on token files)."},
        {"force", "", "Replace --out when it exists and is not empty.", true},
        {"verify-checkpoints", "", "Check the checkpoint's SHA-1s, not only sizes (default true).", true},
        {"bos-token-id", "N", "bos_token_id for config.json when the run has no built-in tokenizer."},
        {"eos-token-id", "N", "eos_token_id for config.json when the run has no built-in tokenizer."},
        {"pad-token-id", "N", "pad_token_id for config.json when the run has no built-in tokenizer."}}},
      {"tokenize",
       "Encode text with the tokenizer of the synthetic corpus, or print sample training sequences.",
       "tokenize [--preset NAME] [--FLAG=VALUE ...] (--text TEXT | --file PATH | --samples N) [--json]",
       true,
       true,
       run_tokenize,
       {{"text", "TEXT", "Text to encode."},
        {"file", "PATH", "Encode the bytes of this file."},
        {"samples", "N", "Print N training sequences of every synthetic domain (text and ids)."}}},
  };
  return table;
}

namespace {

std::vector<std::string> own_option_names(const Subcommand& cmd) {
  std::vector<std::string> names = {"help"};
  for (const auto& o : cmd.options) names.push_back(o.name);
  if (cmd.takes_json) names.push_back("json");
  if (cmd.takes_config) {
    names.push_back("preset");
    names.push_back("flags-file");
    names.push_back("presets-dir");
  }
  return names;
}

// Consumes args[i] (and its value when separate), advancing i past what it used.
void parse_one(const Subcommand& cmd, const std::vector<std::string>& args, std::size_t& i, ParsedArgs& parsed,
               const std::vector<std::string>& own) {
  const std::string& arg = args[i];
  if (arg == "-h" || arg == "--help") {
    parsed.help = true;
    return;
  }
  if (!util::starts_with(arg, "--") || arg.size() < 3) {
    throw config::ConfigError("", "unexpected argument '" + arg + "' for `moetrain " + cmd.name + "`",
                              "flags are written --name=value; see `moetrain " + std::string(cmd.name) + " --help`");
  }
  const auto eq = arg.find('=');
  const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
  std::optional<std::string> value;
  if (eq != std::string::npos) value = arg.substr(eq + 1);

  if (name == "json" && cmd.takes_json) {
    if (value) throw config::ConfigError("json", "takes no value", "write --json");
    parsed.json = true;
    return;
  }
  const OptionSpec* option = nullptr;
  bool negated = false;
  for (const auto& o : cmd.options) {
    if (name == o.name) option = &o;
    if (o.is_switch && !value && name == std::string("no-") + o.name) option = &o, negated = true;
  }
  if (option && option->is_switch) {
    bool on = !negated;
    if (value) {
      std::string v = *value;
      for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (v == "true" || v == "1" || v == "yes" || v == "on") {
        on = true;
      } else if (v == "false" || v == "0" || v == "no" || v == "off") {
        on = false;
      } else {
        throw config::ConfigError(option->name, "takes true or false, not '" + *value + "'",
                                  std::string("write --") + option->name + " or --no-" + option->name);
      }
    }
    parsed.options[option->name] = on ? "true" : "false";
    return;
  }
  if (!option && !cmd.takes_config) {
    if (name == "help") {
      parsed.help = true;
      return;
    }
    const std::string guess = util::nearest(name, own);
    throw config::ConfigError(
        name, std::string("is not an option of `moetrain ") + cmd.name + "`",
        guess.empty() ? "see `moetrain " + std::string(cmd.name) + " --help`" : "did you mean --" + guess + "?");
  }
  if (option) {
    if (!value) {
      if (i + 1 < args.size() && !util::starts_with(args[i + 1], "--")) {
        value = args[++i];
      } else {
        throw config::ConfigError(name, "needs a value (command line)", "write --" + name + "=" + option->placeholder);
      }
    }
    parsed.options[name] = *value;
    return;
  }
  config::check_flag_name(name, "command line", own);

  const config::FlagSpec* spec = config::find_flag(name);
  const bool is_meta = name == "preset" || name == "flags-file" || name == "presets-dir";
  const bool needs_value = is_meta || (spec && spec->type != config::FlagType::kBool);
  if (!value && needs_value) {
    if (i + 1 < args.size() && !util::starts_with(args[i + 1], "--")) {
      value = args[++i];
    } else {
      throw config::ConfigError(name, "needs a value (command line)", "write --" + name + "=VALUE");
    }
  }
  if (name == "preset") {
    parsed.request.preset = *value;
  } else if (name == "flags-file") {
    parsed.request.flags_file = *value;
  } else if (name == "presets-dir") {
    parsed.request.presets_dir = *value;
  } else if (name == "help") {
    parsed.help = true;
  } else {
    parsed.request.command_line.push_back({name, value, "command line"});
  }
}

}  // namespace

ParsedArgs parse_args(const Subcommand& cmd, const std::vector<std::string>& args) {
  ParsedArgs parsed;
  const auto own = own_option_names(cmd);
  for (std::size_t i = 0; i < args.size(); ++i) {
    try {
      parse_one(cmd, args, i, parsed, own);
    } catch (const config::ConfigError& e) {
      if (!cmd.collects_errors) throw;
      parsed.errors.push_back(e);
    }
  }
  return parsed;
}

void write_errors_json(std::ostream& out, const std::vector<config::ConfigError>& errors) {
  util::JsonWriter json(out);
  json.begin_object();
  json.key("ok").value(false);
  json.key("errors").begin_array();
  for (const auto& e : errors) {
    json.begin_object();
    json.key("flag");
    if (e.flag().empty())
      json.null();
    else
      json.value(e.flag());
    json.key("message").value(e.problem());
    json.key("hint").value(e.fix());
    json.end_object();
  }
  json.end_array();
  json.end_object();
  out << "\n";
}

void print_main_help(std::ostream& out) {
  out << "moetrain: native trainer for JetMoE-style Mixture-of-Experts language models\n\n"
      << "usage: moetrain <subcommand> [options]\n"
      << "       moetrain --version\n"
      << "       moetrain help <subcommand>\n\n"
      << "subcommands:\n";
  for (const auto& cmd : subcommands()) {
    out << "  " << std::left << std::setw(10) << cmd.name << cmd.summary << "\n";
  }
  out << "\nexit codes: 0 success, 1 runtime failure, 2 invalid command line or configuration (nothing written),\n"
      << "            3 train stopped after too many non-finite steps in a row\n";
}

namespace {

std::string placeholder(const config::FlagSpec& spec) {
  switch (spec.type) {
    case config::FlagType::kInt: return "INT";
    case config::FlagType::kIntOrAuto: return "INT|auto";
    case config::FlagType::kFloat: return "FLOAT";
    case config::FlagType::kBool: return "BOOL";
    case config::FlagType::kChoice: return util::join(spec.choices, "|");
    case config::FlagType::kString: return "TEXT";
  }
  return "VALUE";
}

}  // namespace

void print_subcommand_help(const Subcommand& cmd, std::ostream& out) {
  out << "usage: moetrain " << cmd.usage << "\n\n" << cmd.summary << "\n\noptions:\n";
  out << "  --help                 Show this help.\n";
  if (cmd.takes_json) out << "  --json                 Print one JSON object instead of text.\n";
  for (const auto& o : cmd.options) {
    std::ostringstream left;
    left << "  --" << o.name;
    if (!o.is_switch) left << " " << o.placeholder;
    out << std::left << std::setw(25) << left.str() << o.help << "\n";
  }
  if (!cmd.takes_config) return;
  out << "  --preset NAME          Start from resources/presets/NAME.flags (directory: --presets-dir,\n"
      << "                         $MOETRAIN_PRESETS, <binary>/../../resources/presets, source tree).\n"
      << "  --flags-file PATH      Read flags from PATH: one --name=value per line, # comments.\n"
      << "  --presets-dir DIR      Directory holding the NAME.flags presets.\n\n"
      << "Precedence: built-in default < preset < flags file < command line.\n"
      << "Values: --name=value or --name value; booleans also --name / --no-name;\n"
      << "integers accept 4096, 1e4, 10B, 1.25T.\n";
  const char* group = nullptr;
  for (const auto& spec : config::flag_table()) {
    const char* g = config::to_string(spec.group);
    if (group == nullptr || std::string(group) != g) {
      group = g;
      out << "\n" << g << " flags:\n";
    }
    std::ostringstream line;
    line << "  --" << spec.name << "=" << placeholder(spec);
    out << line.str() << "\n      " << spec.help;
    const std::string range = spec.range_text();
    out << " [default " << (spec.default_value.empty() ? "\"\"" : spec.default_value);
    if (!range.empty() && spec.type != config::FlagType::kChoice && spec.type != config::FlagType::kBool) {
      out << ", range " << range;
    }
    out << "]\n";
  }
}

}  // namespace moe::cli
