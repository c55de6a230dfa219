// `moetrain tokenize`: the trainer's own encoding with the tokenizer of the
// synthetic corpus (one token per byte), for checking exported tokenizers and
// for the workbench to show what the model sees.
//   --text TEXT / --file PATH   the ids of that text
//   --samples N                 N training sequences of every synthetic domain,
//                               exactly as the trainer reads them (text and ids)
#include <cstdint>
#include <map>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli.h"
#include "config/config_error.h"
#include "data/byte_tokenizer.h"
#include "data/synthetic.h"
#include "util/fs.h"
#include "util/json_writer.h"

namespace moe::cli {

namespace {

void write_ids(util::JsonWriter& json, const std::vector<std::int64_t>& ids) {
  json.begin_array();
  for (auto id : ids) json.value(static_cast<long long>(id));
  json.end_array();
}

void print_ids(std::ostream& out, const std::vector<std::int64_t>& ids) {
  for (std::size_t i = 0; i < ids.size(); ++i) out << (i ? " " : "") << ids[i];
  out << "\n";
}

}  // namespace

int run_tokenize(const ParsedArgs& args, std::ostream& out) {
  const config::ResolvedConfig resolved = config::resolve_config(args.request);
  const config::RunConfig& cfg = resolved.config;
  if (cfg.train.data.source != "synthetic") {
    throw config::ConfigError("data", "token-file runs have no built-in tokenizer",
                              "use the tokenizer that produced " + cfg.train.data.source + ", or --data=synthetic");
  }
  if (cfg.model.vocab_size < data::kSyntheticMinVocab) {
    throw config::ConfigError("vocab-size", "the synthetic corpus needs at least 128 ids", "use --vocab-size >= 128");
  }
  const auto text_it = args.options.find("text");
  const auto file_it = args.options.find("file");
  const auto samples_it = args.options.find("samples");
  const int modes =
      (text_it != args.options.end()) + (file_it != args.options.end()) + (samples_it != args.options.end());
  if (modes != 1) {
    throw config::ConfigError(modes == 0 ? "text" : "samples", "give exactly one of --text, --file and --samples",
                              "e.g. moetrain tokenize --text '47+18=65'");
  }
  const std::int64_t V = cfg.model.vocab_size;

  if (samples_it == args.options.end()) {
    std::string text;
    if (text_it != args.options.end()) {
      text = text_it->second;
    } else {
      if (!util::exists(file_it->second)) {
        throw config::ConfigError("file", "no file '" + file_it->second + "'", "pass the path of a text file");
      }
      text = util::read_file(file_it->second);
    }
    std::vector<std::int64_t> ids;
    try {
      ids = data::encode_bytes(text, V);
    } catch (const std::invalid_argument& e) {
      throw config::ConfigError(text_it != args.options.end() ? "text" : "file", e.what(), "");
    }
    if (args.json) {
      util::JsonWriter json(out);
      json.begin_object();
      json.key("tokenizer").value("bytes");
      json.key("vocab_size").value(static_cast<long long>(V));
      json.key("count").value(static_cast<long long>(ids.size()));
      json.key("ids");
      write_ids(json, ids);
      json.end_object();
      out << "\n";
    } else {
      print_ids(out, ids);
    }
    return kExitOk;
  }

  std::int64_t per_domain = 0;
  try {
    per_domain = std::stoll(samples_it->second);
  } catch (const std::exception&) {}
  if (per_domain < 1 || per_domain > 10000) {
    throw config::ConfigError("samples", "'" + samples_it->second + "' is not a count in [1, 10000]",
                              "e.g. --samples 4");
  }
  const data::SyntheticCorpus corpus(static_cast<std::uint64_t>(cfg.train.training.seed), cfg.train.training.seq_len,
                                     data::Split::kTrain);
  const auto& domains = corpus.domains();
  std::map<int, std::int64_t> taken;
  std::vector<std::int64_t> ids(static_cast<std::size_t>(cfg.train.training.seq_len));
  std::ostringstream body;
  util::JsonWriter json(body);
  json.begin_array();
  std::int64_t complete = 0;
  for (std::int64_t index = 0; complete < static_cast<std::int64_t>(domains.size()) && index < 1000000; ++index) {
    const int domain = corpus.read(index, ids.data());
    if (taken[domain] >= per_domain) continue;
    if (++taken[domain] == per_domain) ++complete;
    const std::string text = data::decode_bytes(ids);
    if (args.json) {
      json.begin_object();
      json.key("index").value(static_cast<long long>(index));
      json.key("domain").value(domains[static_cast<std::size_t>(domain)]);
      json.key("text").value(text);
      json.key("ids");
      write_ids(json, ids);
      json.end_object();
    } else {
      out << "[" << index << " " << domains[static_cast<std::size_t>(domain)] << "] " << util::json_escape(text)
          << "\n";
    }
  }
  json.end_array();
  if (args.json) {
    util::JsonWriter top(out);
    top.begin_object();
    top.key("tokenizer").value("bytes");
    top.key("vocab_size").value(static_cast<long long>(V));
    top.key("seq_len").value(static_cast<long long>(cfg.train.training.seq_len));
    top.key("seed").value(static_cast<long long>(cfg.train.training.seed));
    top.key("samples").raw(body.str());
    top.end_object();
    out << "\n";
  }
  return kExitOk;
}

}  // namespace moe::cli
