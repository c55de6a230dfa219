// JetMoE architecture configuration and the closed-form parameter / FLOP counts
// (docs/model.md, Configuration and Parameter counts). Free of LibTorch so the CLI can use it cheaply.
#pragma once

#include <cstdint>
#include <string>

namespace moe::model {

// How expert matmuls run: `grouped` = one at::_grouped_mm per projection over
// expert-sorted tokens, `loop` = one matmul per expert, `auto` = grouped where
// LibTorch has a fast kernel (bf16 on CUDA capability 9.x/10.x), loop elsewhere.
enum class ExpertBackend { kAuto, kGrouped, kLoop };

// Causal attention of the MoA heads: `sdpa` = at::scaled_dot_product_attention over K/V tiled
// across the k slots, `blocked` = blocks of query rows as batched matmuls over the shared K/V,
// `auto` = blocked for float32 on the CPU while its saved probabilities fit a budget, else sdpa.
enum class AttentionKernel { kAuto, kSdpa, kBlocked };

// Parameter and compute dtype. `auto` = bfloat16 on CUDA, float32 on the CPU.
enum class DType { kAuto, kFloat32, kBFloat16 };

const char* to_string(ExpertBackend backend);
const char* to_string(DType dtype);
const char* to_string(AttentionKernel kernel);

// Field names follow the trainer's flags; the Hugging Face names are in comments.
// The defaults are Hugging Face JetMoeConfig's (JetMoE-8B has 24 layers and a final
// norm eps of 1e-5; see resources/presets/jetmoe-8b.flags).
struct ModelConfig {
  std::int64_t vocab_size = 32000;        // V   vocab_size
  std::int64_t hidden_size = 2048;        // H   hidden_size
  std::int64_t num_layers = 12;           // L   num_hidden_layers
  std::int64_t num_kv_heads = 16;         // G   num_key_value_heads
  std::int64_t head_dim = 128;            // D   kv_channels
  std::int64_t intermediate_size = 5632;  // I   intermediate_size (per MLP expert)
  std::int64_t num_experts = 8;           // E   num_local_experts (MoA and MoE)
  std::int64_t top_k = 2;                 // k   num_experts_per_tok
  std::int64_t max_seq_len = 4096;        //     max_position_embeddings
  double rope_theta = 10000.0;            //     rope_theta
  double rms_norm_eps = 1e-6;             //     rms_norm_eps: final norm only
  double block_norm_eps = 1e-6;           //     per-block norms (hard-coded 1e-6 in HF)
  bool tie_embeddings = true;             //     tie_word_embeddings
  double init_std = 0.01;                 //     initializer_range
  double aux_loss_coef = 0.01;            //     aux_loss_coef
  double z_loss_coef = 0.1;               //     z-loss weight inside each router loss
  ExpertBackend expert_backend = ExpertBackend::kAuto;
  AttentionKernel attention_kernel = AttentionKernel::kAuto;
  DType dtype = DType::kAuto;

  // A = G*D: width of the attention projections (need not equal H).
  std::int64_t attention_dim() const { return num_kv_heads * head_dim; }
  // Query heads seen by attention: k slots of G heads each.
  std::int64_t num_attention_heads() const { return top_k * num_kv_heads; }
};

// Closed-form parameter counts (docs/model.md, Parameter counts).
struct ParamCounts {
  std::int64_t per_layer = 0;             // all parameters of one block
  std::int64_t active_per_layer = 0;      // parameters one token touches in one block
  std::int64_t embedding = 0;             // V*H (one matrix)
  std::int64_t lm_head = 0;               // V*H when untied, else 0
  std::int64_t total = 0;                 // L*per_layer + V*H + H (+ V*H untied)
  std::int64_t active_non_embedding = 0;  // L*active_per_layer + H
  // Adds the output projection a token uses: the tied embedding matrix, or
  // the separate lm_head when untied (the input lookup is not counted twice).
  std::int64_t active_with_embedding = 0;
};

ParamCounts count_parameters(const ModelConfig& config);

// Training FLOPs per token (forward + backward):
//   dense     = 6 * N, N = active_with_embedding (every active weight is used
//               in one multiply-add per token forward, two backward)
//   attention = 12 * L * (k*G*D) * T / 2: QK^T and AV over T keys, 2 FLOPs per
//               multiply-add, x3 for backward, halved by the causal mask.
struct FlopsPerToken {
  std::int64_t seq_len = 0;
  double dense = 0;
  double attention = 0;
  double total = 0;
};

FlopsPerToken training_flops_per_token(const ModelConfig& config, std::int64_t seq_len);

}  // namespace moe::model
