// Small string helpers shared by the configuration code and the CLI.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moe::util {

std::string_view trim(std::string_view text);
std::vector<std::string> split(std::string_view text, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
bool starts_with(std::string_view text, std::string_view prefix);

// Levenshtein distance (insert, delete, substitute all cost 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, or "" when none is close enough to be a
// plausible typo (distance at most max(2, |word|/3)).
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

// 8522237952 -> "8,522,237,952".
std::string group_thousands(std::int64_t value);

// 1.6403e10 -> "16.40 G" (prefixes k, M, G, T, P; two decimals). Counts of
// parameters read better with giga = "B" (8.52 B).
std::string si_format(double value, const char* giga = "G");

}  // namespace moe::util
