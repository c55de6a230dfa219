// Per-expert weights [E, out, in] (JetMoeParallelExperts) applied to tokens that
// are already sorted by expert, either as one at::_grouped_mm or as a loop of
// per-expert matmuls (docs/model.md, Tensors and names; docs/performance.md, Expert GEMMs).
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "model/config.h"
#include "model/router.h"

namespace moe::model {

// How the rows of an expert-sorted activation matrix split into experts.
struct ExpertGroups {
  ExpertBackend backend = ExpertBackend::kLoop;  // resolved: kGrouped or kLoop
  at::Tensor group_ends;                         // [E] int32 on the device (grouped)
  std::vector<std::int64_t> sizes;               // [E] rows per expert on the host (loop)
};

// For `kLoop` this copies the counts to the host (one device sync per router).
ExpertGroups make_expert_groups(const Routing& routing, ExpertBackend resolved_backend);

// Picks the concrete backend for `requested` on this device and dtype. `auto`
// chooses grouped only where at::_grouped_mm has a fast kernel: bfloat16 on CUDA
// devices of compute capability 9.x or 10.x, with 16-byte aligned widths.
ExpertBackend resolve_expert_backend(ExpertBackend requested, const ModelConfig& config, at::ScalarType dtype,
                                     const at::Device& device);

// x: [M, in] rows sorted by expert; weight: [E, out, in] -> [M, out], y_e = x_e W_e^T.
at::Tensor grouped_expert_matmul(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& group_ends);
at::Tensor loop_expert_matmul(const at::Tensor& x, const at::Tensor& weight, const std::vector<std::int64_t>& sizes);

// Parameter "weight" [E, out, in], stored untransposed like the reference.
class ParallelExpertsImpl : public torch::nn::Module {
 public:
  ParallelExpertsImpl(std::int64_t num_experts, std::int64_t in_features, std::int64_t out_features);
  // x: [M, in] sorted by expert -> [M, out]
  at::Tensor forward(const at::Tensor& x, const ExpertGroups& groups);
  void reset_parameters(double init_std);

  at::Tensor weight;  // [E, out, in]
};
TORCH_MODULE(ParallelExperts);

// Gathers pair rows into expert order: x: [N, C] tokens -> [N*k, C], row i = token of sorted pair i.
at::Tensor gather_pairs_by_expert(const at::Tensor& x, const Routing& routing);
// Inverse of the sort: y: [N*k, C] in expert order -> [N*k, C] in pair order (row p = t*k + s).
at::Tensor unsort_pairs(const at::Tensor& y, const Routing& routing);
// The sort: y: [N*k, C] in pair order -> [N*k, C] in expert order.
at::Tensor sort_pairs(const at::Tensor& y, const Routing& routing);
// All three are row gathers whose backward is the inverse gather (no zero-fill, no scatter-add).

}  // namespace moe::model
