// Launch planning: lengths, schedule curve, FLOPs and the memory formula of plan.h.
#include "train/plan.h"

#include "model/config.h"

namespace moe::train {

MemoryEstimate estimate_memory(const config::RunConfig& c) {
  const model::ModelConfig& m = c.model;
  MemoryEstimate e;
  const bool cpu = c.train.training.device == config::DeviceChoice::kCpu;
  e.device = cpu ? "cpu" : "cuda";
  const bool bf16 = m.dtype == model::DType::kBFloat16 || (m.dtype == model::DType::kAuto && !cpu);
  e.param_dtype = bf16 ? "bfloat16" : "float32";
  const std::int64_t s = bf16 ? 2 : 4;
  const std::int64_t P = model::count_parameters(m).total;
  e.weights = P * s;
  e.master_weights = bf16 ? P * 4 : 0;
  e.grads = P * s + (bf16 ? P * 4 : 0);
  e.optimizer = P * 8;
  const std::int64_t H = m.hidden_size, k = m.top_k, A = m.attention_dim(), I = m.intermediate_size;
  const std::int64_t E = m.num_experts, L = m.num_layers, V = m.vocab_size;
  const std::int64_t n = c.train.training.micro_batch_size * c.train.training.seq_len;
  const std::int64_t per_token_layer = s * (10 * H + 6 * k * H + 9 * k * A + 4 * A + 5 * k * I) + 4 * (4 * H + 4 * E);
  e.activations = L * n * per_token_layer;
  e.logits = n * V * (s + 8);
  e.runtime = cpu ? (std::int64_t{1} << 28) : (std::int64_t{1} << 30);
  e.total = e.weights + e.master_weights + e.grads + e.optimizer + e.activations + e.logits + e.runtime;
  return e;
}

Plan make_plan(const config::RunConfig& c, std::int64_t world_size, std::int64_t curve_points) {
  Plan p;
  p.length = optim::resolve_run_length(c.train, world_size);
  p.schedule = optim::resolve_schedule(c.train, p.length);
  p.phase2_start = optim::resolve_phase2_start(c.train, p.length, p.schedule);
  for (std::int64_t step : optim::curve_steps(p.schedule, p.length.total_steps, curve_points)) {
    p.curve.push_back({step, p.schedule.lr_at(step)});
  }
  p.memory = estimate_memory(c);
  p.flops_per_token = model::training_flops_per_token(c.model, c.train.training.seq_len).total;
  p.total_flops = p.flops_per_token * static_cast<double>(p.length.total_tokens);
  if (p.schedule.decay_unfinished(p.length.total_steps)) {
    p.warnings.push_back("the decay ends at step " + std::to_string(p.schedule.decay_start + p.schedule.decay_steps) +
                         ", after the last step " + std::to_string(p.length.total_steps) +
                         ": training stops before reaching --min-lr");
  }
  if (c.train.run.checkpoint_every == 0 && p.length.total_steps > 1000) {
    p.warnings.push_back("--checkpoint-every=0: only a final checkpoint is written; a crash loses the whole run");
  }
  if (c.train.data.val_every == 0) p.warnings.push_back("--val-every=0: no validation loss will be reported");
  return p;
}

}  // namespace moe::train
