// The JetMoE causal language model (JetMoeForCausalLM): token embedding, L
// blocks, final RMSNorm (rms_norm_eps) and an output projection tied to the
// embedding unless tie_embeddings is false.
//
// named_parameters() yields exactly the Hugging Face state-dict names, e.g.
// "model.layers.0.self_attention.experts.input_linear.weight"; with untied
// embeddings "lm_head.weight" is added.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "model/block.h"
#include "model/config.h"
#include "model/linear.h"
#include "model/norm.h"
#include "model/router.h"

namespace moe::model {

inline constexpr std::int64_t kIgnoreIndex = -100;

struct CausalLMOutput {
  at::Tensor logits;                      // [B, T, V] model dtype
  at::Tensor lm_loss;                     // [] fp32 mean next-token cross-entropy over labels != -100 (needs labels)
  at::Tensor num_label_tokens;            // [] int64 labels that count toward lm_loss (needs labels)
  at::Tensor router_loss;                 // [] fp32 aux_loss_coef * sum over all 2L routers of (balance + z_coef * z)
  at::Tensor loss;                        // [] fp32 lm_loss + router_loss (needs labels)
  std::vector<RouterStats> router_stats;  // 2L entries: layer 0 attention, layer 0 mlp, layer 1 attention, ...
};

// The decoder stack (HF `model`): embed_tokens, layers.{i}, norm.
class JetMoeModelImpl : public torch::nn::Module {
 public:
  explicit JetMoeModelImpl(const ModelConfig& config);
  void reset_parameters(double init_std);

  TokenEmbedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};
};
TORCH_MODULE(JetMoeModel);

class JetMoeCausalLMImpl : public torch::nn::Module {
 public:
  // Parameters are created in fp32 and initialised (normal(0, init_std) for
  // embeddings, routers, kv_proj, experts, lm_head; zeros for biases; ones for
  // norms) from the current torch RNG. Move with ->to(device, dtype).
  explicit JetMoeCausalLMImpl(const ModelConfig& config);
  void reset_parameters();

  // input_ids: [B, T] int64 in [0, V), T <= max_seq_len.
  // labels: [B, T] int64 or undefined; the loss predicts labels[:, t+1] from
  // position t (HF convention: pass labels = input_ids), ignoring -100.
  CausalLMOutput forward(const at::Tensor& input_ids, const at::Tensor& labels = at::Tensor());

  const ModelConfig& config() const { return config_; }
  // Overrides config().expert_backend for later forward calls.
  void set_expert_backend(ExpertBackend backend) { config_.expert_backend = backend; }
  // The backend forward() will use for the current parameters' device and dtype.
  ExpertBackend resolved_expert_backend() const;
  // Weight of the output projection: the embedding when tied, else lm_head.
  at::Tensor output_weight() const;

  JetMoeModel model{nullptr};
  BiasFreeLinear lm_head{nullptr};  // null when tie_embeddings

 private:
  ModelConfig config_;
};
TORCH_MODULE(JetMoeCausalLM);

// Resolves DType::kAuto for a device: bfloat16 on CUDA, float32 elsewhere.
at::ScalarType resolve_dtype(DType dtype, const at::Device& device);

// Number of parameter elements of a module (for cross-checking count_parameters).
std::int64_t count_module_parameters(const torch::nn::Module& module);

}  // namespace moe::model
