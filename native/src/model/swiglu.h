// SwiGLU of the MoE experts: silu(h[:, :I]) * h[:, I:] for h = [M, 2I], the layout of the
// reference's input_linear output. LibTorch-heavy header.
#pragma once

#include <ATen/core/Tensor.h>

namespace moe::model {

// Forward as above. The backward writes both halves of d h into one [M, 2I] tensor, where
// autograd over two narrowed views would zero-fill two [M, 2I] tensors and add them.
at::Tensor swiglu(const at::Tensor& h);

}  // namespace moe::model
