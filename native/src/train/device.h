// Where and how training runs: device and parameter dtype from --device and
// --dtype, intra-op threads, seeding, deterministic mode, RNG state capture and
// memory statistics.
//
// Deterministic mode (--deterministic): on the CPU training is bit-exact for a
// given seed, build and thread count (the kernels used are deterministic; the
// mode additionally makes any nondeterministic kernel an error). On CUDA it sets
// deterministic algorithms (warn-only: kernels without a deterministic variant,
// such as the index_add/scatter accumulations of expert dispatch, still run),
// cuDNN deterministic without autotuning, and CUBLAS_WORKSPACE_CONFIG=:4096:8;
// results are reproducible up to those kernels.
#pragma once

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/run_config.h"
#include "dist/parallel_context.h"

namespace moe::train {

struct DeviceSetup {
  c10::Device device{c10::kCPU};
  at::ScalarType param_dtype = at::kFloat;
  std::string name;     // "cpu" or the GPU's name
  int cpu_threads = 1;  // intra-op threads in use
};

// "float32" or "bfloat16".
const char* param_dtype_name(const DeviceSetup& setup);

// Resolves --device/--dtype; a CUDA process trains on cuda:<local rank>, the
// local rank of `parallel`. Throws config::ConfigError (naming --device) when
// CUDA is asked for but not available, or when the node has fewer visible GPUs
// than processes. Touches nothing on disk.
DeviceSetup resolve_device(const config::RunConfig& config, const dist::ParallelContext& parallel);

// Sets threads, determinism and seeds the CPU and CUDA generators with --seed.
void apply_runtime_settings(DeviceSetup& setup, const config::TrainingSection& training);

// Generator states: "rng.cpu" and "rng.cuda.<i>" (uint8 tensors).
std::vector<std::pair<std::string, at::Tensor>> capture_rng_states(const DeviceSetup& setup);
void restore_rng_states(const DeviceSetup& setup, const c10::impl::GenericDict& trainer_state);

// Peak bytes allocated on the GPU since the last call (CUDA), or the process's
// resident set size (CPU); nullopt when unknown.
std::optional<std::int64_t> memory_bytes(const DeviceSetup& setup);

// at::Tensor for a [rows, cols] int64 host buffer, on the device.
at::Tensor to_device_ids(const std::vector<std::int64_t>& values, std::int64_t rows, std::int64_t cols,
                         const DeviceSetup& setup);

}  // namespace moe::train
