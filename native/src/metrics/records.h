// Builders for the records of metrics.jsonl (docs/metrics-schema.md). Each
// returns one compact JSON object starting with "type"; non-finite numbers
// become null. LibTorch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace moe::util {
class JsonWriter;
}  // namespace moe::util

namespace moe::metrics {

// Writes `"key": {"name": loss, ...}` into the object being written: a loss per domain or per
// source, as val records and `moetrain eval --json` carry them.
void write_loss_map(util::JsonWriter& json, const char* key, const std::vector<std::pair<std::string, double>>& losses);

struct StepRecord {
  std::int64_t step = 0;
  std::int64_t tokens = 0;
  double time = 0;
  double elapsed = 0;
  double loss = 0;  // lm_loss + aux_loss_coef * (aux_loss + z_loss_coef * z_loss)
  double lm_loss = 0;
  double aux_loss = 0;  // summed Switch balance terms of all routers
  double z_loss = 0;    // summed z terms of all routers
  double lr = 0;
  double grad_norm = 0;  // before clipping
  double tokens_per_s = 0;
  std::optional<double> mfu;
  std::optional<std::int64_t> mem_bytes;
  bool skipped = false;
  std::int64_t nonfinite_total = 0;
  // Mixtures only: training sequences read per source since the previous step record.
  std::vector<std::pair<std::string, std::int64_t>> samples;
};
std::string step_json(const StepRecord& r);

struct RouterSummaryRecord {
  std::int64_t layer = 0;
  std::string kind;                // "attn" or "mlp"
  std::vector<double> load;        // sums to 1 over experts
  std::vector<double> importance;  // sums to 1
  double max_over_mean = 0;
  double cv = 0;
  double entropy = 0;                                                  // nats
  std::vector<std::int64_t> dead;                                      // experts with no assignments in the window
  std::vector<std::pair<std::string, std::vector<double>>> by_domain;  // domains seen in the window
};
std::string router_json(std::int64_t step, std::int64_t tokens, const std::vector<RouterSummaryRecord>& layers);

struct ValRecord {
  std::int64_t step = 0;
  std::int64_t tokens = 0;
  double loss = 0;  // mean next-token cross-entropy (nats), no router terms
  std::int64_t tokens_evaluated = 0;
  std::vector<std::pair<std::string, double>> by_domain;
  std::vector<std::pair<std::string, double>> by_source;  // mixtures: loss per source
};
std::string val_json(const ValRecord& r);

struct CheckpointRecord {
  std::int64_t step = 0;
  std::int64_t tokens = 0;
  std::string path;  // relative to the run directory
  std::int64_t bytes = 0;
  std::optional<double> loss;
  std::optional<double> val_loss;
  std::string reason;  // interval | signal | final | nonfinite
  // Checkpoints retention keeps after this save: path -> reasons ("newest", "every_tokens", "best_val").
  std::vector<std::pair<std::string, std::vector<std::string>>> kept;
};
std::string checkpoint_json(const CheckpointRecord& r);

std::string event_json(std::int64_t step, double time, const std::string& kind, const std::string& message);

// A checkpoint_deleted event of retention: the removed `path` and, in `kept`,
// every checkpoint retention keeps with its reasons.
std::string retention_event_json(std::int64_t step, double time, const std::string& path, const std::string& message,
                                 const std::vector<std::pair<std::string, std::vector<std::string>>>& kept);

std::string status_json(const std::string& state, std::int64_t step, std::int64_t tokens, double time,
                        const std::string& message);

}  // namespace moe::metrics
