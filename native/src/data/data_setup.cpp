// Source construction from flags.
#include "data/data_setup.h"

#include <stdexcept>

#include "config/config_error.h"
#include "data/synthetic.h"
#include "data/token_file.h"
#include "util/fs.h"

namespace moe::data {

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

std::shared_ptr<const TokenFile> open_token_file(const std::string& path, const char* flag, const config::RunConfig& c) {
  if (!util::exists(path)) {
    throw config::ConfigError(flag, "no such file '" + path + "'",
                              std::string("give the path of a token file, or --") + flag +
                                  (std::string(flag) == "data" ? "=synthetic for the built-in corpus" : "= (empty)"));
  }
  if (util::is_directory(path)) {
    throw config::ConfigError(flag, "'" + path + "' is a directory", "give the path of a flat token file");
  }
  const TokenWidth width = c.train.token_dtype == config::TokenDType::kUint16 ? TokenWidth::kUint16 : TokenWidth::kUint32;
  try {
    return std::make_shared<const TokenFile>(path, width);
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    if (what.find("not a multiple") != std::string::npos) {
      throw config::ConfigError("token-dtype", what, "check --token-dtype (uint16 or uint32) for this file");
    }
    throw config::ConfigError(flag, what, "check that the file is readable");
  }
}

}  // namespace

void check_data_flags(const config::RunConfig& c) {
  if (c.train.data == "synthetic" && c.model.vocab_size < kSyntheticMinVocab) {
    throw config::ConfigError("vocab-size",
                              "--vocab-size=" + std::to_string(c.model.vocab_size) +
                                  " is too small for the synthetic corpus (byte-level ASCII)",
                              "use --vocab-size=" + std::to_string(kSyntheticMinVocab) +
                                  " or more, or train on a token file with --data=PATH");
  }
}

DataSetup open_data(const config::RunConfig& c) {
  check_data_flags(c);
  const config::TrainConfig& t = c.train;
  const std::int64_t T = t.seq_len;
  DataSetup out;
  const std::int64_t wanted_val = t.val_tokens > 0 ? ceil_div(t.val_tokens, T) : 0;

  if (t.data == "synthetic") {
    const auto seed = static_cast<std::uint64_t>(t.seed);
    out.train = std::make_shared<const SyntheticCorpus>(seed, T, Split::kTrain);
    if (t.val_data.empty()) {
      out.validation = std::make_shared<const SyntheticCorpus>(seed, T, Split::kValidation);
      out.val_sequences = wanted_val;
    }
  } else {
    const auto file = open_token_file(t.data, "data", c);
    const std::int64_t windows = TokenFileSource::windows_in(*file, T);
    const std::int64_t held_out = t.val_data.empty() ? wanted_val : 0;
    if (windows - held_out < 1) {
      throw config::ConfigError(held_out > 0 ? "val-tokens" : "data",
                                "'" + t.data + "' holds " + std::to_string(file->num_tokens()) + " tokens: " +
                                    std::to_string(windows) + " windows of --seq-len=" + std::to_string(T) +
                                    (held_out > 0 ? ", of which " + std::to_string(held_out) +
                                                        " would be held out for validation"
                                                  : ""),
                                held_out > 0 ? "lower --val-tokens, give --val-data, or use a larger file"
                                             : "use a larger file or a shorter --seq-len");
    }
    out.train = std::make_shared<const TokenFileSource>(file, T, c.model.vocab_size, 0, windows - held_out);
    if (held_out > 0) {
      out.validation = std::make_shared<const TokenFileSource>(file, T, c.model.vocab_size, windows - held_out, held_out);
      out.val_sequences = held_out;
    }
  }
  if (!t.val_data.empty()) {
    const auto file = open_token_file(t.val_data, "val-data", c);
    const std::int64_t windows = TokenFileSource::windows_in(*file, T);
    if (windows < 1) {
      throw config::ConfigError("val-data", "'" + t.val_data + "' holds fewer than --seq-len=" + std::to_string(T) +
                                                " tokens", "use a larger validation file or a shorter --seq-len");
    }
    const std::int64_t n = wanted_val > 0 ? std::min(wanted_val, windows) : windows;
    out.validation = std::make_shared<const TokenFileSource>(file, T, c.model.vocab_size, 0, n);
    out.val_sequences = n;
  }
  return out;
}

}  // namespace moe::data
