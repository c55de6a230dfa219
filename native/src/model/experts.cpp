// Expert matmuls over expert-sorted tokens: at::_grouped_mm or a per-expert loop.
#include "model/experts.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

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
  const bool aligned = config.hidden_size % 8 == 0 && config.attention_dim() % 8 == 0 &&
                       config.intermediate_size % 8 == 0;
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

at::Tensor loop_expert_matmul(const at::Tensor& x, const at::Tensor& weight,
                              const std::vector<std::int64_t>& sizes) {
  const std::int64_t out_features = weight.size(1);
  const auto pieces = x.split_with_sizes(sizes, /*dim=*/0);  // E x [M_e, in]
  std::vector<at::Tensor> outputs;
  outputs.reserve(sizes.size());
  for (std::size_t e = 0; e < sizes.size(); ++e) {
    if (sizes[e] == 0) {
      outputs.push_back(at::empty({0, out_features}, x.options()));
      continue;
    }
    outputs.push_back(at::mm(pieces[e], weight.select(0, static_cast<std::int64_t>(e)).t()));  // [M_e, out]
  }
  return at::cat(outputs, 0);  // [M, out]
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

at::Tensor gather_pairs_by_expert(const at::Tensor& x, const Routing& routing) {
  const std::int64_t n = x.size(0), k = routing.expert_ids.size(1);
  // Each token appears once per slot; gathering with the pair permutation keeps
  // the backward a scatter without collisions (deterministic).
  const at::Tensor pairs = x.unsqueeze(1).expand({n, k, x.size(1)}).reshape({n * k, x.size(1)});  // [N*k, C]
  return pairs.index_select(0, routing.sorted_pairs);                                            // [N*k, C]
}

at::Tensor unsort_pairs(const at::Tensor& y, const Routing& routing) {
  return at::zeros_like(y).index_copy(0, routing.sorted_pairs, y);  // [N*k, C]
}

}  // namespace moe::model
