// Wall-clock helpers: Unix seconds as a double (metrics "time" fields).
#pragma once

#include <chrono>

namespace moe::util {

inline double unix_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Seconds on a monotonic clock, for durations.
inline double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace moe::util
