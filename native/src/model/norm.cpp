// RMSNorm with fp32 statistics.
#include "model/norm.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

namespace moe::model {

RMSNormImpl::RMSNormImpl(std::int64_t hidden_size, double eps) : eps_(eps) {
  weight = register_parameter("weight", at::ones({hidden_size}));
}

at::Tensor RMSNormImpl::forward(const at::Tensor& x) {
  const auto input_dtype = x.scalar_type();
  const at::Tensor xf = x.to(at::kFloat);                            // [..., H]
  const at::Tensor variance = xf.pow(2).mean(-1, /*keepdim=*/true);  // [..., 1]
  const at::Tensor normed = xf * at::rsqrt(variance + eps_);         // [..., H]
  return weight * normed.to(input_dtype);
}

void RMSNormImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  weight.fill_(1.0);
}

}  // namespace moe::model
