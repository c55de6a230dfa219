// The JetMoE causal LM: embedding, blocks, final norm, tied output projection, losses.
#include "model/transformer.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "model/experts.h"
#include "model/rope.h"

namespace moe::model {

JetMoeModelImpl::JetMoeModelImpl(const ModelConfig& c) {
  embed_tokens = register_module("embed_tokens", TokenEmbedding(c.vocab_size, c.hidden_size));
  layers = register_module("layers", torch::nn::ModuleList());
  for (std::int64_t i = 0; i < c.num_layers; ++i) layers->push_back(JetMoeBlock(c, i));
  norm = register_module("norm", RMSNorm(c.hidden_size, c.rms_norm_eps));
}

void JetMoeModelImpl::reset_parameters(double init_std) {
  embed_tokens->reset_parameters(init_std);
  for (const auto& layer : *layers) layer->as<JetMoeBlockImpl>()->reset_parameters(init_std);
  norm->reset_parameters();
}

JetMoeCausalLMImpl::JetMoeCausalLMImpl(const ModelConfig& c) : config_(c) {
  TORCH_CHECK(c.top_k >= 1 && c.top_k <= c.num_experts, "JetMoeCausalLM: top_k must be in [1, num_experts]");
  TORCH_CHECK(c.head_dim % 2 == 0, "JetMoeCausalLM: head_dim must be even");
  model = register_module("model", JetMoeModel(c));
  if (!c.tie_embeddings) lm_head = register_module("lm_head", BiasFreeLinear(c.hidden_size, c.vocab_size));
  reset_parameters();
}

void JetMoeCausalLMImpl::reset_parameters() {
  model->reset_parameters(config_.init_std);
  if (lm_head) lm_head->reset_parameters(config_.init_std);
}

at::Tensor JetMoeCausalLMImpl::output_weight() const {
  return lm_head ? lm_head->weight : model->embed_tokens->weight;
}

ExpertBackend JetMoeCausalLMImpl::resolved_expert_backend() const {
  const at::Tensor& w = model->embed_tokens->weight;
  return resolve_expert_backend(config_.expert_backend, config_, w.scalar_type(), w.device());
}

CausalLMOutput JetMoeCausalLMImpl::forward(const at::Tensor& input_ids, const at::Tensor& labels) {
  TORCH_CHECK(input_ids.dim() == 2, "JetMoeCausalLM: input_ids must be [B, T], got ", input_ids.sizes());
  TORCH_CHECK(input_ids.scalar_type() == at::kLong, "JetMoeCausalLM: input_ids must be int64");
  const std::int64_t T = input_ids.size(1);
  TORCH_CHECK(T >= 1 && T <= config_.max_seq_len, "JetMoeCausalLM: sequence length ", T,
              " is outside [1, max_seq_len=", config_.max_seq_len, "]");

  at::Tensor h = model->embed_tokens->forward(input_ids);  // [B, T, H]
  const RotaryTables rope =
      make_rotary_tables(T, config_.head_dim, config_.rope_theta, h.device(), h.scalar_type());  // [T, D]
  const ExpertBackend backend = resolved_expert_backend();

  CausalLMOutput out;
  out.router_stats.reserve(static_cast<std::size_t>(2 * config_.num_layers));
  at::Tensor router_sum;
  for (const auto& layer : *model->layers) {
    BlockOutput b = layer->as<JetMoeBlockImpl>()->forward(h, rope, backend);
    h = b.hidden;
    const at::Tensor layer_loss = b.attention.loss + b.mlp.loss;
    router_sum = router_sum.defined() ? router_sum + layer_loss : layer_loss;
    out.router_stats.push_back(std::move(b.attention.stats));
    out.router_stats.push_back(std::move(b.mlp.stats));
  }
  h = model->norm->forward(h);                  // [B, T, H]
  out.logits = at::linear(h, output_weight());  // [B, T, V]
  out.router_loss = config_.aux_loss_coef * router_sum;

  if (labels.defined()) {
    TORCH_CHECK(labels.sizes() == input_ids.sizes(), "JetMoeCausalLM: labels must have the shape of input_ids");
    const std::int64_t V = out.logits.size(-1);
    // Position t predicts labels[t+1]; the last position has no target. The
    // labels are shifted (and the last one ignored) rather than the logits, so
    // the [B, T, V] logits are used in place instead of copied.
    const at::Tensor shift_labels =
        at::constant_pad_nd(labels.narrow(1, 1, T - 1), {0, 1}, static_cast<double>(kIgnoreIndex))
            .reshape({-1});                                                     // [B*T]
    const at::Tensor flat_logits = out.logits.to(at::kFloat).reshape({-1, V});  // [B*T, V]
    out.lm_loss = at::cross_entropy_loss(flat_logits, shift_labels, /*weight=*/{}, at::Reduction::Mean, kIgnoreIndex);
    out.num_label_tokens = shift_labels.ne(kIgnoreIndex).sum();
    out.loss = out.lm_loss + out.router_loss;
  }
  return out;
}

at::ScalarType resolve_dtype(DType dtype, const at::Device& device) {
  switch (dtype) {
    case DType::kFloat32: return at::kFloat;
    case DType::kBFloat16: return at::kBFloat16;
    case DType::kAuto: return device.is_cuda() ? at::kBFloat16 : at::kFloat;
  }
  return at::kFloat;
}

std::int64_t count_module_parameters(const torch::nn::Module& module) {
  std::int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace moe::model
