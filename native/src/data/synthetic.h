// The built-in synthetic corpus: byte-level (ASCII) text from four domains
// with different structure, so a tiny model learns visibly within minutes and
// expert specialisation by domain can be watched without downloading data.
//   arithmetic  "47+18=65\n", "9*7=63\n"      answers follow from the operands
//   dyck        "([]{<>})\n"                   closing brackets follow from the stack
//   copy        "c:qzwfk=qzwfk\n", "r:abc=cba\n"  the second half repeats the first
//   grammar     "the quick fox sees a dog .\n" a small probabilistic grammar
// Each sequence is one domain's documents concatenated and cut to seq_len.
// Documents are split into train and validation by a hash of their text
// (1 in 8 is validation), so the two streams never share a document.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/sequence_source.h"

namespace moe::data {

enum class Split { kTrain, kValidation };

// Smallest vocabulary the corpus fits in (7-bit ASCII).
inline constexpr std::int64_t kSyntheticMinVocab = 128;

class SyntheticCorpus : public SequenceSource {
 public:
  // domain >= 0 restricts every sequence to that domain (one source of a data
  // mixture, `synthetic:<domain>`); its documents come from a stream of their
  // own, so they never repeat the unrestricted corpus's sequences.
  SyntheticCorpus(std::uint64_t seed, std::int64_t seq_len, Split split, int domain = -1);

  std::int64_t size() const override { return 0; }
  std::int64_t seq_len() const override { return seq_len_; }
  int read(std::int64_t index, std::int64_t* out) const override;
  const std::vector<std::string>& domains() const override;
  std::string describe() const override;

  // One document of `domain` drawn from the generator keyed by `key`, in either
  // split (exposed for tests).
  static std::string generate_document(int domain, std::uint64_t key);
  static Split split_of(const std::string& document);

 private:
  std::uint64_t seed_;
  std::int64_t seq_len_;
  Split split_;
  int domain_;
};

const std::vector<std::string>& synthetic_domain_names();

}  // namespace moe::data
