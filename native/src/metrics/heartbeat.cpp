// Heartbeat thread.
#include "metrics/heartbeat.h"

#include <chrono>
#include <sstream>

#include "util/fs.h"
#include "util/json_writer.h"
#include "util/time.h"

namespace moe::metrics {

const char* to_string(Phase phase) {
  switch (phase) {
    case Phase::kStarting: return "starting";
    case Phase::kTrain: return "train";
    case Phase::kEval: return "eval";
    case Phase::kCheckpoint: return "checkpoint";
    case Phase::kStopping: return "stopping";
  }
  return "?";
}

Heartbeat::Heartbeat(std::string run_dir, double interval_seconds)
    : path_(std::move(run_dir) + "/heartbeat"), interval_(interval_seconds) {
  write_now();
  thread_ = std::thread([this] { loop(); });
}

Heartbeat::~Heartbeat() {
  stop();
}

void Heartbeat::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Heartbeat::set_phase(Phase phase) {
  phase_.store(static_cast<int>(phase));
  write_now();
}

void Heartbeat::write_now() {
  std::ostringstream out;
  util::JsonWriter json(out);
  json.begin_object();
  json.key("time").value(util::unix_time());
  json.key("step").value(static_cast<long long>(step_.load()));
  json.key("phase").value(to_string(static_cast<Phase>(phase_.load())));
  json.end_object();
  out << "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  try {
    util::write_file_atomic(path_, out.str(), /*durable=*/false);
  } catch (const std::exception&) {
    // A heartbeat that cannot be written goes stale, which is how the
    // workbench learns about it; training itself carries on.
  }
}

void Heartbeat::loop() {
  const auto interval = std::chrono::duration<double>(interval_);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (wake_.wait_for(lock, interval, [this] { return stopping_; })) break;
    lock.unlock();
    write_now();
    lock.lock();
  }
}

}  // namespace moe::metrics
