// Flag parsing and resolution: typed value parsing with ranges, flags files,
// presets and the precedence default < preset < flags file < command line.
#include "config/flags.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "config/presets.h"
#include "util/json_writer.h"
#include "util/strings.h"

namespace moe::config {

const char* to_string(FlagType type) {
  switch (type) {
    case FlagType::kInt: return "int";
    case FlagType::kIntOrAuto: return "int|auto";
    case FlagType::kFloat: return "float";
    case FlagType::kBool: return "bool";
    case FlagType::kChoice: return "choice";
    case FlagType::kString: return "string";
  }
  return "?";
}

const char* to_string(FlagGroup group) {
  switch (group) {
    case FlagGroup::kModel: return "model";
    case FlagGroup::kTraining: return "training";
    case FlagGroup::kSchedule: return "schedule";
    case FlagGroup::kOptimizer: return "optimizer";
    case FlagGroup::kData: return "data";
    case FlagGroup::kRun: return "run";
  }
  return "?";
}

const char* to_string(Source source) {
  switch (source) {
    case Source::kDefault: return "default";
    case Source::kPreset: return "preset";
    case Source::kFlagsFile: return "flags-file";
    case Source::kCommandLine: return "command-line";
  }
  return "?";
}

namespace {

std::string format_bound(double v) {
  if (std::fabs(v) < 1e7 && v == std::floor(v)) return std::to_string(static_cast<long long>(v));
  if (v == std::floor(v) && std::fabs(v) < 9e15 && std::to_string(static_cast<long long>(v)).size() < 11) {
    return std::to_string(static_cast<long long>(v));
  }
  return util::format_double(v);
}

// Meta options are handled by the CLI; inside a flags file they would make the
// precedence ambiguous.
bool is_command_line_only(std::string_view name) {
  return name == "preset" || name == "flags-file" || name == "presets-dir";
}

std::string with_origin(std::string_view text, std::string_view origin) {
  std::string out = "'" + std::string(text) + "'";
  if (!origin.empty()) out += " (" + std::string(origin) + ")";
  return out;
}

// Integers: plain decimal, or a decimal/scientific number with an optional
// k/M/G/B/T suffix (powers of 1000) that evaluates to a whole number.
std::optional<std::int64_t> parse_int(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), value);
  if (res.ec == std::errc() && res.ptr == text.data() + text.size()) return value;

  double multiplier = 1;
  std::string_view number = text;
  switch (text.back()) {
    case 'k':
    case 'K': multiplier = 1e3; break;
    case 'M': multiplier = 1e6; break;
    case 'G':
    case 'B': multiplier = 1e9; break;
    case 'T': multiplier = 1e12; break;
    default: break;
  }
  if (multiplier != 1) number.remove_suffix(1);
  if (number.empty()) return std::nullopt;
  double d = 0;
  auto dres = std::from_chars(number.data(), number.data() + number.size(), d);
  if (dres.ec != std::errc() || dres.ptr != number.data() + number.size() || !std::isfinite(d)) {
    return std::nullopt;
  }
  const double scaled = d * multiplier;
  const double rounded = std::round(scaled);
  if (std::fabs(scaled - rounded) > 1e-9 * std::max(1.0, std::fabs(scaled))) return std::nullopt;
  if (std::fabs(rounded) >= 9.2e18) return std::nullopt;
  return static_cast<std::int64_t>(rounded);
}

std::optional<double> parse_float(std::string_view text) {
  if (text.empty()) return std::nullopt;
  // from_chars rejects a leading '+', which people do write.
  if (text.front() == '+') text.remove_prefix(1);
  double d = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), d);
  if (res.ec != std::errc() || res.ptr != text.data() + text.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  return std::nullopt;
}

void check_range(const FlagSpec& spec, double v, std::string_view text, std::string_view origin) {
  const bool below = spec.min && (spec.min_open ? v <= *spec.min : v < *spec.min);
  const bool above = spec.max && (spec.max_open ? v >= *spec.max : v > *spec.max);
  if (below || above) {
    throw ConfigError(spec.name, "value " + with_origin(text, origin) + " is out of range " + spec.range_text(),
                      "choose a value in " + spec.range_text());
  }
}

}  // namespace

std::string FlagSpec::range_text() const {
  switch (type) {
    case FlagType::kBool: return "true|false";
    case FlagType::kChoice: return util::join(choices, "|");
    case FlagType::kString: return "";
    case FlagType::kInt:
    case FlagType::kIntOrAuto:
    case FlagType::kFloat: {
      std::string lo = min ? format_bound(*min) : "-inf";
      std::string hi = max ? format_bound(*max) : "inf";
      if (type != FlagType::kFloat && max && *max >= 9e18) hi = "inf";
      std::string out =
          std::string(min_open || !min ? "(" : "[") + lo + ", " + hi + (max_open || hi == "inf" ? ")" : "]");
      if (type == FlagType::kIntOrAuto) out += " or auto";
      return out;
    }
  }
  return "";
}

const FlagSpec* find_flag(std::string_view name) {
  static const std::unordered_map<std::string, const FlagSpec*> index = [] {
    std::unordered_map<std::string, const FlagSpec*> m;
    for (const auto& spec : flag_table()) m.emplace(spec.name, &spec);
    return m;
  }();
  auto it = index.find(std::string(name));
  return it == index.end() ? nullptr : it->second;
}

std::vector<std::string> flag_names() {
  std::vector<std::string> names;
  for (const auto& spec : flag_table()) names.push_back(spec.name);
  return names;
}

FlagValue parse_flag_value(const FlagSpec& spec, std::string_view text, std::string_view origin) {
  FlagValue v;
  switch (spec.type) {
    case FlagType::kIntOrAuto:
      if (text == "auto") {
        v.is_auto = true;
        v.text = "auto";
        return v;
      }
      [[fallthrough]];
    case FlagType::kInt: {
      auto parsed = parse_int(text);
      if (!parsed) {
        throw ConfigError(spec.name, "expects an integer, got " + with_origin(text, origin),
                          std::string("write a whole number such as 4096 or 10B") +
                              (spec.type == FlagType::kIntOrAuto ? ", or auto" : ""));
      }
      check_range(spec, static_cast<double>(*parsed), text, origin);
      v.int_value = *parsed;
      v.text = std::to_string(*parsed);
      return v;
    }
    case FlagType::kFloat: {
      auto parsed = parse_float(text);
      if (!parsed) {
        throw ConfigError(spec.name, "expects a number, got " + with_origin(text, origin),
                          "write a finite number such as 0.0005 or 5e-4");
      }
      check_range(spec, *parsed, text, origin);
      v.float_value = *parsed;
      v.text = util::format_double(*parsed);
      return v;
    }
    case FlagType::kBool: {
      auto parsed = parse_bool(text);
      if (!parsed) {
        throw ConfigError(spec.name, "expects true or false, got " + with_origin(text, origin),
                          "write --" + spec.name + "=true, --" + spec.name + "=false or --no-" + spec.name);
      }
      v.bool_value = *parsed;
      v.text = *parsed ? "true" : "false";
      return v;
    }
    case FlagType::kChoice: {
      for (std::size_t i = 0; i < spec.choices.size(); ++i) {
        if (spec.choices[i] == text) {
          v.choice_index = i;
          v.string_value = spec.choices[i];
          v.text = spec.choices[i];
          return v;
        }
      }
      std::string fix = "choose one of " + util::join(spec.choices, ", ");
      const std::string guess = util::nearest(text, spec.choices);
      if (!guess.empty()) fix = "did you mean " + guess + "? " + fix;
      throw ConfigError(spec.name, "invalid value " + with_origin(text, origin), fix);
    }
    case FlagType::kString:
      if (text.empty() && !spec.allow_empty) {
        throw ConfigError(spec.name, "must not be empty" + (origin.empty() ? "" : " (" + std::string(origin) + ")"),
                          "give a value, e.g. --" + spec.name + "=" + spec.default_value);
      }
      if (text.find('\n') != std::string_view::npos) {
        throw ConfigError(spec.name, "value " + with_origin("...", origin) + " contains a newline",
                          "use a single-line value");
      }
      v.string_value = std::string(text);
      v.text = v.string_value;
      return v;
  }
  throw ConfigError(spec.name, "unsupported flag type", "");
}

void check_flag_name(std::string_view name, std::string_view origin, const std::vector<std::string>& extra_names) {
  if (find_flag(name)) return;
  if (util::starts_with(name, "no-")) {
    const FlagSpec* base = find_flag(name.substr(3));
    if (base && base->type == FlagType::kBool) return;
  }
  for (const auto& extra : extra_names) {
    if (extra == name) return;
  }
  std::vector<std::string> candidates = flag_names();
  candidates.insert(candidates.end(), extra_names.begin(), extra_names.end());
  const std::string guess = util::nearest(name, candidates);
  std::string problem = "unknown flag";
  if (!origin.empty()) problem += " (" + std::string(origin) + ")";
  std::string fix =
      guess.empty() ? "run `moetrain config --help` for the list of flags" : "did you mean --" + guess + "?";
  throw ConfigError(std::string(name), problem, fix);
}

std::vector<Assignment> parse_flags_text(std::string_view text, const std::string& origin) {
  std::vector<Assignment> out;
  const auto lines = util::split(text, '\n');
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string where = origin + ":" + std::to_string(i + 1);
    const std::string_view line = util::trim(lines[i]);
    if (line.empty() || line.front() == '#') continue;
    if (!util::starts_with(line, "--") || line.size() < 3) {
      throw ConfigError("", "line " + where + " is not a flag: '" + std::string(line) + "'",
                        "write one --name=value per line; comment lines start with #");
    }
    Assignment a;
    a.origin = where;
    const std::string_view body = line.substr(2);
    const auto eq = body.find('=');
    if (eq == std::string_view::npos) {
      a.name = std::string(body);
    } else {
      a.name = std::string(util::trim(body.substr(0, eq)));
      a.value = std::string(util::trim(body.substr(eq + 1)));
    }
    if (is_command_line_only(a.name)) {
      throw ConfigError(a.name, "is only accepted on the command line (" + where + ")",
                        "remove it from the file and pass it to moetrain directly");
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<Assignment> read_flags_file(const std::string& path, const std::string& origin_kind) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(origin_kind == "flags file" ? "flags-file" : "preset",
                      "cannot read " + origin_kind + " '" + path + "'", "check that the file exists and is readable");
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse_flags_text(buf.str(), origin_kind + " " + path);
}

FlagSet::FlagSet() {
  for (const auto& spec : flag_table()) {
    FlagValue v = parse_flag_value(spec, spec.default_value, "built-in default");
    v.source = Source::kDefault;
    v.origin = "default";
    values_.push_back(std::move(v));
  }
}

void FlagSet::apply(const Assignment& a, Source source) {
  check_flag_name(a.name, a.origin);
  std::string name = a.name;
  std::string text;
  const FlagSpec* spec = find_flag(name);
  if (!spec) {
    // `--no-X` for a boolean X.
    spec = find_flag(name.substr(3));
    if (a.value) {
      throw ConfigError(a.name, "takes no value (" + a.origin + ")",
                        "write --" + a.name + " or --" + spec->name + "=false");
    }
    name = spec->name;
    text = "false";
  } else if (!a.value) {
    if (spec->type != FlagType::kBool) {
      throw ConfigError(
          name, "needs a value (" + a.origin + ")",
          "write --" + name + "=VALUE" + (spec->range_text().empty() ? "" : " with VALUE in " + spec->range_text()));
    }
    text = "true";
  } else {
    text = *a.value;
  }
  FlagValue v = parse_flag_value(*spec, text, a.origin);
  v.source = source;
  v.origin = a.origin;
  values_[static_cast<std::size_t>(spec - flag_table().data())] = std::move(v);
}

const FlagValue& FlagSet::get(std::string_view name) const {
  const FlagSpec* spec = find_flag(name);
  if (!spec) throw std::logic_error("FlagSet::get: no flag named " + std::string(name));
  return values_[static_cast<std::size_t>(spec - flag_table().data())];
}

RunConfig FlagSet::to_run_config() const {
  RunConfig config;
  const auto& table = flag_table();
  for (std::size_t i = 0; i < table.size(); ++i) table[i].apply(config, values_[i]);
  return config;
}

ResolvedConfig resolve_config(const ConfigRequest& request) {
  ResolvedConfig out;
  if (request.preset) {
    const PresetsDir dir = find_presets_dir(request.presets_dir);
    out.preset = *request.preset;
    out.preset_path = preset_file(dir, *request.preset);
    for (const auto& a : read_flags_file(out.preset_path, "preset")) out.flags.apply(a, Source::kPreset);
  }
  if (request.flags_file) {
    out.flags_file = *request.flags_file;
    for (const auto& a : read_flags_file(*request.flags_file, "flags file")) out.flags.apply(a, Source::kFlagsFile);
  }
  for (const auto& a : request.command_line) out.flags.apply(a, Source::kCommandLine);
  out.config = out.flags.to_run_config();
  validate_combinations(out.config);
  return out;
}

}  // namespace moe::config
