// The text form of a data mixture, `--data-mix "src=weight,src=weight"`: each
// source is `synthetic:<domain>` (one domain of the built-in corpus) or the path
// of a flat token file; weights are positive and are normalised to sum to 1.
// Parsed here, without touching the disk, so `config` and `plan` reject a bad
// mixture before anything runs. LibTorch-free.
#pragma once

#include <string>
#include <vector>

namespace moe::config {

struct MixComponent {
  std::string name;   // as written: "synthetic:copy" or a path
  double weight = 0;  // normalised: the weights of one mixture sum to 1
  bool synthetic = false;
  int domain = -1;  // synthetic: index into data::synthetic_domain_names()
};

// Throws ConfigError naming `flag` (without dashes) for an empty mixture, an
// entry without `=weight`, a weight that is not a positive finite number, an
// unknown synthetic domain or a source given twice.
std::vector<MixComponent> parse_data_mix(const std::string& text, const char* flag);

// "synthetic:copy=0.25,tokens.bin=0.75" (normalised weights, shortest round-trip form).
std::string describe_mix(const std::vector<MixComponent>& mix);

}  // namespace moe::config
