// <run-dir>/heartbeat: {"time", "step", "phase"} rewritten atomically
// (heartbeat.tmp + rename) by a background thread every --heartbeat-every
// seconds, so a long evaluation or checkpoint keeps it fresh while a hung
// process lets it go stale (docs/run-directory.md). LibTorch-free.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace moe::metrics {

enum class Phase { kStarting, kTrain, kEval, kCheckpoint, kStopping };
const char* to_string(Phase phase);

class Heartbeat {
 public:
  // Writes the first heartbeat immediately, then starts the thread.
  Heartbeat(std::string run_dir, double interval_seconds);
  ~Heartbeat();  // stops the thread (no final write)
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  // Phase changes are written at once; steps on the next tick.
  void set_phase(Phase phase);
  Phase phase() const { return static_cast<Phase>(phase_.load()); }
  void set_step(std::int64_t step) { step_.store(step); }
  void stop();

 private:
  void write_now();
  void loop();

  std::string path_;
  double interval_;
  std::atomic<int> phase_{0};
  std::atomic<std::int64_t> step_{0};
  std::mutex mutex_;  // guards the file write and the wake-up flag
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace moe::metrics
