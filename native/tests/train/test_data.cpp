// The data layer: keyed permutations, the synthetic corpus (domains, byte
// range, train/validation disjointness, determinism), token files and their
// held-out tail, and the loader's order, rank split and resumable cursor.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "config/config_error.h"
#include "config/run_config.h"
#include "data/data_setup.h"
#include "data/loader.h"
#include "data/permutation.h"
#include "data/synthetic.h"
#include "data/token_file.h"
#include "test_helpers.h"
#include "util/fs.h"

namespace moe::data {
namespace {

TEST(Permutation, IsABijectionForAwkwardSizes) {
  for (std::uint64_t n : {1ull, 2ull, 3ull, 7ull, 64ull, 1000ull, 4097ull}) {
    const KeyedPermutation perm(n, 42);
    std::set<std::uint64_t> seen;
    for (std::uint64_t i = 0; i < n; ++i) {
      const auto v = perm(i);
      ASSERT_LT(v, n);
      seen.insert(v);
    }
    EXPECT_EQ(seen.size(), n) << n;
  }
}

TEST(Permutation, KeyChangesTheOrder) {
  const KeyedPermutation a(1000, 1), b(1000, 2);
  int same = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) same += a(i) == b(i);
  EXPECT_LT(same, 20);
  int fixed = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) fixed += a(i) == i;
  EXPECT_LT(fixed, 20);
}

std::vector<std::int64_t> read_one(const SequenceSource& s, std::int64_t index, int* domain = nullptr) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(s.seq_len()));
  const int d = s.read(index, out.data());
  if (domain) *domain = d;
  return out;
}

TEST(Synthetic, DeterministicAsciiAndEveryDomainAppears) {
  const SyntheticCorpus corpus(7, 64, Split::kTrain);
  std::set<int> domains;
  for (std::int64_t i = 0; i < 200; ++i) {
    int d = -1;
    const auto tokens = read_one(corpus, i, &d);
    domains.insert(d);
    EXPECT_EQ(tokens, read_one(corpus, i)) << "sequence " << i << " is not a function of its index";
    for (auto t : tokens) {
      ASSERT_GE(t, 1);
      ASSERT_LT(t, kSyntheticMinVocab);
    }
  }
  EXPECT_EQ(domains, (std::set<int>{0, 1, 2, 3}));
  EXPECT_EQ(corpus.domains().size(), 4u);
  EXPECT_NE(read_one(corpus, 0), read_one(SyntheticCorpus(8, 64, Split::kTrain), 0));
}

// Splits the text of sequences into documents ('\n'-terminated; the cut-off
// last one is dropped).
std::set<std::string> documents(const SequenceSource& s, std::int64_t count) {
  std::set<std::string> docs;
  for (std::int64_t i = 0; i < count; ++i) {
    std::string text;
    for (auto t : read_one(s, i)) text += static_cast<char>(t);
    std::size_t start = 0;
    for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
      docs.insert(text.substr(start, nl + 1 - start));
      start = nl + 1;
    }
  }
  return docs;
}

TEST(Synthetic, TrainAndValidationShareNoDocument) {
  const SyntheticCorpus train(3, 128, Split::kTrain), val(3, 128, Split::kValidation);
  const auto train_docs = documents(train, 1500);
  const auto val_docs = documents(val, 300);
  ASSERT_GT(val_docs.size(), 300u);
  std::size_t shared = 0;
  for (const auto& d : val_docs) shared += train_docs.count(d);
  EXPECT_EQ(shared, 0u);
  for (const auto& d : val_docs) EXPECT_EQ(SyntheticCorpus::split_of(d), Split::kValidation) << d;
}

TEST(Synthetic, DocumentsFollowTheirDomainsRules) {
  for (std::uint64_t key = 0; key < 300; ++key) {
    const std::string arith = SyntheticCorpus::generate_document(0, key);
    const auto eq = arith.find('=');
    ASSERT_NE(eq, std::string::npos) << arith;
    const auto op = arith.find_first_of("+-*");
    const long a = std::stol(arith.substr(0, op)), b = std::stol(arith.substr(op + 1, eq - op - 1));
    const long c = std::stol(arith.substr(eq + 1));
    EXPECT_EQ(c, arith[op] == '+' ? a + b : arith[op] == '-' ? a - b : a * b) << arith;

    std::string stack;
    for (char ch : SyntheticCorpus::generate_document(1, key)) {
      if (ch == '\n') break;
      const std::string open = "([{<", close = ")]}>";
      if (open.find(ch) != std::string::npos) {
        stack += close[open.find(ch)];
      } else {
        ASSERT_FALSE(stack.empty());
        EXPECT_EQ(ch, stack.back());
        stack.pop_back();
      }
    }
    EXPECT_TRUE(stack.empty());

    const std::string copy = SyntheticCorpus::generate_document(2, key);
    const auto sep = copy.find('=');
    std::string src = copy.substr(2, sep - 2), dst = copy.substr(sep + 1, copy.size() - sep - 2);
    if (copy[0] == 'r') std::reverse(src.begin(), src.end());
    EXPECT_EQ(src, dst) << copy;
  }
}

std::string write_tokens(const std::string& dir, const std::vector<std::uint32_t>& tokens, bool wide) {
  const std::string path = dir + (wide ? "/tokens32.bin" : "/tokens16.bin");
  std::ofstream out(path, std::ios::binary);
  for (auto t : tokens) {
    if (wide) {
      out.write(reinterpret_cast<const char*>(&t), 4);
    } else {
      const auto v = static_cast<std::uint16_t>(t);
      out.write(reinterpret_cast<const char*>(&v), 2);
    }
  }
  return path;
}

TEST(TokenFile, WindowsAndWidths) {
  const std::string dir = test::make_temp_dir("tokens");
  std::vector<std::uint32_t> tokens;
  for (std::uint32_t i = 0; i < 100; ++i) tokens.push_back(i * 3 % 70000);
  for (bool wide : {false, true}) {
    auto file =
        std::make_shared<TokenFile>(write_tokens(dir, tokens, wide), wide ? TokenWidth::kUint32 : TokenWidth::kUint16);
    EXPECT_EQ(file->num_tokens(), 100);
    EXPECT_EQ(TokenFileSource::windows_in(*file, 8), 12);
    const TokenFileSource src(file, 8, 1 << 20, 2, 3);  // windows 2, 3, 4
    const auto w = read_one(src, 1);                    // window 3 = tokens 24..31
    for (int i = 0; i < 8; ++i) {
      const std::uint32_t t = tokens[static_cast<std::size_t>(24 + i)];
      EXPECT_EQ(w[static_cast<std::size_t>(i)], wide ? t : static_cast<std::uint16_t>(t));
    }
  }
  // Ids beyond the vocabulary are reported with their position.
  auto file = std::make_shared<TokenFile>(write_tokens(dir, tokens, true), TokenWidth::kUint32);
  const TokenFileSource small_vocab(file, 8, 50, 0, 12);
  try {
    read_one(small_vocab, 3);
    FAIL() << "expected an out-of-vocabulary error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--vocab-size=50"), std::string::npos) << e.what();
  }
  util::remove_tree(dir);
}

TEST(DataSetup, HoldsOutTheTailForValidationAndChecksFlags) {
  const std::string dir = test::make_temp_dir("setup");
  std::vector<std::uint32_t> tokens(1000);
  for (std::size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<std::uint32_t>(i % 50);
  config::RunConfig c;
  c.model.vocab_size = 64;
  c.train.training.seq_len = 10;  // 100 windows
  c.train.data.source = write_tokens(dir, tokens, false);
  c.train.data.val_tokens = 95;  // -> 10 windows held out
  const DataSetup d = open_data(c);
  EXPECT_EQ(d.train->size(), 90);
  EXPECT_EQ(d.validation->size(), 10);
  EXPECT_EQ(d.val_sequences, 10);
  EXPECT_EQ(read_one(*d.validation, 0)[0], tokens[900]);

  c.train.data.val_tokens = 1000;  // would leave nothing to train on
  try {
    open_data(c);
    FAIL();
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(e.flag(), "val-tokens");
  }
  c.train.data.val_tokens = 0;
  c.train.data.token_dtype = config::TokenDType::kUint32;  // 2000 bytes is a whole number of uint32 too
  c.train.data.source = dir + "/missing.bin";
  try {
    open_data(c);
    FAIL();
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(e.flag(), "data");
  }
  c.train.data.source = "synthetic";
  c.model.vocab_size = 100;
  try {
    open_data(c);
    FAIL();
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(e.flag(), "vocab-size");
  }
  util::remove_tree(dir);
}

std::vector<std::vector<std::int64_t>> rows(const MicroBatch& b) {
  std::vector<std::vector<std::int64_t>> out;
  for (std::int64_t r = 0; r < b.rows; ++r) {
    out.emplace_back(b.tokens.begin() + r * b.seq_len, b.tokens.begin() + (r + 1) * b.seq_len);
  }
  return out;
}

TEST(Loader, RanksReadDisjointRowsOfTheSameGlobalOrder) {
  auto source = std::make_shared<SyntheticCorpus>(5, 16, Split::kTrain);
  DataLoader single(source, 4, 0, 1, 5);
  DataLoader r0(source, 2, 0, 2, 5), r1(source, 2, 1, 2, 5);
  for (int step = 0; step < 3; ++step) {
    const auto whole = rows(single.next());
    const auto a = rows(r0.next()), b = rows(r1.next());
    EXPECT_EQ(whole[0], a[0]);
    EXPECT_EQ(whole[1], a[1]);
    EXPECT_EQ(whole[2], b[0]);
    EXPECT_EQ(whole[3], b[1]);
  }
  EXPECT_EQ(single.state().cursor, 12);
  EXPECT_EQ(r0.state().cursor, 12);
  EXPECT_EQ(r1.state().cursor, 12);
}

TEST(Loader, RestoredCursorContinuesTheSameStream) {
  const std::string dir = test::make_temp_dir("loader");
  std::vector<std::uint32_t> tokens(4 * 30);
  for (std::size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<std::uint32_t>(i);
  auto file = std::make_shared<TokenFile>(write_tokens(dir, tokens, false), TokenWidth::kUint16);
  auto source = std::make_shared<TokenFileSource>(file, 4, 1000, 0, 30);
  DataLoader a(source, 3, 0, 1, 9);
  std::vector<std::vector<std::int64_t>> first;
  std::set<std::int64_t> epoch0;
  for (int i = 0; i < 10; ++i) {
    for (const auto& r : rows(a.next())) {
      first.push_back(r);
      epoch0.insert(r[0]);
    }
  }
  EXPECT_EQ(epoch0.size(), 30u) << "one epoch visits every window once";
  DataLoader b(source, 3, 0, 1, 9);
  b.restore({15});
  const auto resumed = rows(b.next());
  EXPECT_EQ(resumed[0], first[15]);
  EXPECT_EQ(resumed[2], first[17]);
  // The next epoch is shuffled differently.
  DataLoader c(source, 30, 0, 1, 9);
  const auto e0 = rows(c.next()), e1 = rows(c.next());
  EXPECT_NE(e0, e1);
  util::remove_tree(dir);
}

}  // namespace
}  // namespace moe::data
