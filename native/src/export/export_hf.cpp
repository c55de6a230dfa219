// Checkpoint -> Hugging Face model folder.
#include "export/export_hf.h"

#include <ATen/ATen.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "checkpoint/checkpoint.h"
#include "checkpoint/pt_file.h"
#include "config/config_error.h"
#include "config/flags.h"
#include "data/byte_tokenizer.h"
#include "export/hf_layout.h"
#include "export/safetensors.h"
#include "moetrain/build_info.h"
#include "util/fs.h"
#include "util/strings.h"

namespace moe::exporting {

namespace {

namespace fs = std::filesystem;

// Tokenizer files copied by --tokenizer DIR, when present.
const char* const kTokenizerFiles[] = {
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "vocab.json",
    "merges.txt",     "added_tokens.json",     "chat_template.jinja"};

std::string absolute_path(const std::string& path) {
  std::string p = fs::absolute(fs::path(path)).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string size_text(std::uint64_t bytes) {
  return util::si_format(static_cast<double>(bytes)) + "B";
}

// "; other checkpoints of this run with a COMPLETE marker, newest first: step-N, ..."
std::string alternatives(const std::string& checkpoint_dir) {
  const fs::path dir = fs::path(absolute_path(checkpoint_dir));
  const std::string parent = dir.parent_path().string();
  std::vector<std::string> complete;
  for (const auto& l : checkpoint::list_checkpoints(parent)) {
    if (l.complete && l.name != dir.filename().string()) complete.push_back(l.dir);
  }
  if (complete.empty()) {
    return "; no other complete checkpoint in " + parent +
           ": resume the run to write a new one (moetrain train --resume auto)";
  }
  return "; pick another checkpoint: complete ones in " + parent + " (newest first): " + util::join(complete, ", ");
}

// Steps below a directory that is not itself a checkpoint (a run directory or its checkpoints/).
std::vector<std::string> checkpoints_below(const std::string& dir) {
  std::vector<std::string> found;
  for (const std::string& base : {dir, dir + "/checkpoints"}) {
    for (const auto& l : checkpoint::list_checkpoints(base)) {
      if (l.complete) found.push_back(l.dir);
    }
  }
  return found;
}

bool process_alive(long pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

// Removes .<name>.tmp-<pid> directories left by exports that were killed.
void remove_stale_temporaries(const std::string& parent, const std::string& name) {
  const std::string prefix = "." + name + ".tmp-";
  for (const auto& entry : util::list_dir(parent)) {
    if (!util::starts_with(entry, prefix)) continue;
    long pid = 0;
    try {
      pid = std::stol(entry.substr(prefix.size()));
    } catch (const std::exception&) {
      continue;
    }
    if (!process_alive(pid)) util::remove_tree(parent + "/" + entry);
  }
}

void write_text(const std::string& path, const std::string& text, std::uint64_t& bytes) {
  util::DurableFileWriter f(path);
  f.write(text);
  bytes += f.bytes();
  f.finish();
}

// Puts the finished temporary folder at `out`. An existing `out` (only with
// --force) is swapped out atomically where the kernel supports it.
void install(const std::string& tmp, const std::string& out, const std::string& parent) {
  if (!util::exists(out)) {
    util::rename_path(tmp, out);
  } else if (util::list_dir(out).empty()) {
    fs::remove(out);
    util::rename_path(tmp, out);
  } else {
#ifdef RENAME_EXCHANGE
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, out.c_str(), RENAME_EXCHANGE) == 0) {
      util::fsync_path(parent);
      util::remove_tree(tmp);  // now holds the previous folder
      return;
    }
#endif
    const std::string old = tmp + ".old";
    util::rename_path(out, old);
    util::rename_path(tmp, out);
    util::fsync_path(parent);
    util::remove_tree(old);
  }
  util::fsync_path(parent);
}

at::ScalarType trained_dtype(const config::RunConfig& cfg, const c10::impl::GenericDict& trainer) {
  if (checkpoint::has_key(trainer, "param_dtype")) {
    return checkpoint::get_string(trainer, "param_dtype") == "bfloat16" ? at::kBFloat16 : at::kFloat;
  }
  // Checkpoints from before param_dtype was recorded: --dtype, or for `auto`
  // the device it ran on (bfloat16 on CUDA; trainer.pt holds CUDA generator
  // states exactly when it trained on a GPU).
  switch (cfg.model.dtype) {
    case model::DType::kFloat32: return at::kFloat;
    case model::DType::kBFloat16: return at::kBFloat16;
    case model::DType::kAuto: break;
  }
  return checkpoint::has_key(trainer, "rng.cuda.0") ? at::kBFloat16 : at::kFloat;
}

std::string check_weights(const std::map<std::string, at::Tensor>& weights, const std::vector<TensorShape>& layout) {
  std::ostringstream problems;
  std::set<std::string> expected;
  for (const auto& t : layout) {
    expected.insert(t.name);
    auto it = weights.find(t.name);
    if (it == weights.end()) {
      problems << "\n  missing: " << t.name;
    } else if (it->second.sizes().vec() != t.shape) {
      problems << "\n  shape " << it->second.sizes() << " instead of " << c10::IntArrayRef(t.shape) << ": " << t.name;
    } else if (!it->second.is_floating_point()) {
      problems << "\n  not a floating-point tensor: " << t.name;
    }
  }
  for (const auto& [name, t] : weights) {
    if (!expected.count(name)) problems << "\n  unexpected: " << name;
  }
  return problems.str();
}

}  // namespace

ExportSummary export_hf(const ExportRequest& req, std::ostream& progress) {
  auto say = [&](const std::string& phase, const std::string& message) {
    progress << "[export] " << phase << ": " << message << std::endl;
  };

  // --- Checks that write nothing --------------------------------------------
  if (req.checkpoint.empty()) {
    throw config::ConfigError("checkpoint", "`moetrain export-hf` needs a checkpoint",
                              "pass --checkpoint <run-dir>/checkpoints/step-N");
  }
  if (req.out.empty()) {
    throw config::ConfigError("out", "`moetrain export-hf` needs an output folder", "pass --out DIR");
  }
  if (!util::is_directory(req.checkpoint)) {
    throw config::ConfigError("checkpoint", "no directory '" + req.checkpoint + "'",
                              "pass a <run-dir>/checkpoints/step-N directory");
  }
  if (!util::exists(req.checkpoint + "/" + checkpoint::kManifestFile) &&
      !util::exists(req.checkpoint + "/" + checkpoint::kCompleteFile)) {
    const auto below = checkpoints_below(req.checkpoint);
    if (!below.empty()) {
      throw config::ConfigError("checkpoint", "'" + req.checkpoint + "' is a run, not one checkpoint",
                                "pass one of its complete checkpoints (newest first): " + util::join(below, ", "));
    }
  }
  const std::string out = absolute_path(req.out);
  const fs::path out_path(out);
  const std::string parent = out_path.parent_path().string();
  const std::string name = out_path.filename().string();
  if (util::exists(out)) {
    if (!util::is_directory(out)) {
      throw config::ConfigError("out", "'" + req.out + "' exists and is not a directory", "choose another --out");
    }
    if (!util::list_dir(out).empty() && !req.force) {
      throw config::ConfigError("out", "'" + req.out + "' exists and is not empty",
                                "choose a new --out, or pass --force to replace it");
    }
  }
  const std::string ck = absolute_path(req.checkpoint);
  if (out == ck || util::starts_with(out + "/", ck + "/") || util::starts_with(ck + "/", out + "/")) {
    throw config::ConfigError("out", "--out must lie outside the checkpoint", "choose a folder elsewhere");
  }
  if (!req.tokenizer_dir.empty()) {
    bool any = false;
    for (const char* f : kTokenizerFiles) any = any || util::exists(req.tokenizer_dir + "/" + f);
    if (!any) {
      throw config::ConfigError("tokenizer", "'" + req.tokenizer_dir + "' holds no tokenizer files",
                                "point --tokenizer at a folder with tokenizer.json (and tokenizer_config.json)");
    }
  }

  // --- The checkpoint ---------------------------------------------------------
  say("checkpoint", "verifying " + req.checkpoint + (req.verify_sha1 ? " (sizes and SHA-1 of its files)" : " (sizes)"));
  checkpoint::Manifest manifest;
  config::RunConfig cfg;
  c10::impl::GenericDict trainer(c10::StringType::get(), c10::AnyType::get());
  std::map<std::string, at::Tensor> weights;
  try {
    manifest = checkpoint::validate_checkpoint(req.checkpoint, req.verify_sha1);
    config::ConfigRequest flags;
    flags.flags_file = req.checkpoint + "/" + checkpoint::kConfigFile;
    try {
      cfg = config::resolve_config(flags).config;
    } catch (const config::ConfigError& e) {
      throw std::runtime_error(std::string("its config.flags cannot be read: ") + e.what());
    }
    const c10::IValue t = checkpoint::read_pt_file(req.checkpoint + "/" + checkpoint::kTrainerFile);
    if (!t.isGenericDict()) throw std::runtime_error("trainer.pt does not hold a dict");
    trainer = t.toGenericDict();
  } catch (const std::exception& e) {
    throw std::runtime_error("checkpoint '" + req.checkpoint + "' cannot be exported: " + e.what() +
                             alternatives(req.checkpoint));
  }
  const model::ModelConfig& mc = cfg.model;
  if (const std::string why = hf_incompatibility(mc); !why.empty()) {
    throw std::runtime_error("checkpoint '" + req.checkpoint + "' cannot be exported: " + why);
  }
  const bool synthetic = cfg.train.data.source == "synthetic";
  if (synthetic && req.tokenizer_dir.empty() && (req.bos_token_id || req.eos_token_id || req.pad_token_id)) {
    throw config::ConfigError(req.bos_token_id   ? "bos-token-id"
                              : req.eos_token_id ? "eos-token-id"
                                                 : "pad-token-id",
                              "the run trained on the synthetic corpus, whose tokenizer fixes bos = eos = pad = 10",
                              "drop the token-id options (or give --tokenizer DIR for another tokenizer)");
  }
  const at::ScalarType trained = trained_dtype(cfg, trainer);
  const at::ScalarType dtype = req.dtype == ExportDType::kFloat32    ? at::kFloat
                               : req.dtype == ExportDType::kBFloat16 ? at::kBFloat16
                                                                     : trained;
  const std::string dtype_name = dtype == at::kBFloat16 ? "bfloat16" : "float32";
  const std::string trained_name = trained == at::kBFloat16 ? "bfloat16" : "float32";
  say("checkpoint", "step " + std::to_string(manifest.step) + ", " + std::to_string(manifest.tokens) +
                        " tokens, trained as " + trained_name);

  const std::vector<TensorShape> layout = hf_state_dict_layout(mc);
  const model::ParamCounts counts = model::count_parameters(mc);
  say("weights",
      "reading model.pt (" + size_text(util::file_size(req.checkpoint + "/" + checkpoint::kModelFile)) + ")");
  try {
    weights = checkpoint::as_tensor_map(checkpoint::read_pt_file(req.checkpoint + "/" + checkpoint::kModelFile),
                                        req.checkpoint + "/model.pt");
  } catch (const std::exception& e) {
    throw std::runtime_error("checkpoint '" + req.checkpoint + "' cannot be exported: " + e.what() +
                             alternatives(req.checkpoint));
  }
  if (const std::string problems = check_weights(weights, layout); !problems.empty()) {
    throw std::runtime_error("checkpoint '" + req.checkpoint +
                             "': model.pt does not match its config.flags:" + problems + alternatives(req.checkpoint));
  }

  // --- The folder -------------------------------------------------------------
  util::make_dirs(parent);
  remove_stale_temporaries(parent, name);
  const std::string tmp = parent + "/." + name + ".tmp-" + std::to_string(::getpid());
  if (util::exists(tmp)) util::remove_tree(tmp);
  util::make_dirs(tmp);
  ExportSummary summary;
  summary.out = out;
  summary.dtype = dtype_name;
  summary.step = manifest.step;
  summary.tensors = static_cast<std::int64_t>(layout.size());
  summary.parameters = counts.total;
  try {
    TokenIds ids;
    if (synthetic && req.tokenizer_dir.empty()) {
      ids.bos = ids.eos = ids.pad = data::kByteNewlineId;
    } else {
      ids.bos = req.bos_token_id;
      ids.eos = req.eos_token_id;
      ids.pad = req.pad_token_id;
    }
    say("config", "JetMoeForCausalLM, " + std::to_string(counts.total) +
                      " parameters (V=" + std::to_string(mc.vocab_size) + " H=" + std::to_string(mc.hidden_size) +
                      " L=" + std::to_string(mc.num_layers) + " G=" + std::to_string(mc.num_kv_heads) +
                      " D=" + std::to_string(mc.head_dim) + " I=" + std::to_string(mc.intermediate_size) +
                      " E=" + std::to_string(mc.num_experts) + " k=" + std::to_string(mc.top_k) + ", " +
                      (mc.tie_embeddings ? "tied" : "untied") + " embeddings)");
    write_text(tmp + "/config.json", hf_config_json(mc, ids, dtype_name), summary.bytes);
    write_text(tmp + "/generation_config.json", hf_generation_config_json(ids), summary.bytes);

    std::vector<std::pair<std::string, at::Tensor>> ordered;
    ordered.reserve(layout.size());
    for (const auto& t : layout) ordered.emplace_back(t.name, weights.at(t.name));
    std::uint64_t data_bytes = 0;
    for (const auto& [n, t] : ordered) data_bytes += static_cast<std::uint64_t>(t.numel()) * c10::elementSize(dtype);
    say("weights", "writing model.safetensors as " + dtype_name + " (" + std::to_string(ordered.size()) + " tensors, " +
                       size_text(data_bytes) + ")");
    int reported = 0;
    const bool large = data_bytes >= (std::uint64_t{256} << 20);
    const SafetensorsWritten st = write_safetensors(tmp + "/model.safetensors", ordered, dtype,
                                                    {{"format", "pt"},
                                                     {"producer", std::string("moetrain ") + build_info::kVersion},
                                                     {"checkpoint_step", std::to_string(manifest.step)}},
                                                    [&](std::uint64_t done, std::uint64_t total) {
                                                      const int pct =
                                                          total ? static_cast<int>(100 * done / total) : 100;
                                                      if (large && pct / 10 > reported / 10 && pct < 100) {
                                                        reported = pct;
                                                        say("weights", std::to_string(pct) + "%");
                                                      }
                                                    });
    summary.bytes += st.bytes;
    weights.clear();

    if (!req.tokenizer_dir.empty()) {
      std::vector<std::string> copied;
      for (const char* f : kTokenizerFiles) {
        const std::string src = req.tokenizer_dir + "/" + f;
        if (!util::exists(src)) continue;
        write_text(tmp + "/" + f, util::read_file(src), summary.bytes);
        copied.push_back(f);
      }
      summary.tokenizer = "copied from " + req.tokenizer_dir;
      say("tokenizer", "copied " + util::join(copied, ", ") + " from " + req.tokenizer_dir);
    } else if (synthetic) {
      const data::HfTokenizerFiles files = data::byte_tokenizer_files(mc.vocab_size, mc.max_seq_len);
      write_text(tmp + "/tokenizer.json", files.tokenizer_json, summary.bytes);
      write_text(tmp + "/tokenizer_config.json", files.tokenizer_config_json, summary.bytes);
      write_text(tmp + "/special_tokens_map.json", files.special_tokens_map_json, summary.bytes);
      summary.tokenizer = "byte-level (synthetic corpus)";
      say("tokenizer",
          "byte-level tokenizer of the synthetic corpus: id = byte value, bos = eos = pad = \"\\n\" (id 10)" +
              std::string(mc.vocab_size < data::kByteValues
                              ? "; bytes >= " + std::to_string(mc.vocab_size) + " have no id and are dropped"
                              : ""));
    } else {
      summary.tokenizer = "none";
      say("tokenizer", "none: the run trained on token file " + cfg.train.data.source +
                           "; pass --tokenizer DIR (and --bos-token-id/--eos-token-id) to include its tokenizer");
    }
    util::fsync_path(tmp);
    say("finalize", "moving the finished folder into place");
    install(tmp, out, parent);
  } catch (...) {
    util::remove_tree(tmp);
    throw;
  }
  say("done", out);
  return summary;
}

}  // namespace moe::exporting
