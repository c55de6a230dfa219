// `moetrain export-hf --checkpoint DIR --out DIR`: a Hugging Face model folder
// from a checkpoint. Progress lines go straight to stdout (the workbench shows
// them while a large model is written), like `train`'s.
#include <iostream>
#include <string>

#include "cli.h"
#include "config/config_error.h"
#include "export/export_hf.h"

namespace moe::cli {

namespace {

std::string option(const ParsedArgs& args, const std::string& name) {
  const auto it = args.options.find(name);
  return it == args.options.end() ? std::string() : it->second;
}

std::optional<std::int64_t> token_id(const ParsedArgs& args, const std::string& name) {
  const std::string v = option(args, name);
  if (v.empty()) return std::nullopt;
  std::size_t used = 0;
  long long id = -1;
  try {
    id = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || id < 0) {
    throw config::ConfigError(name, "'" + v + "' is not a token id",
                              "pass a non-negative integer, e.g. --" + name + "=2");
  }
  return id;
}

}  // namespace

int run_export_hf(const ParsedArgs& args, std::ostream& /*out*/) {
  exporting::ExportRequest req;
  req.checkpoint = option(args, "checkpoint");
  req.out = option(args, "out");
  req.tokenizer_dir = option(args, "tokenizer");
  req.force = option(args, "force") == "true";
  req.verify_sha1 = option(args, "verify-checkpoints") != "false";
  const std::string dtype = option(args, "dtype");
  if (dtype.empty() || dtype == "auto") {
    req.dtype = exporting::ExportDType::kAsTrained;
  } else if (dtype == "fp32" || dtype == "float32") {
    req.dtype = exporting::ExportDType::kFloat32;
  } else if (dtype == "bf16" || dtype == "bfloat16") {
    req.dtype = exporting::ExportDType::kBFloat16;
  } else {
    throw config::ConfigError("dtype", "'" + dtype + "' is not an export dtype",
                              "use --dtype=auto (as trained), fp32 or bf16");
  }
  req.bos_token_id = token_id(args, "bos-token-id");
  req.eos_token_id = token_id(args, "eos-token-id");
  req.pad_token_id = token_id(args, "pad-token-id");
  exporting::export_hf(req, std::cout);
  return kExitOk;
}

}  // namespace moe::cli
