// Peak FLOP/s table.
#include "metrics/peak_flops.h"

namespace moe::metrics {

PeakFlops resolve_peak_flops(double flag_value, bool on_cuda, const std::string& name, int cpu_threads) {
  if (flag_value > 0) return {flag_value, "--peak-flops"};
  if (!on_cuda) {
    return {kCpuPeakFlopsPerThread * static_cast<double>(cpu_threads < 1 ? 1 : cpu_threads),
            "cpu nominal (" + std::to_string(cpu_threads) + " threads x 5e10)"};
  }
  const auto has = [&](const char* s) { return name.find(s) != std::string::npos; };
  if (has("H100") && has("PCIe")) return {7.56e14, "table (" + name + ")"};
  if (has("H100") || has("H200")) return {9.89e14, "table (" + name + ")"};
  if (has("A100")) return {3.12e14, "table (" + name + ")"};
  return {std::nullopt, "unknown device '" + name + "' (pass --peak-flops)"};
}

}  // namespace moe::metrics
