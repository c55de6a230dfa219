// Accumulates router statistics over the steps between two `router` records
// (docs/metrics-schema.md): assignment counts, importance and, when the data
// has domains, per-domain assignment counts. Accumulation stays on the device;
// take() reads it back once per record.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "metrics/records.h"
#include "model/router.h"

namespace moe::metrics {

class RouterWindow {
 public:
  RouterWindow(std::int64_t num_experts, std::vector<std::string> domain_names);

  // stats: the 2L router entries of one forward; token_domains: [N] int64 on the
  // stats' device (-1 = unknown), or undefined when the data has no domains.
  void add(const std::vector<model::RouterStats>& stats, const at::Tensor& token_domains);
  bool empty() const { return routers_.empty() || tokens_ == 0; }
  // Summaries in forward order (layer 0 attn, layer 0 mlp, ...); resets the window.
  std::vector<RouterSummaryRecord> take();

 private:
  struct Accumulator {
    std::int64_t layer = 0;
    model::RouterKind kind = model::RouterKind::kMlp;
    at::Tensor counts;          // [E] int64
    at::Tensor importance_sum;  // [E] fp32, importance weighted by tokens
    at::Tensor domain_counts;   // [D*E] int64 (undefined without domains)
  };
  std::int64_t num_experts_;
  std::vector<std::string> domains_;
  std::vector<Accumulator> routers_;
  std::int64_t tokens_ = 0;
};

}  // namespace moe::metrics
