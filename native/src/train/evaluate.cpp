// Validation loss with per-domain breakdown.
#include "train/evaluate.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>

#include "data/loader.h"
#include "train/signals.h"

namespace moe::train {

EvalResult evaluate(model::JetMoeCausalLM& model, const data::SequenceSource& source, std::int64_t num_sequences,
                    std::int64_t micro_batch, const DeviceSetup& device, bool interruptible) {
  torch::NoGradGuard no_grad;
  EvalResult result;
  const auto& domain_names = source.domains();
  std::vector<double> domain_sum(domain_names.size(), 0.0);
  std::vector<std::int64_t> domain_tokens(domain_names.size(), 0);
  double total = 0;
  for (std::int64_t first = 0; first < num_sequences; first += micro_batch) {
    if (interruptible && stop_signal() != 0) {
      result.interrupted = true;
      break;
    }
    const std::int64_t rows = std::min(micro_batch, num_sequences - first);
    const data::MicroBatch mb = data::read_sequences(source, first, rows);
    const at::Tensor ids = to_device_ids(mb.tokens, mb.rows, mb.seq_len, device);  // [B, T]
    const model::CausalLMOutput out = model->forward(ids);
    const std::int64_t T = mb.seq_len;
    const at::Tensor logp = at::log_softmax(out.logits.narrow(1, 0, T - 1).to(at::kFloat), -1);  // [B, T-1, V]
    const at::Tensor targets = ids.narrow(1, 1, T - 1).unsqueeze(-1);                            // [B, T-1, 1]
    const at::Tensor nll = -logp.gather(-1, targets).squeeze(-1);                                // [B, T-1]
    const at::Tensor row_sums = nll.sum(1).to(at::kCPU, at::kDouble).contiguous();               // [B]
    const double* rs = row_sums.data_ptr<double>();
    for (std::int64_t r = 0; r < rows; ++r) {
      total += rs[r];
      const int d = mb.domains[static_cast<std::size_t>(r)];
      if (d >= 0 && static_cast<std::size_t>(d) < domain_sum.size()) {
        domain_sum[static_cast<std::size_t>(d)] += rs[r];
        domain_tokens[static_cast<std::size_t>(d)] += T - 1;
      }
    }
    result.tokens_evaluated += rows * (T - 1);
  }
  result.loss = result.tokens_evaluated > 0 ? total / static_cast<double>(result.tokens_evaluated) : 0.0;
  for (std::size_t d = 0; d < domain_names.size(); ++d) {
    if (domain_tokens[d] > 0) {
      result.by_domain.emplace_back(domain_names[d], domain_sum[d] / static_cast<double>(domain_tokens[d]));
      result.by_domain_tokens.push_back(domain_tokens[d]);
    }
  }
  return result;
}

EvalResult evaluate_parts(model::JetMoeCausalLM& model, const std::vector<data::ValPart>& parts, bool by_source,
                          std::int64_t micro_batch, const DeviceSetup& device, bool interruptible) {
  if (parts.size() == 1 && !by_source) {
    return evaluate(model, *parts[0].source, parts[0].sequences, micro_batch, device, interruptible);
  }
  EvalResult result;
  double total = 0;
  std::vector<std::string> domain_order;
  std::vector<double> domain_sum;
  std::vector<std::int64_t> domain_tokens;
  for (const auto& part : parts) {
    const EvalResult r = evaluate(model, *part.source, part.sequences, micro_batch, device, interruptible);
    if (r.interrupted) {
      result.interrupted = true;
      return result;
    }
    total += r.loss * static_cast<double>(r.tokens_evaluated);
    result.tokens_evaluated += r.tokens_evaluated;
    if (by_source) result.by_source.emplace_back(part.name, r.loss);
    for (std::size_t i = 0; i < r.by_domain.size(); ++i) {
      const auto it = std::find(domain_order.begin(), domain_order.end(), r.by_domain[i].first);
      const std::size_t d = static_cast<std::size_t>(it - domain_order.begin());
      if (it == domain_order.end()) {
        domain_order.push_back(r.by_domain[i].first);
        domain_sum.push_back(0);
        domain_tokens.push_back(0);
      }
      domain_sum[d] += r.by_domain[i].second * static_cast<double>(r.by_domain_tokens[i]);
      domain_tokens[d] += r.by_domain_tokens[i];
    }
  }
  result.loss = result.tokens_evaluated > 0 ? total / static_cast<double>(result.tokens_evaluated) : 0.0;
  for (std::size_t d = 0; d < domain_order.size(); ++d) {
    result.by_domain.emplace_back(domain_order[d], domain_sum[d] / static_cast<double>(domain_tokens[d]));
    result.by_domain_tokens.push_back(domain_tokens[d]);
  }
  return result;
}

}  // namespace moe::train
