// Runtime facts: LibTorch version and, on CUDA builds, the visible devices.
#include "util/runtime_info.h"

#include <torch/cuda.h>
#include <torch/version.h>

#ifdef MOETRAIN_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

#include "moetrain/build_info.h"

namespace moe::util {

RuntimeInfo query_runtime_info() {
  RuntimeInfo info;
  info.moetrain_version = build_info::kVersion;
  info.libtorch_version = TORCH_VERSION;
  info.cuda_built = build_info::kCudaBuilt;
  info.cuda_version = build_info::kCudaVersion;
  info.cuda_available = torch::cuda::is_available();
#ifdef MOETRAIN_WITH_CUDA
  if (info.cuda_available) {
    const auto count = static_cast<int>(torch::cuda::device_count());
    for (int i = 0; i < count; ++i) {
      const cudaDeviceProp* prop = at::cuda::getDeviceProperties(i);
      CudaDeviceInfo d;
      d.name = prop->name;
      d.memory_bytes = static_cast<std::int64_t>(prop->totalGlobalMem);
      d.capability = std::to_string(prop->major) + "." + std::to_string(prop->minor);
      info.devices.push_back(std::move(d));
    }
  }
#endif
  return info;
}

}  // namespace moe::util
