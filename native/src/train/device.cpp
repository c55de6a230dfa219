// Device resolution, determinism and generator state.
#include "train/device.h"

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/core/CachingDeviceAllocator.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#include <unistd.h>
#include <cstdlib>
#include <fstream>

#include "config/config_error.h"
#include "model/transformer.h"
#include "util/runtime_info.h"

namespace moe::train {

const char* param_dtype_name(const DeviceSetup& s) {
  return s.param_dtype == at::kBFloat16 ? "bfloat16" : "float32";
}

DeviceSetup resolve_device(const config::RunConfig& c, const dist::ParallelContext& parallel) {
  DeviceSetup s;
  const bool cuda_available = torch::cuda::is_available();
  bool cuda = false;
  switch (c.train.training.device) {
    case config::DeviceChoice::kCuda:
      if (!cuda_available) {
        throw config::ConfigError("device", "--device=cuda but no CUDA device is usable by this build/machine",
                                  "use --device=cpu or auto, or run on a GPU node with a CUDA build of moetrain");
      }
      cuda = true;
      break;
    case config::DeviceChoice::kCpu: break;
    case config::DeviceChoice::kAuto: cuda = cuda_available; break;
  }
  if (cuda) {
    // One GPU per process on its node: the launcher's local rank picks it.
    const auto visible = static_cast<std::int64_t>(torch::cuda::device_count());
    if (parallel.local_rank >= visible) {
      throw config::ConfigError("device",
                                "this process is " + parallel.describe() + " but its node shows " +
                                    std::to_string(visible) + " CUDA device(s)",
                                "start at most one process per visible GPU (torchrun --nproc-per-node, srun "
                                "--ntasks-per-node) or check CUDA_VISIBLE_DEVICES");
    }
    s.device = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(parallel.local_rank));
  } else {
    s.device = c10::Device(c10::kCPU);
  }
  s.param_dtype = model::resolve_dtype(c.model.dtype, s.device);
  if (s.device.is_cuda()) {
    const auto info = util::query_runtime_info();
    const auto index = static_cast<std::size_t>(s.device.index());
    s.name = index < info.devices.size() ? info.devices[index].name : "cuda";
  } else {
    s.name = "cpu";
  }
  return s;
}

void apply_runtime_settings(DeviceSetup& s, const config::TrainingSection& t) {
  if (t.cpu_threads) at::set_num_threads(static_cast<int>(*t.cpu_threads));
  s.cpu_threads = at::get_num_threads();
  if (t.deterministic) {
    if (s.device.is_cuda()) {
      // Must be in the environment before cuBLAS creates its first handle.
      ::setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
      at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
    } else {
      at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/false);
    }
    at::globalContext().setDeterministicCuDNN(true);
    at::globalContext().setBenchmarkCuDNN(false);
  }
  torch::manual_seed(static_cast<std::uint64_t>(t.seed));  // CPU and every CUDA generator
}

std::vector<std::pair<std::string, at::Tensor>> capture_rng_states(const DeviceSetup& s) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  {
    auto gen = at::globalContext().defaultGenerator(c10::Device(c10::kCPU));
    std::lock_guard<std::mutex> lock(gen.mutex());
    out.emplace_back("rng.cpu", gen.get_state());
  }
  if (s.device.is_cuda()) {
    const auto n = static_cast<int>(torch::cuda::device_count());
    for (int i = 0; i < n; ++i) {
      auto gen = at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(i)));
      std::lock_guard<std::mutex> lock(gen.mutex());
      out.emplace_back("rng.cuda." + std::to_string(i), gen.get_state());
    }
  }
  return out;
}

void restore_rng_states(const DeviceSetup& s, const c10::impl::GenericDict& state) {
  for (const auto& item : state) {
    if (!item.key().isString() || !item.value().isTensor()) continue;
    const std::string& key = item.key().toStringRef();
    if (key == "rng.cpu") {
      auto gen = at::globalContext().defaultGenerator(c10::Device(c10::kCPU));
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(item.value().toTensor());
    } else if (key.rfind("rng.cuda.", 0) == 0 && s.device.is_cuda()) {
      const int index = std::stoi(key.substr(9));
      if (index >= static_cast<int>(torch::cuda::device_count())) continue;
      auto gen = at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index)));
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(item.value().toTensor());
    }
  }
}

std::optional<std::int64_t> memory_bytes(const DeviceSetup& s) {
  if (s.device.is_cuda()) {
    c10::DeviceAllocator* allocator = c10::getDeviceAllocator(c10::kCUDA);
    const auto stats = allocator->getDeviceStats(s.device.index());
    const auto peak = stats.allocated_bytes[0].peak;  // aggregate over pools
    allocator->resetPeakStats(s.device.index());
    return static_cast<std::int64_t>(peak);
  }
  std::ifstream statm("/proc/self/statm");
  long long pages_total = 0, pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return std::nullopt;
  return static_cast<std::int64_t>(pages_resident) * static_cast<std::int64_t>(::sysconf(_SC_PAGESIZE));
}

at::Tensor to_device_ids(const std::vector<std::int64_t>& values, std::int64_t rows, std::int64_t cols,
                         const DeviceSetup& s) {
  at::Tensor host = at::from_blob(const_cast<std::int64_t*>(values.data()), {rows, cols}, at::kLong).clone();
  return s.device.is_cuda() ? host.to(s.device, /*non_blocking=*/false) : host;
}

}  // namespace moe::train
