// Bias-free linear projection and token embedding: the two plain weight-holding
// layers of JetMoE (router.layer, kv_proj, lm_head; embed_tokens).
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace moe::model {

// y = x W^T with W: [out, in]; parameter "weight" (matches nn.Linear(bias=False)).
class BiasFreeLinearImpl : public torch::nn::Module {
 public:
  BiasFreeLinearImpl(std::int64_t in_features, std::int64_t out_features);
  // x: [..., in] -> [..., out]
  at::Tensor forward(const at::Tensor& x);
  void reset_parameters(double init_std);

  at::Tensor weight;  // [out, in]
};
TORCH_MODULE(BiasFreeLinear);

// Lookup table with parameter "weight" [V, H] (matches nn.Embedding).
class TokenEmbeddingImpl : public torch::nn::Module {
 public:
  TokenEmbeddingImpl(std::int64_t vocab_size, std::int64_t hidden_size);
  // ids: [B, T] int64 -> [B, T, H]
  at::Tensor forward(const at::Tensor& ids);
  void reset_parameters(double init_std);

  at::Tensor weight;  // [V, H]
};
TORCH_MODULE(TokenEmbedding);

}  // namespace moe::model
