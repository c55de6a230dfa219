// Single-device token dispatch: row gathers in the router's expert order (model/experts.h).
#include "model/token_dispatch.h"

#include <ATen/ATen.h>

namespace moe::model {

Dispatched TokenDispatcher::dispatch(const at::Tensor& x, const Routing& routing, ExpertBackend backend) const {
  Dispatched d;
  d.routing = routing;
  d.groups = make_expert_groups(routing, backend);
  d.rows = gather_pairs_by_expert(x, routing);  // [N*k, C] expert order
  return d;
}

at::Tensor TokenDispatcher::combine(const at::Tensor& y, const Dispatched& d) const {
  const std::int64_t N = d.routing.expert_ids.size(0), k = d.routing.expert_ids.size(1);
  const at::Tensor pairs = to_pairs(y, d).view({N, k, y.size(1)});  // [N, k, C] pair order
  return (pairs * d.routing.gates.unsqueeze(-1)).sum(1);            // [N, C]
}

at::Tensor TokenDispatcher::to_pairs(const at::Tensor& y, const Dispatched& d) const {
  return unsort_pairs(y, d.routing);  // [N*k, C] pair order
}

at::Tensor TokenDispatcher::to_experts(const at::Tensor& y, const Dispatched& d) const {
  return sort_pairs(y, d.routing);  // [N*k, C] expert order
}

std::shared_ptr<const TokenDispatcher> local_token_dispatcher() {
  static const auto dispatcher = std::make_shared<const TokenDispatcher>();
  return dispatcher;
}

}  // namespace moe::model
