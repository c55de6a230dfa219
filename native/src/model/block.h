// One pre-norm JetMoE block (JetMoeDecoderLayer):
//   h = h + MoA(RMSNorm_in(h));  h = h + MoE(RMSNorm_post(h))
// Both block norms use block_norm_eps (1e-6 in the reference, pitfall 8).
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "model/config.h"
#include "model/moa.h"
#include "model/moe.h"
#include "model/norm.h"
#include "model/rope.h"

namespace moe::model {

struct BlockOutput {
  at::Tensor hidden;     // [B, T, H]
  RouterLoss attention;  // MoA router
  RouterLoss mlp;        // MoE router
};

// Submodules: input_layernorm, self_attention, post_attention_layernorm, mlp.
class JetMoeBlockImpl : public torch::nn::Module {
 public:
  JetMoeBlockImpl(const ModelConfig& config, std::int64_t layer_index);
  // x: [B, T, H]
  BlockOutput forward(const at::Tensor& x, const RotaryTables& rope, ExpertBackend backend);
  void reset_parameters(double init_std);

  RMSNorm input_layernorm{nullptr};
  MixtureOfAttention self_attention{nullptr};
  RMSNorm post_attention_layernorm{nullptr};
  MixtureOfExperts mlp{nullptr};

 private:
  std::int64_t layer_index_;
};
TORCH_MODULE(JetMoeBlock);

}  // namespace moe::model
