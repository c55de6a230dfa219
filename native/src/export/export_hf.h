// `moetrain export-hf`: a Hugging Face model folder from a checkpoint
// (docs/export.md):
//   config.json              JetMoeConfig (HF-native keys)
//   generation_config.json   bos/eos/pad token ids
//   model.safetensors        the weights under HF state-dict names (no
//                            lm_head.weight when the embeddings are tied)
//   tokenizer.json, tokenizer_config.json, special_tokens_map.json
//                            the byte tokenizer for synthetic-corpus runs, or
//                            the files of --tokenizer DIR
// Everything is written into a hidden temporary directory next to --out,
// fsync'd, and renamed into place at the end, so an interrupted export never
// leaves a folder that looks complete. LibTorch-free header.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace moe::exporting {

enum class ExportDType { kAsTrained, kFloat32, kBFloat16 };

struct ExportRequest {
  std::string checkpoint;  // <run-dir>/checkpoints/step-N
  std::string out;         // the model folder to create
  ExportDType dtype = ExportDType::kAsTrained;
  std::string tokenizer_dir;                 // copy the tokenizer files found here (token-file runs)
  bool force = false;                        // replace an existing non-empty --out
  bool verify_sha1 = true;                   // check the checkpoint's SHA-1s, not only its sizes
  std::optional<std::int64_t> bos_token_id;  // for runs without the built-in tokenizer
  std::optional<std::int64_t> eos_token_id;
  std::optional<std::int64_t> pad_token_id;
};

struct ExportSummary {
  std::string out;    // absolute path of the folder
  std::string dtype;  // "float32" or "bfloat16"
  std::int64_t step = 0;
  std::int64_t tensors = 0;
  std::int64_t parameters = 0;
  std::uint64_t bytes = 0;  // all files
  std::string tokenizer;    // "byte-level (synthetic corpus)", "copied from DIR" or "none"
};

// Checks the request (config::ConfigError, naming the option, before anything
// is written), verifies the checkpoint (std::runtime_error saying what is wrong
// and which other checkpoints of the run are complete), then writes the folder.
// Progress lines "[export] <phase>: <message>" go to `progress`.
ExportSummary export_hf(const ExportRequest& request, std::ostream& progress);

}  // namespace moe::exporting
