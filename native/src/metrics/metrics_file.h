// The append-only metrics stream <run-dir>/metrics.jsonl (docs/metrics-schema.md).
// Every record goes out as one write(2) of the whole line including '\n' on an
// O_APPEND descriptor, so a reader that takes complete lines never sees half a
// record. The file is locked (flock) while a trainer writes to it, so two
// trainers can never interleave in one run directory. LibTorch-free.
#pragma once

#include <cstdint>
#include <string>

namespace moe::metrics {

class MetricsFile {
 public:
  // Opens (creating) the file and takes an exclusive lock. A last line without
  // '\n' (a crash mid-write) is cut off so the next record starts a fresh line.
  // Throws std::runtime_error when the file cannot be opened or is locked by
  // another process.
  explicit MetricsFile(const std::string& path);
  ~MetricsFile();
  MetricsFile(const MetricsFile&) = delete;
  MetricsFile& operator=(const MetricsFile&) = delete;

  // Number of header records already in the file (previous attempts): complete
  // lines that start with {"type":"header", the form this trainer writes.
  std::int64_t previous_attempts() const { return previous_attempts_; }

  // Appends `json` (one JSON object without newline) as one line.
  void append(const std::string& json);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::int64_t previous_attempts_ = 0;
};

}  // namespace moe::metrics
