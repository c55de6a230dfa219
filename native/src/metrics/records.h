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

namespace moe::config {
class FlagSet;
}  // namespace moe::config

namespace moe::metrics {

// Writes `"key": {"name": loss, ...}` into the object being written: a loss per domain or per
// source, as val records and `moetrain eval --json` carry them.
void write_loss_map(util::JsonWriter& json, const char* key, const std::vector<std::pair<std::string, double>>& losses);

// The first record of every attempt: who trains what, where, and how long.
struct HeaderRecord {
  std::string run_id;
  std::int64_t attempt = 1;
  double time = 0;
  // Resumed from: the step and the checkpoint path (relative or as given); nullopt on a fresh start.
  std::optional<std::pair<std::int64_t, std::string>> resume;
  // "trainer": the build and the process.
  std::string moetrain;
  std::string libtorch;
  std::string device;  // "cpu" or "cuda"
  std::string device_name;
  std::string dtype;  // "float32" or "bfloat16"
  int cpu_threads = 1;
  std::optional<std::string> omp_wait_policy;  // OMP_WAIT_POLICY as set, or null
  std::string attention_kernel;                // resolved: "sdpa" or "blocked"
  std::int64_t world_size = 1;
  // "params"
  std::int64_t params_total = 0;
  std::int64_t params_active = 0;  // active, non-embedding
  std::int64_t params_active_with_embedding = 0;
  double flops_per_token = 0;
  // "run"
  std::int64_t tokens_per_step = 0;
  std::int64_t total_steps = 0;
  std::int64_t total_tokens = 0;
  std::optional<double> peak_flops;
  std::string peak_flops_source;
  std::string train_data;
  std::optional<std::string> val_data;
  std::optional<std::int64_t> data_phase2_start;
  // "fork": only for a run started from another run's checkpoint.
  struct Fork {
    std::string checkpoint;
    std::int64_t step = 0;
    bool optimizer = false;
    bool data_position = false;
  };
  std::optional<Fork> fork;
};
// `flags` fills "config": every flag of the registry with its JSON type.
std::string header_json(const HeaderRecord& r, const config::FlagSet& flags);

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
