// Builds the training and validation sources a configuration asks for:
//   --data=synthetic   SyntheticCorpus train split / validation split
//   --data=PATH        windows of PATH; unless --val-data is given, the last
//                      ceil(--val-tokens / --seq-len) windows are held out for
//                      validation and never trained on
//   --val-data=PATH    validation windows from their own file
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "config/run_config.h"
#include "data/sequence_source.h"

namespace moe::data {

struct DataSetup {
  std::shared_ptr<const SequenceSource> train;
  std::shared_ptr<const SequenceSource> validation;  // null when there is none
  std::int64_t val_sequences = 0;                      // sequences one validation pass reads
};

// Checks that need no file access (vocabulary fits the synthetic corpus, ...).
// Throws config::ConfigError naming the flag.
void check_data_flags(const config::RunConfig& config);

// Opens the files and cuts the windows. Missing or malformed files and
// too-small files are config::ConfigError (naming --data, --val-data,
// --token-dtype or --val-tokens).
DataSetup open_data(const config::RunConfig& config);

}  // namespace moe::data
