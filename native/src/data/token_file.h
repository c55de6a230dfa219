// Flat token files: a raw little-endian array of uint16 or uint32 token ids
// (what `numpy.ndarray.tofile` writes), memory-mapped. The file is cut into
// non-overlapping windows of seq_len tokens; a source exposes a contiguous
// range of windows, so one file can give a training range and a held-out
// validation range that never overlap.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/sequence_source.h"

namespace moe::data {

enum class TokenWidth { kUint16 = 2, kUint32 = 4 };

// A read-only mapping of a token file (shared by the sources cut from it).
class TokenFile {
 public:
  // Throws std::runtime_error when the file cannot be opened or mapped, or its
  // size is not a multiple of the token width.
  TokenFile(const std::string& path, TokenWidth width);
  ~TokenFile();
  TokenFile(const TokenFile&) = delete;
  TokenFile& operator=(const TokenFile&) = delete;

  std::int64_t num_tokens() const { return num_tokens_; }
  std::uint32_t token(std::int64_t position) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  TokenWidth width_;
  const unsigned char* data_ = nullptr;
  std::size_t bytes_ = 0;
  std::int64_t num_tokens_ = 0;
};

class TokenFileSource : public SequenceSource {
 public:
  // Windows [first_window, first_window + num_windows) of `file`.
  TokenFileSource(std::shared_ptr<const TokenFile> file, std::int64_t seq_len, std::int64_t vocab_size,
                  std::int64_t first_window, std::int64_t num_windows);

  static std::int64_t windows_in(const TokenFile& file, std::int64_t seq_len) { return file.num_tokens() / seq_len; }

  std::int64_t size() const override { return num_windows_; }
  std::int64_t seq_len() const override { return seq_len_; }
  int read(std::int64_t index, std::int64_t* out) const override;
  const std::vector<std::string>& domains() const override;
  std::string describe() const override;

 private:
  std::shared_ptr<const TokenFile> file_;
  std::int64_t seq_len_;
  std::int64_t vocab_size_;
  std::int64_t first_window_;
  std::int64_t num_windows_;
};

}  // namespace moe::data
