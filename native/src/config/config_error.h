// The one error type of the configuration layer: names the flag, the problem and the fix.
#pragma once

#include <stdexcept>
#include <string>

namespace moe::config {

// Thrown for every configuration mistake (unknown flag, malformed or out-of-range
// value, inconsistent combination, missing preset). The CLI prints what() and
// exits with status 2 without writing anything.
class ConfigError : public std::runtime_error {
 public:
  // flag: the flag at fault, without dashes ("top-k"); may be empty for errors
  // that concern no single flag. problem: what is wrong. fix: what to do.
  ConfigError(std::string flag, std::string problem, std::string fix)
      : std::runtime_error(compose(flag, problem, fix)),
        flag_(std::move(flag)),
        problem_(std::move(problem)),
        fix_(std::move(fix)) {}

  const std::string& flag() const { return flag_; }
  const std::string& problem() const { return problem_; }
  const std::string& fix() const { return fix_; }

 private:
  static std::string compose(const std::string& flag, const std::string& problem, const std::string& fix) {
    std::string out = flag.empty() ? problem : "--" + flag + ": " + problem;
    if (!fix.empty()) out += "; " + fix;
    return out;
  }
  std::string flag_, problem_, fix_;
};

}  // namespace moe::config
