// The `key value` text format the trainer reads back (checkpoint MANIFEST):
// one entry per line, key and value separated by the first space, blank lines
// and lines starting with '#' ignored. The trainer writes JSON but never parses it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace moe::util {

struct KeyValue {
  std::string key;
  std::string value;  // rest of the line after the first space ("" when none)
  int line = 0;       // 1-based
};

std::vector<KeyValue> parse_key_values(std::string_view text);

// First value of `key`, or nullptr.
const KeyValue* find_key(const std::vector<KeyValue>& entries, std::string_view key);

}  // namespace moe::util
