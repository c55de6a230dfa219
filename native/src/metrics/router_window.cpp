// Router statistics windows.
#include "metrics/router_window.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <cmath>

namespace moe::metrics {

RouterWindow::RouterWindow(std::int64_t num_experts, std::vector<std::string> domain_names)
    : num_experts_(num_experts), domains_(std::move(domain_names)) {}

void RouterWindow::add(const std::vector<model::RouterStats>& stats, const at::Tensor& token_domains) {
  torch::NoGradGuard no_grad;
  if (routers_.empty()) {
    for (const auto& s : stats) {
      Accumulator a;
      a.layer = s.layer;
      a.kind = s.kind;
      routers_.push_back(a);
    }
  }
  const bool with_domains = token_domains.defined() && !domains_.empty();
  const std::int64_t E = num_experts_;
  std::int64_t n_tokens = 0;
  at::Tensor valid, domain_base, bin_ids;
  for (std::size_t i = 0; i < stats.size() && i < routers_.size(); ++i) {
    const model::RouterStats& s = stats[i];
    Accumulator& a = routers_[i];
    n_tokens = s.expert_ids.size(0);
    const at::Tensor weighted = s.importance * static_cast<double>(n_tokens);
    a.counts = a.counts.defined() ? a.counts + s.counts : s.counts.clone();
    a.importance_sum = a.importance_sum.defined() ? a.importance_sum + weighted : weighted;
    if (with_domains) {
      const std::int64_t D = static_cast<std::int64_t>(domains_.size());
      if (!valid.defined()) {
        // Tokens of unknown domain go to an extra bin D*E that is dropped.
        valid = token_domains.ge(0).unsqueeze(1);                               // [N, 1]
        domain_base = (token_domains.clamp_min(0) * E).unsqueeze(1);            // [N, 1]
        bin_ids = at::arange(D * E + 1, token_domains.options()).unsqueeze(0);  // [1, D*E+1]
      }
      const at::Tensor bins = at::where(valid, domain_base + s.expert_ids, D * E).reshape({-1, 1});  // [N*k, 1]
      // A comparison count instead of bincount/masked_select: no host sync on CUDA.
      const at::Tensor c = bins.eq(bin_ids).sum(0).narrow(0, 0, D * E);  // [D*E] int64
      a.domain_counts = a.domain_counts.defined() ? a.domain_counts + c : c;
    }
  }
  tokens_ += n_tokens;
}

namespace {

std::vector<double> to_vector(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kCPU, at::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

std::vector<double> normalised(const std::vector<double>& v) {
  double total = 0;
  for (double x : v) total += x;
  std::vector<double> out(v.size(), 0.0);
  if (total > 0) {
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = v[i] / total;
  }
  return out;
}

}  // namespace

std::vector<RouterSummaryRecord> RouterWindow::take() {
  std::vector<RouterSummaryRecord> out;
  for (auto& a : routers_) {
    RouterSummaryRecord r;
    r.layer = a.layer;
    r.kind = a.kind == model::RouterKind::kAttention ? "attn" : "mlp";
    const std::vector<double> counts = to_vector(a.counts);
    r.load = normalised(counts);
    r.importance = normalised(to_vector(a.importance_sum));
    const double n = static_cast<double>(counts.size());
    double max_load = 0, mean = 1.0 / n, var = 0;
    for (std::size_t e = 0; e < counts.size(); ++e) {
      const double f = r.load[e];
      max_load = std::max(max_load, f);
      var += (f - mean) * (f - mean);
      if (f > 0) r.entropy -= f * std::log(f);
      if (counts[e] == 0) r.dead.push_back(static_cast<std::int64_t>(e));
    }
    r.max_over_mean = max_load / mean;
    r.cv = std::sqrt(var / n) / mean;
    if (a.domain_counts.defined()) {
      const std::vector<double> dc = to_vector(a.domain_counts);
      for (std::size_t d = 0; d < domains_.size(); ++d) {
        const std::vector<double> row(dc.begin() + static_cast<std::ptrdiff_t>(d * counts.size()),
                                      dc.begin() + static_cast<std::ptrdiff_t>((d + 1) * counts.size()));
        double total = 0;
        for (double x : row) total += x;
        if (total > 0) r.by_domain.emplace_back(domains_[d], normalised(row));
      }
    }
    out.push_back(std::move(r));
    a.counts = at::Tensor();
    a.importance_sum = at::Tensor();
    a.domain_counts = at::Tensor();
  }
  tokens_ = 0;
  return out;
}

}  // namespace moe::metrics
