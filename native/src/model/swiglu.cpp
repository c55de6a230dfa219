// SwiGLU as one autograd function (see swiglu.h).
#include "model/swiglu.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

namespace moe::model {

namespace {

struct SwiGlu : public torch::autograd::Function<SwiGlu> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& h) {
    const std::int64_t I = h.size(1) / 2;
    const at::Tensor gate = h.narrow(1, 0, I), up = h.narrow(1, I, I);
    const at::Tensor silu_gate = at::silu(gate);  // contiguous [M, I]
    ctx->save_for_backward({h, silu_gate});
    return silu_gate * up;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& h = saved[0];
    const at::Tensor& silu_gate = saved[1];
    const std::int64_t I = h.size(1) / 2;
    const at::Tensor dact = grads[0].contiguous();
    at::Tensor dh = at::empty_like(h, at::MemoryFormat::Contiguous);
    at::Tensor dgate = dh.narrow(1, 0, I), dup = dh.narrow(1, I, I);
    at::mul_out(dup, dact, silu_gate);                                          // d up = dact * silu(gate)
    at::silu_backward_out(dgate, dact * h.narrow(1, I, I), h.narrow(1, 0, I));  // d gate = dact * up * silu'(gate)
    return {dh};
  }
};

}  // namespace

at::Tensor swiglu(const at::Tensor& h) {
  return SwiGlu::apply(h);
}

}  // namespace moe::model
