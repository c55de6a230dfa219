// Streaming SHA-1 against LibTorch's own c10::sha1 (an independent
// implementation) for many lengths and chunkings, file hashing, durable
// writes, and the `key value` reader.
#include <gtest/gtest.h>

#include <c10/util/hash.h>

#include <random>

#include "test_helpers.h"
#include "util/fs.h"
#include "util/kv_text.h"
#include "util/sha1.h"

namespace moe::util {
namespace {

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen() & 0xFF);
  return s;
}

TEST(Sha1, MatchesC10ForManyLengthsAndChunkings) {
  // Lengths around the 55/56/64-byte padding boundaries and multi-block inputs.
  for (std::size_t n : {1u, 3u, 55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 128u, 1000u, 4097u, 100000u}) {
    const std::string bytes = random_bytes(n, static_cast<unsigned>(n));
    const std::string expected = c10::sha1(bytes).str();
    EXPECT_EQ(sha1_hex(bytes), expected) << n;
    for (std::size_t chunk : {1u, 7u, 64u, 1000u}) {
      Sha1 sha;
      for (std::size_t i = 0; i < n; i += chunk) sha.update(bytes.data() + i, std::min(chunk, n - i));
      EXPECT_EQ(sha.hex_digest(), expected) << n << " in chunks of " << chunk;
    }
  }
}

TEST(Sha1, DifferentInputsDiffer) {
  std::string a = random_bytes(1000, 1), b = a;
  b[500] ^= 1;
  EXPECT_NE(sha1_hex(a), sha1_hex(b));
}

TEST(DurableFiles, WriterHashesWhatItWritesAndFileHashAgrees) {
  const std::string dir = test::make_temp_dir("fs");
  const std::string bytes = random_bytes(3 << 20, 7);  // crosses the 1 MiB read chunks
  DurableFileWriter w(dir + "/f.bin");
  w.write(bytes.data(), 1000);
  w.write(bytes.data() + 1000, bytes.size() - 1000);
  EXPECT_EQ(w.bytes(), bytes.size());
  const std::string digest = w.finish();
  EXPECT_EQ(digest, c10::sha1(bytes).str());
  std::uint64_t size = 0;
  EXPECT_EQ(sha1_file(dir + "/f.bin", &size), digest);
  EXPECT_EQ(size, bytes.size());
  EXPECT_EQ(file_size(dir + "/f.bin"), bytes.size());
  remove_tree(dir);
}

TEST(DurableFiles, AtomicReplaceLeavesNoTemporary) {
  const std::string dir = test::make_temp_dir("fs");
  write_file_atomic(dir + "/hb", "one\n", true);
  write_file_atomic(dir + "/hb", "two\n", false);
  EXPECT_EQ(read_file(dir + "/hb"), "two\n");
  EXPECT_FALSE(exists(dir + "/hb.tmp"));
  EXPECT_THROW(read_file(dir + "/missing"), std::runtime_error);
  remove_tree(dir);
}

TEST(KeyValue, SplitsAtTheFirstSpaceAndSkipsComments) {
  const auto kv = parse_key_values("# comment\nformat 1\n\nfile model.pt 12 abc\nflag\n");
  ASSERT_EQ(kv.size(), 3u);
  EXPECT_EQ(kv[0].key, "format");
  EXPECT_EQ(kv[0].value, "1");
  EXPECT_EQ(kv[1].value, "model.pt 12 abc");
  EXPECT_EQ(kv[1].line, 4);
  EXPECT_EQ(kv[2].value, "");
  EXPECT_EQ(find_key(kv, "file")->value, "model.pt 12 abc");
  EXPECT_EQ(find_key(kv, "missing"), nullptr);
}

}  // namespace
}  // namespace moe::util
