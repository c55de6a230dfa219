// Source construction from flags.
#include "data/data_setup.h"

#include <algorithm>
#include <stdexcept>

#include "config/config_error.h"
#include "config/mix_spec.h"
#include "data/rng.h"
#include "data/synthetic.h"
#include "data/token_file.h"
#include "util/fs.h"
#include "util/strings.h"

namespace moe::data {

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

std::shared_ptr<const TokenFile> open_token_file(const std::string& path, const char* flag,
                                                 const config::RunConfig& c) {
  if (!util::exists(path)) {
    throw config::ConfigError(flag, "no such file '" + path + "'",
                              std::string("give the path of a token file, or --") + flag +
                                  (std::string(flag) == "data" ? "=synthetic for the built-in corpus" : "= (empty)"));
  }
  if (util::is_directory(path)) {
    throw config::ConfigError(flag, "'" + path + "' is a directory", "give the path of a flat token file");
  }
  const TokenWidth width =
      c.train.data.token_dtype == config::TokenDType::kUint16 ? TokenWidth::kUint16 : TokenWidth::kUint32;
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
  bool synthetic = c.train.data.mix.empty() && c.train.data.source == "synthetic";
  for (const std::string* text : {&c.train.data.mix, &c.train.data.mix_phase2}) {
    if (text->empty()) continue;
    for (const auto& m : config::parse_data_mix(*text, text == &c.train.data.mix ? "data-mix" : "data-mix-phase2")) {
      synthetic = synthetic || m.synthetic;
    }
  }
  if (synthetic && c.model.vocab_size < kSyntheticMinVocab) {
    throw config::ConfigError("vocab-size",
                              "--vocab-size=" + std::to_string(c.model.vocab_size) +
                                  " is too small for the synthetic corpus (byte-level ASCII)",
                              "use --vocab-size=" + std::to_string(kSyntheticMinVocab) +
                                  " or more, or train on a token file with --data=PATH");
  }
}

namespace {

// --data (and --val-data) as before mixtures existed.
DataSetup open_plain_data(const config::RunConfig& c) {
  const config::TrainConfig& t = c.train;
  const std::int64_t T = t.training.seq_len;
  DataSetup out;
  const std::int64_t wanted_val = t.data.val_tokens > 0 ? ceil_div(t.data.val_tokens, T) : 0;

  if (t.data.source == "synthetic") {
    const auto seed = static_cast<std::uint64_t>(t.training.seed);
    out.train = std::make_shared<const SyntheticCorpus>(seed, T, Split::kTrain);
    if (t.data.val_data.empty()) {
      out.validation = std::make_shared<const SyntheticCorpus>(seed, T, Split::kValidation);
      out.val_sequences = wanted_val;
    }
  } else {
    const auto file = open_token_file(t.data.source, "data", c);
    const std::int64_t windows = TokenFileSource::windows_in(*file, T);
    const std::int64_t held_out = t.data.val_data.empty() ? wanted_val : 0;
    if (windows - held_out < 1) {
      throw config::ConfigError(
          held_out > 0 ? "val-tokens" : "data",
          "'" + t.data.source + "' holds " + std::to_string(file->num_tokens()) +
              " tokens: " + std::to_string(windows) + " windows of --seq-len=" + std::to_string(T) +
              (held_out > 0 ? ", of which " + std::to_string(held_out) + " would be held out for validation" : ""),
          held_out > 0 ? "lower --val-tokens, give --val-data, or use a larger file"
                       : "use a larger file or a shorter --seq-len");
    }
    out.train = std::make_shared<const TokenFileSource>(file, T, c.model.vocab_size, 0, windows - held_out);
    if (held_out > 0) {
      out.validation =
          std::make_shared<const TokenFileSource>(file, T, c.model.vocab_size, windows - held_out, held_out);
      out.val_sequences = held_out;
    }
  }
  if (!t.data.val_data.empty()) {
    const auto file = open_token_file(t.data.val_data, "val-data", c);
    const std::int64_t windows = TokenFileSource::windows_in(*file, T);
    if (windows < 1) {
      throw config::ConfigError("val-data",
                                "'" + t.data.val_data + "' holds fewer than --seq-len=" + std::to_string(T) + " tokens",
                                "use a larger validation file or a shorter --seq-len");
    }
    const std::int64_t n = wanted_val > 0 ? std::min(wanted_val, windows) : windows;
    out.validation = std::make_shared<const TokenFileSource>(file, T, c.model.vocab_size, 0, n);
    out.val_sequences = n;
  }
  return out;
}

// One source of a mixture and its held-out validation part.
struct OpenedSource {
  MixSource train;
  ValPart validation;  // source null when none
};

OpenedSource open_mix_source(const config::MixComponent& m, const char* flag, const config::RunConfig& c) {
  const config::TrainConfig& t = c.train;
  const std::int64_t T = t.training.seq_len;
  const std::int64_t wanted_val = t.data.val_tokens > 0 ? ceil_div(t.data.val_tokens, T) : 0;
  const bool hold_out = t.data.val_data.empty() && wanted_val > 0;
  OpenedSource out;
  out.train.name = m.name;
  out.train.weight = m.weight;
  out.train.salt = hash_bytes(m.name) | 1;  // never 0, the single-source key
  out.validation.name = m.name;
  if (m.synthetic) {
    const auto seed = static_cast<std::uint64_t>(t.training.seed);
    out.train.source = std::make_shared<const SyntheticCorpus>(seed, T, Split::kTrain, m.domain);
    if (hold_out) {
      out.validation.source = std::make_shared<const SyntheticCorpus>(seed, T, Split::kValidation, m.domain);
      out.validation.sequences = wanted_val;
    }
    return out;
  }
  if (!util::exists(m.name) || util::is_directory(m.name)) {
    throw config::ConfigError(flag, "mixture source '" + m.name + "' is not a token file",
                              "give the path of a flat token file, or synthetic:<domain>");
  }
  const auto file = open_token_file(m.name, flag, c);
  const std::int64_t windows = TokenFileSource::windows_in(*file, T);
  const std::int64_t held_out = hold_out ? wanted_val : 0;
  if (windows - held_out < 1) {
    throw config::ConfigError(
        held_out > 0 ? "val-tokens" : flag,
        "mixture source '" + m.name + "' holds " + std::to_string(file->num_tokens()) +
            " tokens: " + std::to_string(windows) + " windows of --seq-len=" + std::to_string(T) +
            (held_out > 0 ? ", of which " + std::to_string(held_out) + " would be held out for validation" : ""),
        held_out > 0 ? "lower --val-tokens, give --val-data, or use a larger file"
                     : "use a larger file or a shorter --seq-len");
  }
  out.train.source = std::make_shared<const TokenFileSource>(file, T, c.model.vocab_size, 0, windows - held_out);
  if (held_out > 0) {
    out.validation.source =
        std::make_shared<const TokenFileSource>(file, T, c.model.vocab_size, windows - held_out, held_out);
    out.validation.sequences = held_out;
  }
  return out;
}

}  // namespace

DataSetup open_data(const config::RunConfig& c) {
  check_data_flags(c);
  const config::TrainConfig& t = c.train;
  DataSetup out;
  std::vector<OpenedSource> opened;  // every mixture source once, by name
  const auto mixture_phase = [&](const std::string& text, const char* flag) {
    MixPhase phase;
    for (const auto& m : config::parse_data_mix(text, flag)) {
      if (t.data.mix.empty() && m.name == t.data.source) {
        // The plain phase-1 file again: the same source, cursor and order (and one validation part).
        MixSource s = out.phases[0][0];
        s.weight = m.weight;
        phase.push_back(std::move(s));
        continue;
      }
      auto it =
          std::find_if(opened.begin(), opened.end(), [&](const OpenedSource& o) { return o.train.name == m.name; });
      if (it == opened.end()) {
        opened.push_back(open_mix_source(m, flag, c));
        it = opened.end() - 1;
      }
      MixSource s = it->train;
      s.weight = m.weight;
      phase.push_back(std::move(s));
    }
    return phase;
  };

  if (t.data.mix.empty()) {
    const DataSetup plain = open_plain_data(c);
    out.train = plain.train;
    out.validation = plain.validation;
    out.val_sequences = plain.val_sequences;
    out.phases.push_back({MixSource{t.data.source, plain.train, 1.0, 0}});
    if (plain.validation) out.val_parts.push_back({t.data.source, plain.validation, plain.val_sequences});
    out.describe = plain.train->describe();
  } else {
    out.phases.push_back(mixture_phase(t.data.mix, "data-mix"));
    out.describe = "mixture " + config::describe_mix(config::parse_data_mix(t.data.mix, "data-mix"));
  }
  if (!t.data.mix_phase2.empty()) {
    out.phases.push_back(mixture_phase(t.data.mix_phase2, "data-mix-phase2"));
    out.describe += "; phase 2: " + config::describe_mix(config::parse_data_mix(t.data.mix_phase2, "data-mix-phase2"));
  }
  const bool mixture = !t.data.mix.empty() || !t.data.mix_phase2.empty();
  if (mixture && t.data.val_data.empty()) {
    for (const auto& o : opened) {
      if (o.validation.source) out.val_parts.push_back(o.validation);
    }
    out.by_source = out.val_parts.size() > 0;
  } else if (mixture) {
    const DataSetup plain = open_plain_data(c);  // only its --val-data part is used
    out.val_parts = {{t.data.val_data, plain.validation, plain.val_sequences}};
  }
  if (!out.val_parts.empty()) {
    out.validation = out.val_parts[0].source;
    out.val_sequences = out.val_parts[0].sequences;
    std::vector<std::string> parts;
    for (const auto& p : out.val_parts) parts.push_back(p.source->describe());
    out.val_describe = util::join(parts, " + ");
  }
  bool synthetic = false;
  for (const auto& phase : out.phases) {
    for (const auto& s : phase) synthetic = synthetic || !s.source->domains().empty();
  }
  if (synthetic) out.domains = synthetic_domain_names();
  return out;
}

}  // namespace moe::data
