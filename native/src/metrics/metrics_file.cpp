// metrics.jsonl: locking, torn-tail repair, whole-line appends.
#include "metrics/metrics_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace moe::metrics {

namespace {

constexpr std::string_view kHeaderPrefix = "{\"type\":\"header\"";

}  // namespace

MetricsFile::MetricsFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open metrics file '" + path + "': " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK) {
      throw std::runtime_error("another trainer is writing to '" + path +
                               "'; stop it first or use a different --run-dir");
    }
    throw std::runtime_error("cannot lock metrics file '" + path + "': " + std::strerror(err));
  }
  // Scan once: count headers, find the end of the last complete line.
  std::vector<char> buf(1 << 16);
  off_t offset = 0, last_newline_end = 0;
  bool at_line_start = true;
  std::string line_head;
  while (true) {
    const ssize_t n = ::pread(fd_, buf.data(), buf.size(), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot read metrics file '" + path + "': " + std::strerror(errno));
    }
    if (n == 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      const char c = buf[static_cast<std::size_t>(i)];
      if (at_line_start) {
        line_head.clear();
        at_line_start = false;
      }
      if (c == '\n') {
        if (line_head.size() >= kHeaderPrefix.size() &&
            line_head.compare(0, kHeaderPrefix.size(), kHeaderPrefix) == 0) {
          ++previous_attempts_;
        }
        last_newline_end = offset + i + 1;
        at_line_start = true;
      } else if (line_head.size() < kHeaderPrefix.size()) {
        line_head += c;
      }
    }
    offset += n;
  }
  if (offset != last_newline_end && ::ftruncate(fd_, last_newline_end) != 0) {
    throw std::runtime_error("cannot repair the torn last line of '" + path + "': " + std::strerror(errno));
  }
}

MetricsFile::~MetricsFile() {
  if (fd_ >= 0) ::close(fd_);  // also releases the lock
}

void MetricsFile::append(const std::string& json) {
  std::string line;
  line.reserve(json.size() + 1);
  line += json;
  line += '\n';
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot append to metrics file '" + path_ + "': " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace moe::metrics
