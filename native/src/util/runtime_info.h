// What this binary was built against and what it can see at run time
// (LibTorch version, CUDA build and devices). The header is LibTorch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moe::util {

struct CudaDeviceInfo {
  std::string name;
  std::int64_t memory_bytes = 0;
  std::string capability;  // "9.0"
};

struct RuntimeInfo {
  std::string moetrain_version;
  std::string libtorch_version;  // LibTorch headers the binary was compiled with
  bool cuda_built = false;       // compiled with MOETRAIN_WITH_CUDA
  bool cuda_available = false;   // a CUDA device is usable now
  std::string cuda_version;      // toolkit version at build time; empty on CPU builds
  std::vector<CudaDeviceInfo> devices;
};

RuntimeInfo query_runtime_info();

}  // namespace moe::util
