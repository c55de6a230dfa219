// Pre-norm block: attention mixture then MLP mixture, each with a residual.
#include "model/block.h"

namespace moe::model {

JetMoeBlockImpl::JetMoeBlockImpl(const ModelConfig& c, std::int64_t layer_index) : layer_index_(layer_index) {
  mlp = register_module("mlp", MixtureOfExperts(c));
  input_layernorm = register_module("input_layernorm", RMSNorm(c.hidden_size, c.block_norm_eps));
  post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(c.hidden_size, c.block_norm_eps));
  self_attention = register_module("self_attention", MixtureOfAttention(c));
}

void JetMoeBlockImpl::reset_parameters(double init_std) {
  input_layernorm->reset_parameters();
  post_attention_layernorm->reset_parameters();
  self_attention->reset_parameters(init_std);
  mlp->reset_parameters(init_std);
}

BlockOutput JetMoeBlockImpl::forward(const at::Tensor& x, const RotaryTables& rope, ExpertBackend backend) {
  BlockOutput out;
  MixtureOutput attn = self_attention->forward(input_layernorm->forward(x), rope, backend, layer_index_);
  const at::Tensor h = x + attn.hidden;  // [B, T, H]
  MixtureOutput mlp_out = mlp->forward(post_attention_layernorm->forward(h), backend, layer_index_);
  out.hidden = h + mlp_out.hidden;  // [B, T, H]
  out.attention = std::move(attn.router);
  out.mlp = std::move(mlp_out.router);
  return out;
}

}  // namespace moe::model
