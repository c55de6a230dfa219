// Kineto profiling of a window of training steps.
#include "train/step_profiler.h"

#include <torch/csrc/autograd/profiler_kineto.h>
#include <torch/cuda.h>

#include <set>
#include <stdexcept>

#include "util/fs.h"

namespace moe::train {

namespace {

namespace prof = torch::profiler::impl;

std::set<prof::ActivityType> activities(bool cuda) {
  std::set<prof::ActivityType> a{prof::ActivityType::CPU};
  if (cuda) a.insert(prof::ActivityType::CUDA);
  return a;
}

prof::ProfilerConfig profiler_config() {
  return prof::ProfilerConfig(prof::ProfilerState::KINETO, /*report_input_shapes=*/true, /*profile_memory=*/false,
                              /*with_stack=*/false, /*with_flops=*/false, /*with_modules=*/false);
}

}  // namespace

StepProfiler::StepProfiler(std::int64_t first, std::int64_t count, std::string dir, bool cuda)
    : first_(first), last_(first + count - 1), dir_(std::move(dir)), cuda_(cuda) {}

StepProfiler::~StepProfiler() {
  if (active_) {
    try {
      torch::autograd::profiler::disableProfiler();
    } catch (...) {}
  }
}

void StepProfiler::before_step(std::int64_t step) {
  if (first_ <= 0 || step != first_ || active_) return;
  if (cuda_) torch::cuda::synchronize();  // earlier steps' kernels stay out of the window
  torch::autograd::profiler::prepareProfiler(profiler_config(), activities(cuda_));
  torch::autograd::profiler::enableProfiler(profiler_config(), activities(cuda_));
  active_ = true;
}

std::string StepProfiler::after_step(std::int64_t step) {
  if (!active_ || step < last_) return "";
  if (cuda_) torch::cuda::synchronize();  // the window's kernels have finished
  std::unique_ptr<torch::autograd::profiler::ProfilerResult> result = torch::autograd::profiler::disableProfiler();
  active_ = false;
  if (!result)
    throw std::runtime_error("the profiler returned no result for steps " + std::to_string(first_) + "-" +
                             std::to_string(last_));
  util::make_dirs(dir_);
  const std::string path = dir_ + "/trace.json";
  result->save(path);
  return path;
}

}  // namespace moe::train
