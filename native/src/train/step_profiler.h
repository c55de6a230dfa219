// Optional profile of a few training steps (--profile-from-step, --profile-steps):
// LibTorch's Kineto profiler records the CPU operators and, on CUDA, the kernels,
// copies and runtime calls of those steps, and the trace is written as Chrome
// trace JSON to <run-dir>/profile/trace.json. native/bench/profile_summary.py
// groups its time by kernel category. LibTorch-free header.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace moe::train {

class StepProfiler {
 public:
  // Profiles steps [first, first + count) into <dir>/trace.json; first == 0 turns it off.
  StepProfiler(std::int64_t first, std::int64_t count, std::string dir, bool cuda);
  ~StepProfiler();
  StepProfiler(const StepProfiler&) = delete;
  StepProfiler& operator=(const StepProfiler&) = delete;

  // Called around every step; start and stop the profiler at the window's edges.
  void before_step(std::int64_t step);
  // Returns the trace's path when this step closed the window, else "".
  std::string after_step(std::int64_t step);

 private:
  std::int64_t first_;
  std::int64_t last_;
  std::string dir_;
  bool cuda_;
  bool active_ = false;
};

}  // namespace moe::train
