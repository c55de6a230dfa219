// Bias-free linear projection and token embedding.
#include "model/linear.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

namespace moe::model {

BiasFreeLinearImpl::BiasFreeLinearImpl(std::int64_t in_features, std::int64_t out_features) {
  weight = register_parameter("weight", at::empty({out_features, in_features}));
}

at::Tensor BiasFreeLinearImpl::forward(const at::Tensor& x) {
  return at::linear(x, weight);
}

void BiasFreeLinearImpl::reset_parameters(double init_std) {
  torch::NoGradGuard no_grad;
  weight.normal_(0.0, init_std);
}

TokenEmbeddingImpl::TokenEmbeddingImpl(std::int64_t vocab_size, std::int64_t hidden_size) {
  weight = register_parameter("weight", at::empty({vocab_size, hidden_size}));
}

at::Tensor TokenEmbeddingImpl::forward(const at::Tensor& ids) {
  return at::embedding(weight, ids);
}

void TokenEmbeddingImpl::reset_parameters(double init_std) {
  torch::NoGradGuard no_grad;
  weight.normal_(0.0, init_std);
}

}  // namespace moe::model
