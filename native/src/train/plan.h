// What `moetrain plan` computes for the workbench's launch wizard: run length,
// schedule and its curve, compute, and an estimate of memory per device.
// LibTorch-free, so it is cheap to call on every edit.
//
// Memory per device (bytes; P = total parameters, s = bytes per parameter of
// --dtype: 2 for bfloat16, 4 for float32; auto plans bfloat16 unless --device=cpu):
//   weights        P*s
//   master_weights P*4 when s = 2 (fp32 copy the optimizer updates), else 0
//   grads          P*s, plus P*4 fp32 accumulation buffers when s = 2
//   optimizer      P*8 (AdamW exp_avg and exp_avg_sq in fp32)
//   activations    L * n * [s*(10H + 6kH + 9kA + 4A + 5kI) + 4*(4H + 4E)], n = micro-batch * seq-len:
//                  the tensors autograd keeps per token and layer in this
//                  implementation (norm inputs and fp32 statistics, k gathered
//                  copies of the input per mixture, the k query/attention
//                  output rows of width A with RoPE and the tiled K/V, the 2I
//                  GLU input and its I-wide products, router logits and
//                  probabilities); fused attention keeps no T x T matrix;
//                  no activation recomputation
//   logits         n * V * (s + 8): logits, their fp32 upcast and log-softmax
//   runtime        1 GiB on CUDA (context, cuBLAS workspace, allocator slack), 0.25 GiB on the CPU
// Assumptions: one process per device, no sharding of parameters or optimizer
// state (world size only changes tokens per step), and the peak is the end
// of backward. Expect the activation terms to be within about +-30%.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/run_config.h"
#include "optim/schedule.h"

namespace moe::train {

struct MemoryEstimate {
  std::string device;       // "cuda" or "cpu"
  std::string param_dtype;  // "bfloat16" or "float32"
  std::int64_t weights = 0;
  std::int64_t master_weights = 0;
  std::int64_t grads = 0;
  std::int64_t optimizer = 0;
  std::int64_t activations = 0;
  std::int64_t logits = 0;
  std::int64_t runtime = 0;
  std::int64_t total = 0;
};

MemoryEstimate estimate_memory(const config::RunConfig& config);

struct CurvePoint {
  std::int64_t step = 0;
  double lr = 0;
};

struct Plan {
  optim::RunLength length;
  optim::WsdSchedule schedule;
  std::optional<std::int64_t> phase2_start;  // last step of data phase 1; nullopt = one phase
  std::vector<CurvePoint> curve;
  MemoryEstimate memory;
  double flops_per_token = 0;
  double total_flops = 0;
  std::vector<std::string> warnings;
};

// Throws config::ConfigError when the schedule does not resolve.
Plan make_plan(const config::RunConfig& config, std::int64_t world_size, std::int64_t curve_points);

}  // namespace moe::train
