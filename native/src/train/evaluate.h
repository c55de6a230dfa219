// Held-out evaluation: mean next-token cross-entropy (nats, no router terms)
// over a fixed set of validation sequences, overall and per data domain.
// Used by `train` (val records) and `eval`.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/data_setup.h"
#include "data/sequence_source.h"
#include "model/transformer.h"
#include "train/device.h"

namespace moe::train {

struct EvalResult {
  double loss = 0;                                        // mean over predicted tokens
  std::int64_t tokens_evaluated = 0;                      // predicted tokens: sequences * (seq_len - 1)
  std::vector<std::pair<std::string, double>> by_domain;  // domains present, in domain order
  std::vector<std::int64_t> by_domain_tokens;             // predicted tokens behind each by_domain entry
  std::vector<std::pair<std::string, double>> by_source;  // evaluate_parts with by_source: per part
  bool interrupted = false;                               // a stop signal arrived; the result is partial
};

// Sequences [0, num_sequences) of `source`, micro_batch at a time. Checks
// stop_signal() between micro-batches when `interruptible`.
EvalResult evaluate(model::JetMoeCausalLM& model, const data::SequenceSource& source, std::int64_t num_sequences,
                    std::int64_t micro_batch, const DeviceSetup& device, bool interruptible);

// Every part in turn: `loss` is the mean over all their predicted tokens,
// by_domain merges the parts' domains, and with `by_source` each part's loss is
// reported under its name.
EvalResult evaluate_parts(model::JetMoeCausalLM& model, const std::vector<data::ValPart>& parts, bool by_source,
                          std::int64_t micro_batch, const DeviceSetup& device, bool interruptible);

}  // namespace moe::train
