// Hugging Face state-dict layout and config files of a JetMoE model.
#include "export/hf_layout.h"

#include <sstream>

#include "util/json_writer.h"

namespace moe::exporting {

std::vector<TensorShape> hf_state_dict_layout(const model::ModelConfig& c) {
  const std::int64_t V = c.vocab_size, H = c.hidden_size, A = c.attention_dim(), I = c.intermediate_size,
                     E = c.num_experts;
  std::vector<TensorShape> out;
  out.push_back({"model.embed_tokens.weight", {V, H}});
  for (std::int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    out.push_back({p + "input_layernorm.weight", {H}});
    out.push_back({p + "self_attention.kv_proj.weight", {2 * A, H}});
    out.push_back({p + "self_attention.experts.router.layer.weight", {E, H}});
    out.push_back({p + "self_attention.experts.input_linear.weight", {E, A, H}});
    out.push_back({p + "self_attention.experts.output_linear.weight", {E, H, A}});
    out.push_back({p + "self_attention.experts.bias", {H}});
    out.push_back({p + "post_attention_layernorm.weight", {H}});
    out.push_back({p + "mlp.router.layer.weight", {E, H}});
    out.push_back({p + "mlp.input_linear.weight", {E, 2 * I, H}});
    out.push_back({p + "mlp.output_linear.weight", {E, H, I}});
    out.push_back({p + "mlp.bias", {H}});
  }
  out.push_back({"model.norm.weight", {H}});
  if (!c.tie_embeddings) out.push_back({"lm_head.weight", {V, H}});
  return out;
}

std::string hf_incompatibility(const model::ModelConfig& c) {
  if (c.block_norm_eps != 1e-6) {
    return "--block-norm-eps=" + util::format_double(c.block_norm_eps) +
           ", but Hugging Face's JetMoe fixes the per-block RMSNorm epsilon at 1e-6, so the exported model "
           "would compute something else";
  }
  return "";
}

namespace {

void token_id(util::JsonWriter& json, const char* key, const std::optional<std::int64_t>& id) {
  json.key(key);
  if (id)
    json.value(static_cast<long long>(*id));
  else
    json.null();
}

}  // namespace

std::string hf_config_json(const model::ModelConfig& c, const TokenIds& tokens, const std::string& dtype_name) {
  std::ostringstream out;
  util::JsonWriter json(out);
  json.begin_object();
  json.key("architectures").begin_array().value("JetMoeForCausalLM").end_array();
  json.key("model_type").value("jetmoe");
  json.key("vocab_size").value(static_cast<long long>(c.vocab_size));
  json.key("hidden_size").value(static_cast<long long>(c.hidden_size));
  json.key("num_hidden_layers").value(static_cast<long long>(c.num_layers));
  json.key("num_key_value_heads").value(static_cast<long long>(c.num_kv_heads));
  json.key("kv_channels").value(static_cast<long long>(c.head_dim));
  json.key("intermediate_size").value(static_cast<long long>(c.intermediate_size));
  json.key("num_local_experts").value(static_cast<long long>(c.num_experts));
  json.key("num_experts_per_tok").value(static_cast<long long>(c.top_k));
  json.key("activation_function").value("silu");
  json.key("max_position_embeddings").value(static_cast<long long>(c.max_seq_len));
  // transformers 4.x reads rope_theta, 5.x rope_parameters.
  json.key("rope_theta").value(c.rope_theta);
  json.key("rope_parameters").begin_object();
  json.key("rope_type").value("default");
  json.key("rope_theta").value(c.rope_theta);
  json.end_object();
  json.key("rms_norm_eps").value(c.rms_norm_eps);
  json.key("tie_word_embeddings").value(c.tie_embeddings);
  json.key("aux_loss_coef").value(c.aux_loss_coef);
  json.key("output_router_logits").value(false);
  json.key("initializer_range").value(c.init_std);
  json.key("attention_dropout").value(0.0);
  token_id(json, "bos_token_id", tokens.bos);
  token_id(json, "eos_token_id", tokens.eos);
  token_id(json, "pad_token_id", tokens.pad);
  json.key("use_cache").value(true);
  // transformers 4.x reads torch_dtype, 5.x dtype.
  json.key("torch_dtype").value(dtype_name);
  json.key("dtype").value(dtype_name);
  json.end_object();
  out << "\n";
  return out.str();
}

std::string hf_generation_config_json(const TokenIds& tokens) {
  std::ostringstream out;
  util::JsonWriter json(out);
  json.begin_object();
  token_id(json, "bos_token_id", tokens.bos);
  token_id(json, "eos_token_id", tokens.eos);
  token_id(json, "pad_token_id", tokens.pad);
  json.end_object();
  out << "\n";
  return out.str();
}

}  // namespace moe::exporting
