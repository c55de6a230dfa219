// Durable file-system operations for the run directory and checkpoints:
// fsync'd writes, atomic replace, directory fsync (docs/checkpoints.md, Durable writes).
// Errors are std::runtime_error naming the path and the system error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/sha1.h"

namespace moe::util {

// Writes a new file (truncating), hashing and counting the bytes on the way;
// finish() fsyncs and closes it. Destroying an unfinished writer closes the fd.
class DurableFileWriter {
 public:
  explicit DurableFileWriter(const std::string& path);
  ~DurableFileWriter();
  DurableFileWriter(const DurableFileWriter&) = delete;
  DurableFileWriter& operator=(const DurableFileWriter&) = delete;

  void write(const void* data, std::size_t size);
  void write(const std::string& text) { write(text.data(), text.size()); }
  // fsync + close; returns the SHA-1 hex digest of everything written.
  std::string finish();
  std::uint64_t bytes() const { return bytes_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t bytes_ = 0;
  Sha1 sha_;
};

// fsyncs a file or directory by path.
void fsync_path(const std::string& path);

// Replaces `path` atomically with `content` (write `path.tmp`, rename). With
// `durable`, the file and its directory are fsync'd too.
void write_file_atomic(const std::string& path, const std::string& content, bool durable);

// Whole file as bytes; throws when unreadable.
std::string read_file(const std::string& path);

// mkdir -p; throws with a hint when it fails or a non-directory is in the way.
void make_dirs(const std::string& path);

bool is_directory(const std::string& path);
bool exists(const std::string& path);
// Size in bytes; throws when the file cannot be stat'ed.
std::uint64_t file_size(const std::string& path);

// Names (not paths) of the entries of a directory; empty when it does not exist.
std::vector<std::string> list_dir(const std::string& path);

// rm -rf; returns false (without throwing) when something could not be removed.
bool remove_tree(const std::string& path);

// rename(2) that throws.
void rename_path(const std::string& from, const std::string& to);

}  // namespace moe::util
