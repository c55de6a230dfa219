// The tokenizer of the built-in synthetic corpus: one token per byte, the id is
// the byte's value (the corpus is 7-bit ASCII, so ids 0..127 occur). There are
// no special tokens; every document ends with '\n' (id 10), which therefore
// serves as the begin/end-of-text and padding token of exported models.
//
// byte_tokenizer_files() describes exactly this mapping as a Hugging Face
// `tokenizers` model (docs/export.md): a BPE model without merges whose
// vocabulary is the 128 ASCII characters plus byte-fallback tokens <0x80>..<0xFF>,
// so any UTF-8 text encodes to its bytes, as the trainer does. LibTorch-free.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moe::data {

// Document separator of the synthetic corpus; bos/eos/pad of exported models.
inline constexpr std::int64_t kByteNewlineId = 10;
// Byte values that can be token ids (a vocabulary below 256 holds fewer).
inline constexpr std::int64_t kByteValues = 256;

// The id of one byte of text.
inline std::int64_t byte_token_id(char ch) {
  return static_cast<unsigned char>(ch);
}

// The trainer's encoding of `text` (its UTF-8 bytes). Throws std::invalid_argument
// naming the offset when a byte has no id below vocab_size.
std::vector<std::int64_t> encode_bytes(std::string_view text, std::int64_t vocab_size);

// The inverse: ids (each < 256) back to bytes. Throws std::invalid_argument otherwise.
std::string decode_bytes(const std::vector<std::int64_t>& ids);

struct HfTokenizerFiles {
  std::string tokenizer_json;           // tokenizer.json (the `tokenizers` pipeline)
  std::string tokenizer_config_json;    // tokenizer_config.json (transformers' AutoTokenizer)
  std::string special_tokens_map_json;  // special_tokens_map.json
};

// The Hugging Face files for a model of `vocab_size` (>= 128) ids whose context
// is model_max_length tokens. Ids at or above 256 (larger vocabularies) never
// occur in the corpus and are not part of the tokenizer.
HfTokenizerFiles byte_tokenizer_files(std::int64_t vocab_size, std::int64_t model_max_length);

}  // namespace moe::data
