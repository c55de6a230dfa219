// Document generators of the synthetic corpus.
#include "data/synthetic.h"

#include <algorithm>

#include "data/byte_tokenizer.h"
#include "data/rng.h"

namespace moe::data {

namespace {

enum Domain { kArithmetic = 0, kDyck = 1, kCopy = 2, kGrammar = 3, kNumDomains = 4 };

std::string arithmetic(Rng& rng) {
  const int op = static_cast<int>(rng.below(3));
  std::int64_t a, b, c;
  char sym;
  if (op == 0) {
    a = rng.between(0, 99), b = rng.between(0, 99), c = a + b, sym = '+';
  } else if (op == 1) {
    a = rng.between(0, 99), b = rng.between(0, a), c = a - b, sym = '-';
  } else {
    a = rng.between(0, 12), b = rng.between(0, 12), c = a * b, sym = '*';
  }
  return std::to_string(a) + sym + std::to_string(b) + "=" + std::to_string(c) + "\n";
}

std::string dyck(Rng& rng) {
  static const char kOpen[] = "([{<";
  static const char kClose[] = ")]}>";
  const std::int64_t pairs = rng.between(1, 12);
  std::string out, stack;
  std::int64_t opened = 0;
  while (opened < pairs || !stack.empty()) {
    const bool can_open = opened < pairs;
    const bool open = can_open && (stack.empty() || rng.chance(0.5));
    if (open) {
      const auto kind = rng.below(4);
      out += kOpen[kind];
      stack += kClose[kind];
      ++opened;
    } else {
      out += stack.back();
      stack.pop_back();
    }
  }
  return out + "\n";
}

std::string copy_or_reverse(Rng& rng) {
  const bool reverse = rng.chance(0.5);
  const std::int64_t len = rng.between(3, 12);
  std::string word;
  for (std::int64_t i = 0; i < len; ++i) word += static_cast<char>('a' + rng.below(26));
  std::string target = word;
  if (reverse) std::reverse(target.begin(), target.end());
  return std::string(reverse ? "r:" : "c:") + word + "=" + target + "\n";
}

template <std::size_t N>
const char* pick(Rng& rng, const char* const (&words)[N]) {
  return words[rng.below(N)];
}

std::string noun_phrase(Rng& rng) {
  static const char* const kDet[] = {"the", "a", "every", "one"};
  static const char* const kAdj[] = {"small", "big", "red", "quick", "lazy", "old", "bright"};
  static const char* const kNoun[] = {"cat", "dog", "bird", "fox", "child", "robot", "river", "tree"};
  std::string np = pick(rng, kDet);
  if (rng.chance(0.4)) np += std::string(" ") + pick(rng, kAdj);
  return np + " " + pick(rng, kNoun);
}

std::string grammar(Rng& rng) {
  static const char* const kTransitive[] = {"sees", "likes", "chases", "finds", "follows"};
  static const char* const kIntransitive[] = {"sleeps", "runs", "waits", "sings"};
  static const char* const kPrep[] = {"near", "under", "behind"};
  std::string s = noun_phrase(rng);
  if (rng.chance(0.7)) {
    s += std::string(" ") + pick(rng, kTransitive) + " " + noun_phrase(rng);
  } else {
    s += std::string(" ") + pick(rng, kIntransitive);
  }
  if (rng.chance(0.3)) s += std::string(" ") + pick(rng, kPrep) + " " + noun_phrase(rng);
  return s + " .\n";
}

constexpr std::uint64_t kTrainStream = 0x7472616e;  // stream ids keep the splits' generators apart
constexpr std::uint64_t kValStream = 0x76616c;
constexpr std::uint64_t kSplitSalt = 0x73706c6974;

}  // namespace

const std::vector<std::string>& synthetic_domain_names() {
  static const std::vector<std::string> names = {"arithmetic", "dyck", "copy", "grammar"};
  return names;
}

SyntheticCorpus::SyntheticCorpus(std::uint64_t seed, std::int64_t seq_len, Split split, int domain)
    : seed_(seed), seq_len_(seq_len), split_(split), domain_(domain) {}

const std::vector<std::string>& SyntheticCorpus::domains() const {
  return synthetic_domain_names();
}

std::string SyntheticCorpus::describe() const {
  const std::string domains =
      domain_ >= 0 ? "domain " + synthetic_domain_names()[static_cast<std::size_t>(domain_)] : std::string("4 domains");
  return std::string("synthetic corpus (") + (split_ == Split::kTrain ? "train" : "validation") + " split, " + domains +
         ", byte-level)";
}

std::string SyntheticCorpus::generate_document(int domain, std::uint64_t key) {
  Rng rng(key);
  switch (domain) {
    case kArithmetic: return arithmetic(rng);
    case kDyck: return dyck(rng);
    case kCopy: return copy_or_reverse(rng);
    default: return grammar(rng);
  }
}

Split SyntheticCorpus::split_of(const std::string& document) {
  return hash_combine(hash_bytes(document), kSplitSalt) % 8 == 0 ? Split::kValidation : Split::kTrain;
}

int SyntheticCorpus::read(std::int64_t index, std::int64_t* out) const {
  std::uint64_t stream = split_ == Split::kTrain ? kTrainStream : kValStream;
  if (domain_ >= 0) stream ^= (static_cast<std::uint64_t>(domain_) + 1) << 40;
  const std::uint64_t key = hash_combine(seed_, stream, static_cast<std::uint64_t>(index));
  const int domain = domain_ >= 0 ? domain_ : static_cast<int>(mix64(key) % kNumDomains);
  std::int64_t filled = 0;
  for (std::uint64_t doc = 0; filled < seq_len_; ++doc) {
    const std::string text = generate_document(domain, hash_combine(key, doc));
    if (split_of(text) != split_) continue;  // belongs to the other split
    for (char ch : text) {
      if (filled == seq_len_) break;
      out[filled++] = byte_token_id(ch);
    }
  }
  return domain;
}

}  // namespace moe::data
