// Parsing of `key value` lines.
#include "util/kv_text.h"

#include "util/strings.h"

namespace moe::util {

std::vector<KeyValue> parse_key_values(std::string_view text) {
  std::vector<KeyValue> out;
  const auto lines = split(text, '\n');
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = trim(lines[i]);
    if (line.empty() || line.front() == '#') continue;
    KeyValue kv;
    kv.line = static_cast<int>(i + 1);
    const auto space = line.find(' ');
    kv.key = std::string(line.substr(0, space));
    if (space != std::string_view::npos) kv.value = std::string(trim(line.substr(space + 1)));
    out.push_back(std::move(kv));
  }
  return out;
}

const KeyValue* find_key(const std::vector<KeyValue>& entries, std::string_view key) {
  for (const auto& kv : entries) {
    if (kv.key == key) return &kv;
  }
  return nullptr;
}

}  // namespace moe::util
