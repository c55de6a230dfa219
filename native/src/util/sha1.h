// Streaming SHA-1 (FIPS 180-4) for checkpoint manifests. c10::sha1
// (c10/util/hash.h) only hashes a whole std::string held in memory (its
// process_bytes is private) and leaves its state unset for empty input, which
// rules it out for multi-gigabyte checkpoint files; this one is fed in chunks
// while files are written or read. Tests cross-check it against c10::sha1 and
// Python's hashlib.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace moe::util {

class Sha1 {
 public:
  Sha1();
  void update(const void* data, std::size_t size);
  // Lower-case hex digest (40 characters). Finishes the hash; call once.
  std::string hex_digest();

 private:
  void process_block(const unsigned char* block);

  std::uint32_t h_[5];
  unsigned char buffer_[64];
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
  bool finished_ = false;
};

// SHA-1 of a file's contents, read in 1 MiB chunks; throws std::runtime_error
// when the file cannot be read. `size_out` (optional) receives the byte count.
std::string sha1_file(const std::string& path, std::uint64_t* size_out = nullptr);

std::string sha1_hex(const std::string& bytes);

}  // namespace moe::util
