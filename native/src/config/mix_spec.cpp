// Parsing of --data-mix / --data-mix-phase2.
#include "config/mix_spec.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

#include "config/config_error.h"
#include "data/synthetic.h"
#include "util/json_writer.h"
#include "util/strings.h"

namespace moe::config {

namespace {

constexpr const char* kSyntheticPrefix = "synthetic:";

std::string domain_list() {
  return util::join(data::synthetic_domain_names(), ", ");
}

}  // namespace

std::vector<MixComponent> parse_data_mix(const std::string& text, const char* flag) {
  const std::string example = "e.g. --" + std::string(flag) + "=synthetic:arithmetic=0.7,synthetic:copy=0.3";
  if (util::trim(text).empty()) {
    throw ConfigError(flag, "the mixture is empty", "give one or more source=weight entries, " + example);
  }
  std::vector<MixComponent> out;
  std::set<std::string> seen;
  double total = 0;
  for (const std::string& raw : util::split(text, ',')) {
    const std::string entry(util::trim(raw));
    const auto eq = entry.rfind('=');
    if (entry.empty() || eq == std::string::npos || eq == 0) {
      throw ConfigError(flag, "entry '" + entry + "' is not source=weight",
                        "write each source as synthetic:<domain>=W or PATH=W, separated by commas; " + example);
    }
    MixComponent c;
    c.name = std::string(util::trim(entry.substr(0, eq)));
    const std::string weight_text(util::trim(entry.substr(eq + 1)));
    char* end = nullptr;
    errno = 0;
    const double w = std::strtod(weight_text.c_str(), &end);
    if (weight_text.empty() || end != weight_text.c_str() + weight_text.size() || errno != 0 || !std::isfinite(w) ||
        w <= 0) {
      throw ConfigError(flag, "weight '" + weight_text + "' of '" + c.name + "' is not a positive number",
                        "give each source a weight > 0 (weights are normalised to sum to 1)");
    }
    c.weight = w;
    if (util::starts_with(c.name, kSyntheticPrefix)) {
      const std::string domain = c.name.substr(std::string(kSyntheticPrefix).size());
      const auto& names = data::synthetic_domain_names();
      for (std::size_t d = 0; d < names.size(); ++d) {
        if (names[d] == domain) c.domain = static_cast<int>(d);
      }
      if (c.domain < 0) {
        const std::string near = util::nearest(domain, names);
        throw ConfigError(flag, "unknown synthetic domain '" + domain + "'",
                          (near.empty() ? std::string() : "did you mean synthetic:" + near + "? ") +
                              "the built-in corpus has the domains " + domain_list());
      }
      c.synthetic = true;
    } else if (c.name == "synthetic") {
      throw ConfigError(flag, "'synthetic' names the whole corpus, not one source of a mixture",
                        "name a domain: synthetic:<" + util::join(data::synthetic_domain_names(), "|") + ">");
    }
    if (!seen.insert(c.name).second) {
      throw ConfigError(flag, "source '" + c.name + "' is given twice", "give each source once with its total weight");
    }
    total += w;
    out.push_back(std::move(c));
  }
  for (auto& c : out) c.weight /= total;
  return out;
}

std::string describe_mix(const std::vector<MixComponent>& mix) {
  std::vector<std::string> parts;
  for (const auto& c : mix) parts.push_back(c.name + "=" + util::format_double(c.weight));
  return util::join(parts, ",");
}

}  // namespace moe::config
