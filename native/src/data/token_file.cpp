// Memory-mapped token files.
#include "data/token_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace moe::data {

TokenFile::TokenFile(const std::string& path, TokenWidth width) : path_(path), width_(width) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open token file '" + path + "': " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error("cannot stat token file '" + path + "': " + std::strerror(err));
  }
  bytes_ = static_cast<std::size_t>(st.st_size);
  const auto w = static_cast<std::size_t>(width);
  if (bytes_ % w != 0) {
    ::close(fd);
    throw std::runtime_error("token file '" + path + "' has " + std::to_string(bytes_) + " bytes, not a multiple of " +
                             std::to_string(w) + " (--token-dtype)");
  }
  num_tokens_ = static_cast<std::int64_t>(bytes_ / w);
  if (bytes_ > 0) {
    void* p = ::mmap(nullptr, bytes_, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw std::runtime_error("cannot map token file '" + path + "': " + std::strerror(err));
    }
    data_ = static_cast<const unsigned char*>(p);
  }
  ::close(fd);
}

TokenFile::~TokenFile() {
  if (data_) ::munmap(const_cast<unsigned char*>(data_), bytes_);
}

std::uint32_t TokenFile::token(std::int64_t position) const {
  const unsigned char* p = data_ + static_cast<std::size_t>(position) * static_cast<std::size_t>(width_);
  if (width_ == TokenWidth::kUint16) return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8);
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

TokenFileSource::TokenFileSource(std::shared_ptr<const TokenFile> file, std::int64_t seq_len, std::int64_t vocab_size,
                                 std::int64_t first_window, std::int64_t num_windows)
    : file_(std::move(file)),
      seq_len_(seq_len),
      vocab_size_(vocab_size),
      first_window_(first_window),
      num_windows_(num_windows) {}

int TokenFileSource::read(std::int64_t index, std::int64_t* out) const {
  if (index < 0 || index >= num_windows_) throw std::out_of_range("token window index out of range");
  const std::int64_t start = (first_window_ + index) * seq_len_;
  for (std::int64_t i = 0; i < seq_len_; ++i) {
    const std::uint32_t t = file_->token(start + i);
    if (t >= static_cast<std::uint64_t>(vocab_size_)) {
      throw std::runtime_error("token file '" + file_->path() + "' holds token id " + std::to_string(t) +
                               " at position " + std::to_string(start + i) + ", outside --vocab-size=" +
                               std::to_string(vocab_size_) + "; check --token-dtype and --vocab-size");
    }
    out[i] = static_cast<std::int64_t>(t);
  }
  return kUnknownDomain;
}

const std::vector<std::string>& TokenFileSource::domains() const {
  static const std::vector<std::string> none;
  return none;
}

std::string TokenFileSource::describe() const {
  return file_->path() + " (windows " + std::to_string(first_window_) + ".." +
         std::to_string(first_window_ + num_windows_ - 1) + " of " + std::to_string(seq_len_) + " tokens)";
}

}  // namespace moe::data
