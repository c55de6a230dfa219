// AdamW over two parameter groups, with fp32 master weights for low-precision
// models, sync-free global-norm clipping and a device-side skip of non-finite
// steps (docs/performance.md, Optimizer).
//
// Weight decay (decoupled, AdamW): every matrix decays - expert weights
// (MoA W_q/W_o, MoE W_in/W_out), kv_proj, router weights and an untied lm_head;
// the token embedding (the output matrix too when tied) decays unless
// --decay-embeddings=false; biases and RMSNorm weights never decay.
//
// Precision: with fp32 parameters the optimizer updates them in place. With
// bfloat16 parameters it keeps an fp32 master copy and an fp32 gradient buffer
// per parameter: after each micro-batch the bf16 gradient is copied (first
// micro-batch) or added to the fp32 buffer and released, the update runs on the
// masters, and the bf16 parameters are refreshed from them (round to nearest
// even). Clipping only computes the scale; the fused update applies it as it
// reads the gradients (its grad_scale), so clipping adds no pass over them.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace moe::optim {

struct NamedParameter {
  std::string name;  // Hugging Face state-dict name
  at::Tensor param;
};

// The weight-decay rule above, for one parameter.
bool uses_weight_decay(const std::string& name, const at::Tensor& param, bool decay_embeddings);

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.1;
  bool decay_embeddings = true;
};

class AdamW {
 public:
  AdamW(std::vector<NamedParameter> params, const AdamWOptions& options);

  // After each micro-batch's backward: folds low-precision gradients into the
  // fp32 buffers (no-op for fp32 parameters, whose .grad accumulates in place).
  void accumulate_micro_batch();
  // Global L2 norm of all gradients before clipping ([] fp32 on the device);
  // when max_norm > 0 the next step() uses them scaled to at most max_norm (the
  // buffers are scaled in place by the update). No host synchronisation.
  at::Tensor clip_grad_norm(double max_norm);
  // One AdamW update at learning rate lr unless skip ([] float, 1 = skip) is
  // set; decided on the device, so weights and moments stay bit-identical on a
  // skipped step. Call commit(skipped) once the host knows the outcome.
  void step(double lr, const at::Tensor& skip);
  void commit(bool skipped);
  void zero_grad();
  // The fp32 gradient buffers the update reads, one per parameter in parameter
  // order (data parallelism averages them across ranks before clipping).
  std::vector<at::Tensor> gradient_buffers() const;

  std::int64_t step_count() const { return step_count_; }  // applied updates (bias correction)
  std::int64_t decay_elements() const { return decay_elements_; }
  std::int64_t no_decay_elements() const { return no_decay_elements_; }
  std::vector<std::string> no_decay_names() const;

  // fp32 copies of the weights under their names (what model.pt stores).
  std::vector<std::pair<std::string, at::Tensor>> master_weights() const;
  // "<name>.exp_avg" and "<name>.exp_avg_sq" for every parameter (optimizer.pt).
  std::vector<std::pair<std::string, at::Tensor>> moments() const;
  // Loads weights by name into the masters and the model parameters. Throws
  // std::runtime_error listing missing, unexpected or mis-shaped names.
  void load_master_weights(const std::map<std::string, at::Tensor>& tensors);
  void load_moments(const std::map<std::string, at::Tensor>& tensors, std::int64_t step_count);

 private:
  struct Slot {
    std::string name;
    at::Tensor param;   // the model's parameter (any dtype)
    at::Tensor master;  // fp32: == param when param is fp32
    at::Tensor grad;    // fp32 gradient the update reads
    at::Tensor exp_avg;
    at::Tensor exp_avg_sq;
    bool decay = true;
    bool mixed = false;  // master is a separate fp32 copy
  };
  void run_group(bool decay, double lr, const at::Tensor& skip);

  std::vector<Slot> slots_;
  AdamWOptions options_;
  at::Tensor step_tensor_;          // [] fp32: the step number the fused kernel uses
  at::Tensor grad_scale_;           // [] fp32 divisor of the gradients from clip_grad_norm (>= 1); undefined = none
  std::int64_t micro_batches_ = 0;  // folded into the fp32 buffers since zero_grad
  std::int64_t step_count_ = 0;
  std::int64_t decay_elements_ = 0;
  std::int64_t no_decay_elements_ = 0;
};

}  // namespace moe::optim
