// `moetrain eval`: the held-out loss of a checkpoint. LibTorch-free header.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config/run_config.h"

namespace moe::train {

struct EvalReport {
  std::string checkpoint;
  std::int64_t step = 0;
  std::int64_t tokens = 0;  // training tokens the checkpoint had seen
  double loss = 0;
  std::int64_t tokens_evaluated = 0;
  std::vector<std::pair<std::string, double>> by_domain;
  std::vector<std::pair<std::string, double>> by_source;  // mixtures: loss per source
  std::string data;                                       // description of the evaluated sequences
  std::string device;                                     // "cpu" or the GPU's name
};

// Validates and loads `checkpoint_dir` (SHA-1 per --verify-checkpoints), builds
// the model `config` describes and evaluates it on the validation data that
// `config` selects. Throws config::ConfigError for flag problems and
// std::runtime_error for unreadable or corrupt checkpoints.
EvalReport evaluate_checkpoint(const config::RunConfig& config, const std::string& checkpoint_dir);

}  // namespace moe::train
