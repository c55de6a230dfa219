// AdamW with master weights on top of at::_fused_adamw_ (CPU and CUDA kernels).
#include "optim/adamw.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <set>
#include <sstream>
#include <stdexcept>

namespace moe::optim {

bool uses_weight_decay(const std::string& name, const at::Tensor& param, bool decay_embeddings) {
  if (name == "model.embed_tokens.weight") return decay_embeddings;
  return param.dim() >= 2;
}

AdamW::AdamW(std::vector<NamedParameter> params, const AdamWOptions& options) : options_(options) {
  if (params.empty()) throw std::invalid_argument("AdamW: no parameters");
  torch::NoGradGuard no_grad;
  for (auto& np : params) {
    Slot s;
    s.name = np.name;
    s.param = np.param;
    s.mixed = np.param.scalar_type() != at::kFloat;
    s.master = s.mixed ? np.param.detach().to(at::kFloat).clone() : np.param.detach();
    // Gradients live in preallocated buffers so an unused expert contributes a
    // zero gradient (like a contiguous gradient buffer) rather than no entry.
    if (s.mixed) {
      // The low-precision .grad stays undefined between micro-batches: autograd then hands over the
      // gradient it computed instead of adding it into a zeroed buffer.
      s.grad = at::zeros_like(s.master);
    } else {
      np.param.mutable_grad() = at::zeros_like(np.param);
      s.grad = np.param.mutable_grad();
    }
    s.exp_avg = at::zeros_like(s.master);
    s.exp_avg_sq = at::zeros_like(s.master);
    s.decay = uses_weight_decay(s.name, s.param, options.decay_embeddings);
    (s.decay ? decay_elements_ : no_decay_elements_) += s.param.numel();
    slots_.push_back(std::move(s));
  }
  step_tensor_ = at::zeros({}, slots_.front().master.options());
}

void AdamW::accumulate_micro_batch() {
  torch::NoGradGuard no_grad;
  const bool first = micro_batches_ == 0;
  for (auto& s : slots_) {
    if (!s.mixed) continue;
    at::Tensor& g = s.param.mutable_grad();
    if (!g.defined()) {
      if (first) s.grad.zero_();  // no gradient reached it (e.g. an expert without tokens)
      continue;
    }
    // The first micro-batch overwrites the fp32 buffer, so it is never zeroed in between.
    if (first) {
      s.grad.copy_(g);
    } else {
      s.grad.add_(g);
    }
    g = at::Tensor();
  }
  ++micro_batches_;
}

at::Tensor AdamW::clip_grad_norm(double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> grads;
  grads.reserve(slots_.size());
  for (auto& s : slots_) grads.push_back(s.grad);
  const std::vector<at::Tensor> norms = at::_foreach_norm(grads, 2);
  const at::Tensor total = at::stack(norms).norm();  // [] fp32
  // The fused update divides the gradients by grad_scale as it reads them: clipping costs no pass of its own.
  grad_scale_ = max_norm > 0 ? ((total + 1e-6) / max_norm).clamp_min(1.0) : at::Tensor();
  return total;
}

void AdamW::run_group(bool decay, double lr, const at::Tensor& skip) {
  std::vector<at::Tensor> params, grads, m, v, steps;
  for (auto& s : slots_) {
    if (s.decay != decay) continue;
    params.push_back(s.master);
    grads.push_back(s.grad);
    m.push_back(s.exp_avg);
    v.push_back(s.exp_avg_sq);
    steps.push_back(step_tensor_);
  }
  if (params.empty()) return;
  at::_fused_adamw_(params, grads, m, v, /*max_exp_avg_sqs=*/{}, steps, lr, options_.beta1, options_.beta2,
                    decay ? options_.weight_decay : 0.0, options_.eps, /*amsgrad=*/false, /*maximize=*/false,
                    /*grad_scale=*/grad_scale_.defined() ? std::optional<at::Tensor>(grad_scale_) : std::nullopt,
                    /*found_inf=*/skip);
}

void AdamW::step(double lr, const at::Tensor& skip) {
  torch::NoGradGuard no_grad;
  step_tensor_.fill_(static_cast<double>(step_count_ + 1));
  run_group(true, lr, skip);
  run_group(false, lr, skip);
  for (auto& s : slots_) {
    if (s.mixed) s.param.copy_(s.master);
  }
}

void AdamW::commit(bool skipped) {
  if (!skipped) ++step_count_;
}

void AdamW::zero_grad() {
  torch::NoGradGuard no_grad;
  for (auto& s : slots_) {
    if (s.mixed) {
      s.param.mutable_grad() = at::Tensor();  // the next accumulate_micro_batch overwrites s.grad
    } else {
      s.grad.zero_();
    }
  }
  micro_batches_ = 0;
  grad_scale_ = at::Tensor();
}

std::vector<at::Tensor> AdamW::gradient_buffers() const {
  std::vector<at::Tensor> out;
  out.reserve(slots_.size());
  for (const auto& s : slots_) out.push_back(s.grad);
  return out;
}

std::vector<std::string> AdamW::no_decay_names() const {
  std::vector<std::string> names;
  for (const auto& s : slots_) {
    if (!s.decay) names.push_back(s.name);
  }
  return names;
}

std::vector<std::pair<std::string, at::Tensor>> AdamW::master_weights() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& s : slots_) out.emplace_back(s.name, s.master);
  return out;
}

std::vector<std::pair<std::string, at::Tensor>> AdamW::moments() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& s : slots_) {
    out.emplace_back(s.name + ".exp_avg", s.exp_avg);
    out.emplace_back(s.name + ".exp_avg_sq", s.exp_avg_sq);
  }
  return out;
}

namespace {

void check_names(const std::map<std::string, at::Tensor>& tensors,
                 const std::vector<std::pair<std::string, at::Tensor>>& wanted, const std::set<std::string>& ignore,
                 const std::string& what) {
  std::ostringstream problems;
  std::set<std::string> known;
  for (const auto& [name, ref] : wanted) {
    known.insert(name);
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      problems << "\n  missing: " << name;
    } else if (it->second.sizes() != ref.sizes()) {
      problems << "\n  shape mismatch: " << name << " (file " << it->second.sizes() << ", model " << ref.sizes() << ")";
    }
  }
  for (const auto& [name, t] : tensors) {
    if (!known.count(name) && !ignore.count(name)) problems << "\n  unexpected: " << name;
  }
  const std::string p = problems.str();
  if (!p.empty()) {
    throw std::runtime_error(what + " does not match this model (different architecture flags?):" + p);
  }
}

}  // namespace

void AdamW::load_master_weights(const std::map<std::string, at::Tensor>& tensors) {
  check_names(tensors, master_weights(), {}, "model.pt");
  torch::NoGradGuard no_grad;
  for (auto& s : slots_) {
    s.master.copy_(tensors.at(s.name));
    if (s.mixed) s.param.copy_(s.master);
  }
}

void AdamW::load_moments(const std::map<std::string, at::Tensor>& tensors, std::int64_t step_count) {
  check_names(tensors, moments(), {"step"}, "optimizer.pt");
  torch::NoGradGuard no_grad;
  for (auto& s : slots_) {
    s.exp_avg.copy_(tensors.at(s.name + ".exp_avg"));
    s.exp_avg_sq.copy_(tensors.at(s.name + ".exp_avg_sq"));
  }
  step_count_ = step_count;
}

}  // namespace moe::optim
