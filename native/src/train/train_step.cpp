// The optimizer step.
#include "train/train_step.h"

#include <ATen/ATen.h>
#include <ATen/record_function.h>
#include <torch/csrc/autograd/autograd.h>

#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "dist/process_group.h"
#include "util/strings.h"

namespace moe::train {

StepRunner::StepRunner(model::JetMoeCausalLM model, optim::AdamW& optimizer, data::DataLoader& loader,
                       metrics::RouterWindow* router_window, const DeviceSetup& device, std::int64_t grad_accum_steps,
                       double clip_grad, const dist::ParallelContext& parallel)
    : model_(std::move(model)),
      optimizer_(optimizer),
      loader_(loader),
      router_window_(router_window),
      device_(device),
      accum_(grad_accum_steps),
      clip_(clip_grad),
      parallel_(parallel) {}

StepOutput StepRunner::run(std::int64_t step, double lr) {
  StepOutput out;
  const bool inject = inject_.count(step) > 0;
  at::Tensor loss_sum, lm_sum, aux_sum, z_sum;
  for (std::int64_t m = 0; m < accum_; ++m) {
    const data::MicroBatch mb = loader_.next();
    for (int src : mb.sources) {
      if (src >= 0) {
        if (static_cast<std::size_t>(src) >= source_counts_.size())
          source_counts_.resize(static_cast<std::size_t>(src) + 1, 0);
        ++source_counts_[static_cast<std::size_t>(src)];
      }
    }
    const at::Tensor ids = to_device_ids(mb.tokens, mb.rows, mb.seq_len, device_);  // [B, T]
    // The phase annotations name the step's parts in a profile (--profile-from-step).
    model::CausalLMOutput fwd;
    {
      RECORD_USER_SCOPE("moe::forward");
      fwd = model_->forward(ids, ids);
    }
    at::Tensor loss = fwd.loss;  // [] fp32
    if (inject) loss = loss * std::numeric_limits<double>::quiet_NaN();
    {
      RECORD_USER_SCOPE("moe::backward");
      (loss / static_cast<double>(accum_)).backward();
      optimizer_.accumulate_micro_batch();
    }

    at::Tensor aux, z;
    for (const auto& s : fwd.router_stats) {
      aux = aux.defined() ? aux + s.balance_loss : s.balance_loss;
      z = z.defined() ? z + s.z_loss : s.z_loss;
    }
    const at::Tensor l = loss.detach(), lm = fwd.lm_loss.detach();
    loss_sum = loss_sum.defined() ? loss_sum + l : l;
    lm_sum = lm_sum.defined() ? lm_sum + lm : lm;
    aux_sum = aux_sum.defined() ? aux_sum + aux : aux;
    z_sum = z_sum.defined() ? z_sum + z : z;

    if (router_window_) {
      std::vector<std::int64_t> token_domains(static_cast<std::size_t>(mb.rows * mb.seq_len));
      for (std::int64_t r = 0; r < mb.rows; ++r) {
        std::fill_n(token_domains.begin() + r * mb.seq_len, mb.seq_len, mb.domains[static_cast<std::size_t>(r)]);
      }
      router_window_->add(fwd.router_stats, to_device_ids(token_domains, 1, mb.rows * mb.seq_len, device_).view({-1}));
    }
  }
  if (parallel_.distributed()) {
    // Data parallel: every rank averages the gradients and the losses, so clipping, the non-finite skip and the
    // update are the same decision on every rank. One collective per bucket, after the last micro-batch only.
    RECORD_USER_SCOPE("moe::grad_reduce");
    dist::all_reduce_mean(parallel_, optimizer_.gradient_buffers());
    at::Tensor sums = at::stack({loss_sum, lm_sum, aux_sum, z_sum}).to(at::kFloat);
    dist::all_reduce_mean(parallel_, {sums});
    loss_sum = sums[0];
    lm_sum = sums[1];
    aux_sum = sums[2];
    z_sum = sums[3];
  }
  const double n = static_cast<double>(accum_);
  out.loss = loss_sum / n;
  out.lm_loss = lm_sum / n;
  out.aux_loss = aux_sum / n;
  out.z_loss = z_sum / n;
  {
    RECORD_USER_SCOPE("moe::grad_norm");
    out.grad_norm = optimizer_.clip_grad_norm(clip_);
  }
  const at::Tensor skip =
      at::logical_not(at::logical_and(out.loss.isfinite(), out.grad_norm.isfinite())).to(at::kFloat);  // [] 1 = skip
  {
    RECORD_USER_SCOPE("moe::optimizer");
    optimizer_.step(lr, skip);
  }
  out.skipped = skip.item<float>() != 0.0f;
  optimizer_.commit(out.skipped);
  optimizer_.zero_grad();
  return out;
}

std::set<std::int64_t> injected_nonfinite_steps_from_env() {
  std::set<std::int64_t> steps;
  const char* env = std::getenv("MOETRAIN_TEST_INJECT_NONFINITE");
  if (!env || !*env) return steps;
  for (const auto& part : util::split(env, ',')) {
    const std::string_view p = util::trim(part);
    if (p.empty()) continue;
    try {
      steps.insert(std::stoll(std::string(p)));
    } catch (const std::exception&) {
      throw std::runtime_error("MOETRAIN_TEST_INJECT_NONFINITE='" + std::string(env) +
                               "' is not a comma-separated list of steps");
    }
  }
  return steps;
}

}  // namespace moe::train
