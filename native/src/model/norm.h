// RMSNorm as in JetMoE: normalise in fp32, cast back to the input dtype, then
// scale by the weight (docs/model.md, RMSNorm).
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace moe::model {

class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(std::int64_t hidden_size, double eps);
  // x: [..., H] -> [..., H]
  at::Tensor forward(const at::Tensor& x);
  void reset_parameters();  // weight = 1
  double eps() const { return eps_; }

  at::Tensor weight;  // [H]

 private:
  double eps_;
};
TORCH_MODULE(RMSNorm);

}  // namespace moe::model
