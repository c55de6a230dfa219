// Expert matmuls over expert-sorted tokens: at::_grouped_mm or a per-expert loop.
#include "model/experts.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <vector>

#ifdef MOETRAIN_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace moe::model {

ExpertGroups make_expert_groups(const Routing& routing, ExpertBackend resolved_backend) {
  ExpertGroups g;
  g.backend = resolved_backend;
  g.group_ends = routing.group_ends;
  if (resolved_backend == ExpertBackend::kLoop) {
    const at::Tensor counts = routing.counts.to(at::kCPU).contiguous();
    const std::int64_t* c = counts.data_ptr<std::int64_t>();
    g.sizes.assign(c, c + counts.numel());
  }
  return g;
}

ExpertBackend resolve_expert_backend(ExpertBackend requested, const ModelConfig& config, at::ScalarType dtype,
                                     const at::Device& device) {
  if (requested != ExpertBackend::kAuto) return requested;
  const bool aligned =
      config.hidden_size % 8 == 0 && config.attention_dim() % 8 == 0 && config.intermediate_size % 8 == 0;
  if (!aligned || dtype != at::kBFloat16 || !device.is_cuda()) return ExpertBackend::kLoop;
#ifdef MOETRAIN_WITH_CUDA
  const int index = device.has_index() ? device.index() : at::cuda::current_device();
  const int major = at::cuda::getDeviceProperties(index)->major;
  if (major == 9 || major == 10) return ExpertBackend::kGrouped;
#endif
  return ExpertBackend::kLoop;
}

at::Tensor grouped_expert_matmul(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& group_ends) {
  // _grouped_mm takes mat_b as [E, in, out]; the transposed view keeps the
  // stored [E, out, in] layout (stride 1 on the `in` axis) without a copy.
  at::Tensor y = at::_grouped_mm(x, weight.transpose(1, 2), group_ends);  // [M, out]
  if (y.requires_grad()) {
    // The grouped backward rejects zero-stride (expanded) gradients.
    y.register_hook([](const at::Tensor& grad) { return grad.contiguous(); });
  }
  return y;
}

namespace {

// y_e = x_e W_e^T for the row ranges of `sizes`, each written straight into its rows of one output,
// and the backward likewise (dx_e = dy_e W_e into the rows of dx, dW_e = dy_e^T x_e into dW[e]).
// Built from autograd's split, select and cat instead, the backward would concatenate the row
// gradients and, per expert, zero-fill and accumulate a whole [E, out, in] weight gradient.
struct LoopExpertMatmul : public torch::autograd::Function<LoopExpertMatmul> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                            const std::vector<std::int64_t>& sizes) {
    ctx->save_for_backward({x, weight});
    ctx->saved_data["sizes"] = sizes;
    at::Tensor y = at::empty({x.size(0), weight.size(1)}, x.options());  // [M, out]
    std::int64_t offset = 0;
    for (std::size_t e = 0; e < sizes.size(); ++e) {
      const std::int64_t m = sizes[e];
      if (m == 0) continue;
      at::Tensor rows = y.narrow(0, offset, m);
      at::mm_out(rows, x.narrow(0, offset, m), weight.select(0, static_cast<std::int64_t>(e)).t());
      offset += m;
    }
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor& weight = saved[1];
    const std::vector<std::int64_t> sizes = ctx->saved_data["sizes"].toIntVector();
    const at::Tensor dy = grads[0].contiguous();  // [M, out]
    at::Tensor dx, dw;
    if (ctx->needs_input_grad(0)) dx = at::empty_like(x, at::MemoryFormat::Contiguous);
    if (ctx->needs_input_grad(1)) dw = at::empty_like(weight, at::MemoryFormat::Contiguous);
    std::int64_t offset = 0;
    for (std::size_t e = 0; e < sizes.size(); ++e) {
      const std::int64_t m = sizes[e], ei = static_cast<std::int64_t>(e);
      if (m == 0) {
        if (dw.defined()) dw.select(0, ei).zero_();
        continue;
      }
      const at::Tensor dy_e = dy.narrow(0, offset, m);  // [m, out]
      if (dx.defined()) {
        at::Tensor rows = dx.narrow(0, offset, m);
        at::mm_out(rows, dy_e, weight.select(0, ei));  // [m, in]
      }
      if (dw.defined()) {
        at::Tensor w_e = dw.select(0, ei);
        at::mm_out(w_e, dy_e.t(), x.narrow(0, offset, m));  // [out, in]
      }
      offset += m;
    }
    return {dx, dw, at::Tensor()};
  }
};

}  // namespace

at::Tensor loop_expert_matmul(const at::Tensor& x, const at::Tensor& weight, const std::vector<std::int64_t>& sizes) {
  std::int64_t rows = 0;
  for (const std::int64_t m : sizes) rows += m;
  TORCH_CHECK(rows == x.size(0) && static_cast<std::int64_t>(sizes.size()) == weight.size(0),
              "loop_expert_matmul: ", sizes.size(), " group sizes summing to ", rows, " for ", x.size(0), " rows and ",
              weight.size(0), " experts");
  return LoopExpertMatmul::apply(x.contiguous(), weight, sizes);  // [M, out]
}

ParallelExpertsImpl::ParallelExpertsImpl(std::int64_t num_experts, std::int64_t in_features,
                                         std::int64_t out_features) {
  weight = register_parameter("weight", at::empty({num_experts, out_features, in_features}));
}

at::Tensor ParallelExpertsImpl::forward(const at::Tensor& x, const ExpertGroups& groups) {
  if (groups.backend == ExpertBackend::kGrouped) return grouped_expert_matmul(x, weight, groups.group_ends);
  return loop_expert_matmul(x, weight, groups.sizes);
}

void ParallelExpertsImpl::reset_parameters(double init_std) {
  torch::NoGradGuard no_grad;
  weight.normal_(0.0, init_std);
}

namespace {

// Row permutation y[i] = x[order[i]] whose backward is the inverse permutation dx[j] = dy[inverse[j]]:
// a gather both ways, where index_select's own backward would zero-fill and scatter-add.
struct PermuteRows : public torch::autograd::Function<PermuteRows> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& order,
                            const at::Tensor& inverse) {
    ctx->save_for_backward({inverse});
    return x.index_select(0, order);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const at::Tensor inverse = ctx->get_saved_variables()[0];
    return {grads[0].index_select(0, inverse), at::Tensor(), at::Tensor()};
  }
};

// Token rows copied once per slot into expert order, y[i] = x[sorted_tokens[i]]; the backward
// puts the rows back in pair order (a gather) and sums each token's k rows.
struct GatherPairs : public torch::autograd::Function<GatherPairs> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& sorted_tokens,
                            const at::Tensor& pair_rows) {
    ctx->save_for_backward({pair_rows});
    ctx->saved_data["tokens"] = x.size(0);
    return x.index_select(0, sorted_tokens);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const at::Tensor pair_rows = ctx->get_saved_variables()[0];
    const std::int64_t n = ctx->saved_data["tokens"].toInt();
    const at::Tensor dy = grads[0];  // [N*k, C] expert order
    const std::int64_t k = dy.size(0) / std::max<std::int64_t>(n, 1);
    return {dy.index_select(0, pair_rows).view({n, k, dy.size(1)}).sum(1), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor gather_pairs_by_expert(const at::Tensor& x, const Routing& routing) {
  // Deterministic both ways: a gather forward, a gather and a fixed-order sum over the k slots backward.
  return GatherPairs::apply(x, routing.sorted_tokens, routing.pair_rows);  // [N*k, C] expert order
}

at::Tensor unsort_pairs(const at::Tensor& y, const Routing& routing) {
  return PermuteRows::apply(y, routing.pair_rows, routing.sorted_pairs);  // [N*k, C] pair order
}

at::Tensor sort_pairs(const at::Tensor& y, const Routing& routing) {
  return PermuteRows::apply(y, routing.sorted_pairs, routing.pair_rows);  // [N*k, C] expert order
}

}  // namespace moe::model
