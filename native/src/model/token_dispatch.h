// The token-dispatch seam shared by MoA and MoE (docs/model-parallelism.md):
// after the router has chosen k experts per token, dispatch() copies each
// token's row once per chosen expert into expert order and says how those rows
// split into experts; the experts run their grouped matmuls on that; combine()
// takes the expert outputs back to their tokens and sums the k slots weighted
// by the gates. MoA also needs the rows of each (token, slot) pair back in
// token order between its two expert matmuls (attention runs there) and then
// in expert order again: to_pairs() and to_experts().
//
// TokenDispatcher is the single-device dispatcher. An expert-parallel one
// (tokens sent to the rank that owns their expert with an all-to-all, and
// back) subclasses it in dist/ and is installed on the layers with
// set_token_dispatcher(); the layers' code does not change.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>

#include "model/config.h"
#include "model/experts.h"
#include "model/router.h"

namespace moe::model {

// Rows in expert order and what combine() needs to take them back.
// A "pair" is one (token t, slot s) choice, numbered p = t*k + s.
struct Dispatched {
  at::Tensor rows;      // [M, C] expert order: the rows this process's experts compute (M = N*k locally)
  ExpertGroups groups;  // how `rows` split into this process's experts
  Routing routing;      // the routing the rows were dispatched by
};

class TokenDispatcher {
 public:
  virtual ~TokenDispatcher() = default;

  // x: [N, C] token rows -> rows: [N*k, C] in expert order, with the groups for `backend` (kGrouped or kLoop).
  virtual Dispatched dispatch(const at::Tensor& x, const Routing& routing, ExpertBackend backend) const;
  // y: [N*k, C] expert outputs in the order of d.rows -> [N, C]: per token, the k outputs weighted by the
  // gates and summed (in the dtype of y and the gates, slot 0 first).
  virtual at::Tensor combine(const at::Tensor& y, const Dispatched& d) const;
  // y: [N*k, C] in the order of d.rows -> [N*k, C] in pair order (row t*k + s), without summing.
  virtual at::Tensor to_pairs(const at::Tensor& y, const Dispatched& d) const;
  // y: [N*k, C] in pair order -> [N*k, C] in the order of d.rows (the inverse of to_pairs).
  virtual at::Tensor to_experts(const at::Tensor& y, const Dispatched& d) const;
};

// The single-device dispatcher the layers start with.
std::shared_ptr<const TokenDispatcher> local_token_dispatcher();

}  // namespace moe::model
