// The Hugging Face side of an export (docs/model.md, Tensors and names): the state-dict
// names and shapes JetMoeForCausalLM expects, config.json and
// generation_config.json. LibTorch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/config.h"

namespace moe::exporting {

struct TensorShape {
  std::string name;                 // e.g. "model.layers.0.mlp.input_linear.weight"
  std::vector<std::int64_t> shape;  // e.g. {E, 2I, H}
};

// Every tensor of the state dict in file order: the embedding, then per layer
// the 11 tensors of docs/model.md (Tensors and names), the final norm, and lm_head.weight
// only when the embeddings are untied (11L + 2, or 11L + 3).
std::vector<TensorShape> hf_state_dict_layout(const model::ModelConfig& config);

// Special-token ids written into config.json and generation_config.json
// (null when unknown).
struct TokenIds {
  std::optional<std::int64_t> bos;
  std::optional<std::int64_t> eos;
  std::optional<std::int64_t> pad;
};

// Why a configuration cannot be expressed as a JetMoeConfig, or "" when it can.
// Hugging Face fixes the per-block RMSNorm epsilon at 1e-6.
std::string hf_incompatibility(const model::ModelConfig& config);

// config.json: HF-native JetmoeConfig keys (num_attention_heads is left out:
// transformers derives it as G*k). dtype_name is "float32" or "bfloat16".
std::string hf_config_json(const model::ModelConfig& config, const TokenIds& tokens, const std::string& dtype_name);

// generation_config.json: the special-token ids.
std::string hf_generation_config_json(const TokenIds& tokens);

}  // namespace moe::exporting
