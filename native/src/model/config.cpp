// Closed-form parameter and FLOP counts for a JetMoE configuration.
#include "model/config.h"

namespace moe::model {

const char* to_string(ExpertBackend backend) {
  switch (backend) {
    case ExpertBackend::kAuto: return "auto";
    case ExpertBackend::kGrouped: return "grouped";
    case ExpertBackend::kLoop: return "loop";
  }
  return "?";
}

const char* to_string(DType dtype) {
  switch (dtype) {
    case DType::kAuto: return "auto";
    case DType::kFloat32: return "float32";
    case DType::kBFloat16: return "bfloat16";
  }
  return "?";
}

const char* to_string(AttentionKernel kernel) {
  switch (kernel) {
    case AttentionKernel::kAuto: return "auto";
    case AttentionKernel::kSdpa: return "sdpa";
    case AttentionKernel::kBlocked: return "blocked";
  }
  return "?";
}

ParamCounts count_parameters(const ModelConfig& c) {
  const std::int64_t V = c.vocab_size, H = c.hidden_size, L = c.num_layers;
  const std::int64_t E = c.num_experts, k = c.top_k, I = c.intermediate_size;
  const std::int64_t A = c.attention_dim();

  ParamCounts p;
  const std::int64_t norms = 2 * H;
  const std::int64_t kv_proj = 2 * A * H;
  // Router [E,H] + W_q [E,A,H] + W_o [E,H,A] + bias [H].
  const std::int64_t moa = E * H + 2 * E * A * H + H;
  const std::int64_t moa_active = E * H + 2 * k * A * H + H;
  // Router [E,H] + W_in [E,2I,H] + W_out [E,H,I] + bias [H].
  const std::int64_t moe = E * H + 3 * E * I * H + H;
  const std::int64_t moe_active = E * H + 3 * k * I * H + H;

  p.per_layer = norms + moa + kv_proj + moe;
  p.active_per_layer = norms + moa_active + kv_proj + moe_active;
  p.embedding = V * H;
  p.lm_head = c.tie_embeddings ? 0 : V * H;
  p.total = L * p.per_layer + p.embedding + H + p.lm_head;
  p.active_non_embedding = L * p.active_per_layer + H;
  p.active_with_embedding = p.active_non_embedding + V * H;
  return p;
}

FlopsPerToken training_flops_per_token(const ModelConfig& c, std::int64_t seq_len) {
  FlopsPerToken f;
  f.seq_len = seq_len;
  const ParamCounts p = count_parameters(c);
  f.dense = 6.0 * static_cast<double>(p.active_with_embedding);
  const double query_width = static_cast<double>(c.top_k * c.num_kv_heads * c.head_dim);
  f.attention = 12.0 * static_cast<double>(c.num_layers) * query_width * static_cast<double>(seq_len) / 2.0;
  f.total = f.dense + f.attention;
  return f;
}

}  // namespace moe::model
