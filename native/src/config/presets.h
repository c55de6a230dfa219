// Locating presets: resources/presets/NAME.flags, found through --presets-dir,
// $MOETRAIN_PRESETS, the binary's location, or the source tree it was built from.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace moe::config {

struct PresetsDir {
  std::string path;
  std::string found_by;  // "--presets-dir", "MOETRAIN_PRESETS", "binary location", "source tree"
};

// Directory of the running executable ("" when it cannot be determined).
std::string executable_dir();

// Looks in order at: `cli_dir` (--presets-dir), $MOETRAIN_PRESETS,
// <dir of binary>/../../resources/presets, and the source tree the binary was
// configured from. An explicitly given directory that does not exist is an
// error rather than a fall-through. Throws ConfigError when none exists.
PresetsDir find_presets_dir(const std::optional<std::string>& cli_dir);

// Sorted preset names (file names without .flags) in `dir`.
std::vector<std::string> list_presets(const std::string& dir);

// Path of NAME.flags in `dir`; throws ConfigError (flag "preset") for a
// malformed or unknown name, listing the available presets.
std::string preset_file(const PresetsDir& dir, const std::string& name);

}  // namespace moe::config
