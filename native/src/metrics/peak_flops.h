// Peak dense bf16 FLOP/s of one device, for MFU = tokens/s * FLOPs/token /
// (world_size * peak). LibTorch-free.
//   --peak-flops > 0          that value
//   CUDA device name with     H100 PCIe 7.56e14; H100 (SXM), H200, GH200 9.89e14;
//                             A100 3.12e14 (dense bf16, NVIDIA data sheets)
//   the CPU                   5e10 per intra-op thread: a nominal figure (AVX2
//                             FMA fp32 at ~1.5 GHz sustained), so CPU MFU is
//                             indicative only; pass --peak-flops for your CPU
//   anything else             unknown: mfu is null
#pragma once

#include <optional>
#include <string>

namespace moe::metrics {

inline constexpr double kCpuPeakFlopsPerThread = 5e10;

struct PeakFlops {
  std::optional<double> value;
  std::string source;  // "--peak-flops", "table (NVIDIA H100 80GB HBM3)", "cpu nominal (2 threads)", "unknown"
};

PeakFlops resolve_peak_flops(double flag_value, bool on_cuda, const std::string& device_name, int cpu_threads);

}  // namespace moe::metrics
