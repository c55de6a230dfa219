// Mixture-of-Experts MLP (JetMoeMoE): top-k routed SwiGLU experts with a fused
// [E, 2I, H] input weight (first I rows gate/SiLU, last I rows up), a [E, H, I]
// output weight and one output bias (docs/model.md, Mixture of experts).
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <utility>

#include "model/config.h"
#include "model/experts.h"
#include "model/router.h"
#include "model/token_dispatch.h"

namespace moe::model {

struct MixtureOutput {
  at::Tensor hidden;  // [B, T, H]
  RouterLoss router;  // loss and statistics of this layer's router
};

// Parameters: router.layer.weight [E,H], input_linear.weight [E,2I,H],
// output_linear.weight [E,H,I], bias [H].
class MixtureOfExpertsImpl : public torch::nn::Module {
 public:
  explicit MixtureOfExpertsImpl(const ModelConfig& config);
  // x: [B, T, H]; backend: resolved kGrouped or kLoop.
  MixtureOutput forward(const at::Tensor& x, ExpertBackend backend, std::int64_t layer);
  void reset_parameters(double init_std);
  // Where the routed rows go (model/token_dispatch.h); the single-device dispatcher by default.
  void set_token_dispatcher(std::shared_ptr<const TokenDispatcher> dispatcher) { dispatcher_ = std::move(dispatcher); }

  TopKRouter router{nullptr};
  ParallelExperts input_linear{nullptr};
  ParallelExperts output_linear{nullptr};
  at::Tensor bias;  // [H]

 private:
  std::int64_t intermediate_size_;
  double z_loss_coef_;
  std::shared_ptr<const TokenDispatcher> dispatcher_ = local_token_dispatcher();
};
TORCH_MODULE(MixtureOfExperts);

}  // namespace moe::model
