// Byte tokenizer of the synthetic corpus and its Hugging Face description.
#include "data/byte_tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "util/json_writer.h"

namespace moe::data {

std::vector<std::int64_t> encode_bytes(std::string_view text, std::int64_t vocab_size) {
  std::vector<std::int64_t> ids;
  ids.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::int64_t id = byte_token_id(text[i]);
    if (id >= vocab_size) {
      throw std::invalid_argument("byte " + std::to_string(id) + " at offset " + std::to_string(i) +
                                  " has no token: the vocabulary has " + std::to_string(vocab_size) +
                                  " ids (use 7-bit ASCII text or --vocab-size >= 256)");
    }
    ids.push_back(id);
  }
  return ids;
}

std::string decode_bytes(const std::vector<std::int64_t>& ids) {
  std::string text;
  text.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= kByteValues) {
      throw std::invalid_argument("id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
                                  " is not a byte (0..255)");
    }
    text.push_back(static_cast<char>(static_cast<unsigned char>(ids[i])));
  }
  return text;
}

namespace {

// Vocabulary entry of a byte: the character itself for ASCII (what the BPE
// model looks up first), the byte-fallback token <0xXX> above.
std::string vocab_entry(std::int64_t byte) {
  if (byte < 128) return std::string(1, static_cast<char>(byte));
  char buf[8];
  std::snprintf(buf, sizeof(buf), "<0x%02X>", static_cast<unsigned>(byte));
  return buf;
}

const std::string kSpecial = std::string(1, static_cast<char>(kByteNewlineId));

}  // namespace

HfTokenizerFiles byte_tokenizer_files(std::int64_t vocab_size, std::int64_t model_max_length) {
  if (vocab_size < 128) {
    throw std::invalid_argument("the byte tokenizer needs a vocabulary of at least 128 ids, got " +
                                std::to_string(vocab_size));
  }
  const std::int64_t n = std::min(vocab_size, kByteValues);
  HfTokenizerFiles files;
  {
    std::ostringstream out;
    util::JsonWriter json(out);
    json.begin_object();
    json.key("version").value("1.0");
    json.key("truncation").null();
    json.key("padding").null();
    // '\n' is declared as the one special token (bos = eos = pad); being split
    // off before the model it still maps to id 10, so encodings do not change.
    json.key("added_tokens").begin_array();
    json.begin_object();
    json.key("id").value(static_cast<long long>(kByteNewlineId));
    json.key("content").value(kSpecial);
    json.key("single_word").value(false);
    json.key("lstrip").value(false);
    json.key("rstrip").value(false);
    json.key("normalized").value(false);
    json.key("special").value(true);
    json.end_object();
    json.end_array();
    // No normalizer or pre-tokenizer: the text reaches the model unchanged. No
    // post-processor: the trainer adds no bos/eos tokens, neither does this.
    json.key("normalizer").null();
    json.key("pre_tokenizer").null();
    json.key("post_processor").null();
    json.key("decoder").begin_object();
    json.key("type").value("Sequence");
    json.key("decoders").begin_array();
    json.begin_object().key("type").value("ByteFallback").end_object();
    json.begin_object().key("type").value("Fuse").end_object();
    json.end_array();
    json.end_object();
    json.key("model").begin_object();
    json.key("type").value("BPE");
    json.key("dropout").null();
    json.key("unk_token").null();
    json.key("continuing_subword_prefix").null();
    json.key("end_of_word_suffix").null();
    json.key("fuse_unk").value(false);
    json.key("byte_fallback").value(true);
    json.key("ignore_merges").value(false);
    json.key("vocab").begin_object();
    for (std::int64_t b = 0; b < n; ++b) json.key(vocab_entry(b)).value(static_cast<long long>(b));
    json.end_object();
    json.key("merges").begin_array().end_array();
    json.end_object();
    json.end_object();
    out << "\n";
    files.tokenizer_json = out.str();
  }
  {
    std::ostringstream out;
    util::JsonWriter json(out);
    json.begin_object();
    json.key("tokenizer_class").value("PreTrainedTokenizerFast");
    json.key("bos_token").value(kSpecial);
    json.key("eos_token").value(kSpecial);
    json.key("pad_token").value(kSpecial);
    json.key("add_bos_token").value(false);
    json.key("add_eos_token").value(false);
    // transformers would otherwise turn " ." into "." when decoding (the
    // grammar domain ends its sentences with " .").
    json.key("clean_up_tokenization_spaces").value(false);
    json.key("model_max_length").value(static_cast<long long>(model_max_length));
    json.end_object();
    out << "\n";
    files.tokenizer_config_json = out.str();
  }
  {
    std::ostringstream out;
    util::JsonWriter json(out);
    json.begin_object();
    json.key("bos_token").value(kSpecial);
    json.key("eos_token").value(kSpecial);
    json.key("pad_token").value(kSpecial);
    json.end_object();
    out << "\n";
    files.special_tokens_map_json = out.str();
  }
  return files;
}

}  // namespace moe::data
