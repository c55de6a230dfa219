// Preset directory lookup and preset name validation.
#include "config/presets.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "config/config_error.h"
#include "moetrain/build_info.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace moe::config {

std::string executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  return exe.parent_path().string();
}

namespace {
bool is_dir(const std::string& path) {
  std::error_code ec;
  return !path.empty() && fs::is_directory(path, ec);
}
}  // namespace

PresetsDir find_presets_dir(const std::optional<std::string>& cli_dir) {
  if (cli_dir) {
    if (!is_dir(*cli_dir)) {
      throw ConfigError("presets-dir", "'" + *cli_dir + "' is not a directory",
                        "point --presets-dir at the folder that holds the NAME.flags files");
    }
    return {*cli_dir, "--presets-dir"};
  }
  if (const char* env = std::getenv("MOETRAIN_PRESETS"); env && *env) {
    if (!is_dir(env)) {
      throw ConfigError("preset", std::string("MOETRAIN_PRESETS='") + env + "' is not a directory",
                        "fix or unset MOETRAIN_PRESETS, or pass --presets-dir DIR");
    }
    return {env, "MOETRAIN_PRESETS"};
  }
  std::vector<std::string> looked;
  const std::string exe_dir = executable_dir();
  if (!exe_dir.empty()) {
    const std::string candidate =
        (fs::path(exe_dir) / ".." / ".." / "resources" / "presets").lexically_normal().string();
    if (is_dir(candidate)) return {candidate, "binary location"};
    looked.push_back(candidate);
  }
  const std::string source_dir = build_info::kSourcePresetsDir;
  if (is_dir(source_dir)) return {source_dir, "source tree"};
  looked.push_back(source_dir);
  throw ConfigError("preset", "no presets directory found (looked in " + util::join(looked, ", ") + ")",
                    "pass --presets-dir DIR or set MOETRAIN_PRESETS=DIR");
}

std::vector<std::string> list_presets(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".flags") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string preset_file(const PresetsDir& dir, const std::string& name) {
  const bool well_formed = !name.empty() && name.front() != '.' && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
  const auto available = list_presets(dir.path);
  const std::string listing = available.empty() ? "none" : util::join(available, ", ");
  if (!well_formed) {
    throw ConfigError("preset", "'" + name + "' is not a preset name",
                      "use one of: " + listing + " (a file path belongs in --flags-file)");
  }
  const fs::path path = fs::path(dir.path) / (name + ".flags");
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    const std::string guess = util::nearest(name, available);
    throw ConfigError("preset", "unknown preset '" + name + "' in " + dir.path + " (found by " + dir.found_by + ")",
                      (guess.empty() ? "" : "did you mean " + guess + "? ") + "available: " + listing);
  }
  return path.string();
}

}  // namespace moe::config
