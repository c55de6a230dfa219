// MoE MLP forward: route, dispatch by expert, SwiGLU experts, combine (gated sum), bias.
#include "model/moe.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "model/swiglu.h"

namespace moe::model {

MixtureOfExpertsImpl::MixtureOfExpertsImpl(const ModelConfig& c)
    : intermediate_size_(c.intermediate_size), z_loss_coef_(c.z_loss_coef) {
  const std::int64_t H = c.hidden_size, I = c.intermediate_size, E = c.num_experts;
  // Registration order follows the reference state dict (bias first).
  bias = register_parameter("bias", at::zeros({H}));
  input_linear = register_module("input_linear", ParallelExperts(E, H, 2 * I));
  output_linear = register_module("output_linear", ParallelExperts(E, I, H));
  router = register_module("router", TopKRouter(H, E, c.top_k));
}

void MixtureOfExpertsImpl::reset_parameters(double init_std) {
  router->reset_parameters(init_std);
  input_linear->reset_parameters(init_std);
  output_linear->reset_parameters(init_std);
  torch::NoGradGuard no_grad;
  bias.zero_();
}

MixtureOutput MixtureOfExpertsImpl::forward(const at::Tensor& x, ExpertBackend backend, std::int64_t layer) {
  const std::int64_t B = x.size(0), T = x.size(1), H = x.size(2), N = B * T;
  const at::Tensor flat = x.reshape({N, H});  // [N, H]

  const Routing routing = router->forward(flat);
  const Dispatched d = dispatcher_->dispatch(flat, routing, backend);  // rows [N*k, H] expert order

  const at::Tensor h = input_linear->forward(d.rows, d.groups);  // [N*k, 2I]: SiLU branch, then up
  const at::Tensor act = swiglu(h);                              // [N*k, I]
  const at::Tensor ys = output_linear->forward(act, d.groups);   // [N*k, H] expert order

  // Gated sum over the k slots in the model dtype, then one bias per token.
  const at::Tensor out = dispatcher_->combine(ys, d) + bias;  // [N, H]

  MixtureOutput result;
  result.hidden = out.view({B, T, H});
  result.router = compute_router_loss(routing, z_loss_coef_, layer, RouterKind::kMlp);
  return result;
}

}  // namespace moe::model
