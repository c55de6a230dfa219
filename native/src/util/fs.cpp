// POSIX implementations of the durable file operations.
#include "util/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace moe::util {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  std::string hint;
  if (err == ENOSPC) hint = "; the disk is full: free space or point --run-dir at a larger volume";
  if (err == EACCES || err == EPERM) hint = "; check the permissions of the run directory";
  if (err == EROFS) hint = "; the file system is read-only";
  throw std::runtime_error(what + " '" + path + "': " + std::strerror(err) + hint);
}

}  // namespace

DurableFileWriter::DurableFileWriter(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot create", path, errno);
}

DurableFileWriter::~DurableFileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void DurableFileWriter::write(const void* data, std::size_t size) {
  if (fd_ < 0) throw std::logic_error("DurableFileWriter::write after finish");
  sha_.update(data, size);
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path_, errno);
    }
    p += n;
    size -= static_cast<std::size_t>(n);
    bytes_ += static_cast<std::uint64_t>(n);
  }
}

std::string DurableFileWriter::finish() {
  if (fd_ < 0) throw std::logic_error("DurableFileWriter::finish called twice");
  if (::fsync(fd_) != 0) fail("cannot fsync", path_, errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("cannot close", path_, errno);
  return sha_.hex_digest();
}

void fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open", path, errno);
  if (::fsync(fd) != 0 && errno != EINVAL) {
    const int err = errno;
    ::close(fd);
    fail("cannot fsync", path, err);
  }
  ::close(fd);
}

void write_file_atomic(const std::string& path, const std::string& content, bool durable) {
  const std::string tmp = path + ".tmp";
  {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("cannot create", tmp, errno);
    const char* p = content.data();
    std::size_t left = content.size();
    while (left > 0) {
      const ssize_t n = ::write(fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        fail("cannot write", tmp, err);
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    if (durable && ::fsync(fd) != 0) {
      const int err = errno;
      ::close(fd);
      fail("cannot fsync", tmp, err);
    }
    if (::close(fd) != 0) fail("cannot close", tmp, errno);
  }
  rename_path(tmp, path);
  if (durable) {
    const std::string dir = std::filesystem::path(path).parent_path().string();
    fsync_path(dir.empty() ? "." : dir);
  }
}

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open", path, errno);
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      fail("cannot read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

void make_dirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec || !is_directory(path)) {
    throw std::runtime_error("cannot create directory '" + path + "'" + (ec ? ": " + ec.message() : "") +
                             "; check the path and its permissions");
  }
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::uint64_t file_size(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) fail("cannot stat", path, errno);
  return static_cast<std::uint64_t>(st.st_size);
}

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (!dir) return names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  return names;
}

bool remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  return !ec;
}

void rename_path(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) fail("cannot rename '" + from + "' to", to, errno);
}

}  // namespace moe::util
