// Builds the training and validation sources a configuration asks for:
//   --data=synthetic   SyntheticCorpus train split / validation split
//   --data=PATH        windows of PATH; unless --val-data is given, the last
//                      ceil(--val-tokens / --seq-len) windows are held out for
//                      validation and never trained on
//   --data-mix=...     one source per entry (synthetic:<domain> or PATH), each
//                      with its own held-out validation data as above
//   --data-mix-phase2  a second phase's sources, built the same way
//   --val-data=PATH    validation windows from their own file (then nothing is
//                      held out of the training files and there is no per-source
//                      validation)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/run_config.h"
#include "data/loader.h"
#include "data/sequence_source.h"

namespace moe::data {

// A named part of the validation data (one per mixture source).
struct ValPart {
  std::string name;
  std::shared_ptr<const SequenceSource> source;
  std::int64_t sequences = 0;  // sequences one validation pass reads
};

struct DataSetup {
  // Plain --data: the training source (null with --data-mix) and, for both,
  // the first validation part (null when there is no validation data).
  std::shared_ptr<const SequenceSource> train;
  std::shared_ptr<const SequenceSource> validation;
  std::int64_t val_sequences = 0;

  std::vector<MixPhase> phases;      // phase 1 (--data or --data-mix), then phase 2 when set
  std::vector<ValPart> val_parts;    // everything one validation pass reads; empty when none
  bool by_source = false;            // validation is reported per source (mixtures)
  std::vector<std::string> domains;  // domain names training rows may carry (router statistics)
  std::string describe;              // the training data in one line
  std::string val_describe;          // the validation data in one line, "" when none
};

// Checks that need no file access (vocabulary fits the synthetic corpus, ...).
// Throws config::ConfigError naming the flag.
void check_data_flags(const config::RunConfig& config);

// Opens the files and cuts the windows. Missing or malformed files and
// too-small files are config::ConfigError (naming --data, --data-mix,
// --data-mix-phase2, --val-data, --token-dtype or --val-tokens).
DataSetup open_data(const config::RunConfig& config);

}  // namespace moe::data
