// The c10d process group of a multi-process run (docs/model-parallelism.md):
// a TCPStore at MASTER_ADDR:MASTER_PORT, hosted by rank 0 with multi-tenancy
// unless torchrun's agent already hosts it there (then every rank is a
// client), keys prefixed by torchrun's restart count, and a Gloo backend over
// it for CPU tensors. The collectives the trainer uses go through the
// functions here, so nothing outside dist/ names c10d.
//
// Gloo's headers are not shipped with LibTorch; this file compiles against
// Debian's libgloo-dev (/usr/include/gloo). A build without them still builds:
// connect_process_group then throws, saying what to install.
#pragma once

#include <ATen/core/Tensor.h>

#include <chrono>

#include "dist/parallel_context.h"

namespace moe::dist {

// True when this build can create Gloo process groups.
bool gloo_available();

// Connects `context` (world size > 1) to its peers and keeps the group in
// context.process_group; every rank must call it. Throws std::runtime_error
// naming the rendezvous address when the peers do not all arrive within `timeout`,
// or when this build has no Gloo.
void connect_process_group(ParallelContext& context, std::chrono::milliseconds timeout);

// Sums `tensor` (a CPU tensor, the same shape and dtype on every rank) over all
// ranks in place and waits for the result. A no-op for one process.
void all_reduce_sum(const ParallelContext& context, at::Tensor& tensor);

// Averages `tensors` (the same list of shapes and dtypes on every rank) over all
// ranks in place: tensors are packed into flat buckets of at most `bucket_bytes`
// (one per dtype run), each bucket is summed in one collective, divided by the
// world size and unpacked. A no-op for one process.
void all_reduce_mean(const ParallelContext& context, const std::vector<at::Tensor>& tensors,
                     std::int64_t bucket_bytes = 64 << 20);

// The largest value of `value` over all ranks (e.g. a stop signal one rank
// received). Returns `value` for one process.
std::int64_t all_reduce_max(const ParallelContext& context, std::int64_t value);

// Returns when every rank has reached it. A no-op for one process.
void barrier(const ParallelContext& context);

}  // namespace moe::dist
