// Cross-flag validation of a resolved RunConfig, and enum names.
#include "config/run_config.h"

#include <string>

#include "config/config_error.h"
#include "config/mix_spec.h"
#include "util/json_writer.h"

namespace moe::config {

const char* to_string(DeviceChoice device) {
  switch (device) {
    case DeviceChoice::kAuto: return "auto";
    case DeviceChoice::kCpu: return "cpu";
    case DeviceChoice::kCuda: return "cuda";
  }
  return "?";
}

const char* to_string(DecayForm form) {
  switch (form) {
    case DecayForm::kExponential: return "exponential";
    case DecayForm::kLinear: return "linear";
    case DecayForm::kCosine: return "cosine";
    case DecayForm::kOneMinusSqrt: return "1-sqrt";
  }
  return "?";
}

const char* to_string(TokenDType dtype) {
  switch (dtype) {
    case TokenDType::kUint16: return "uint16";
    case TokenDType::kUint32: return "uint32";
  }
  return "?";
}

namespace {

std::string num(std::int64_t v) {
  return std::to_string(v);
}
std::string num(double v) {
  return util::format_double(v);
}

void check_model(const model::ModelConfig& m) {
  if (m.top_k > m.num_experts) {
    throw ConfigError("top-k", "--top-k=" + num(m.top_k) + " exceeds --num-experts=" + num(m.num_experts),
                      "lower --top-k or raise --num-experts (each token picks k distinct experts)");
  }
  if (m.head_dim % 2 != 0) {
    throw ConfigError("head-dim", "--head-dim=" + num(m.head_dim) + " is odd",
                      "use an even head dimension (rotary embeddings rotate pairs of halves)");
  }
  if (m.expert_backend == model::ExpertBackend::kGrouped) {
    const auto misaligned = [](std::int64_t v) { return v % 8 != 0; };
    if (misaligned(m.hidden_size) || misaligned(m.attention_dim()) || misaligned(m.intermediate_size)) {
      throw ConfigError("expert-backend",
                        "grouped expert matmuls need --hidden-size (" + num(m.hidden_size) +
                            "), --num-kv-heads x --head-dim (" + num(m.attention_dim()) +
                            ") and --intermediate-size (" + num(m.intermediate_size) +
                            ") to be multiples of 8 (16-byte aligned rows)",
                        "use --expert-backend=loop or auto, or round those sizes to multiples of 8");
    }
  }
}

void check_schedule(const TrainConfig& t) {
  if (t.training.max_steps == 0 && t.training.train_tokens == 0) {
    throw ConfigError("max-steps", "training length is unset (--max-steps=0 and --train-tokens=0)",
                      "set --max-steps=N or --train-tokens=N");
  }
  if (t.training.max_steps > 0 && t.training.train_tokens > 0) {
    throw ConfigError(
        "train-tokens",
        "--train-tokens=" + num(t.training.train_tokens) + " conflicts with --max-steps=" + num(t.training.max_steps),
        "give the training length once: set the other one to 0");
  }
  if (t.schedule.warmup_steps > 0 && t.schedule.warmup_tokens > 0) {
    throw ConfigError("warmup-tokens", "both --warmup-steps and --warmup-tokens are set",
                      "give the warmup length once: set the other one to 0");
  }
  if (t.schedule.decay_steps > 0 && t.schedule.decay_tokens > 0) {
    throw ConfigError("decay-tokens", "both --decay-steps and --decay-tokens are set",
                      "give the decay length once: set the other one to 0");
  }
  if (t.schedule.decay_start_steps && t.schedule.decay_start_tokens) {
    throw ConfigError("decay-start-tokens", "both --decay-start-steps and --decay-start-tokens are set",
                      "set one of them to auto");
  }
  if (t.schedule.min_lr > t.schedule.lr) {
    throw ConfigError("min-lr", "--min-lr=" + num(t.schedule.min_lr) + " is above --lr=" + num(t.schedule.lr),
                      "the floor must not exceed the peak learning rate");
  }
  const bool has_decay = t.schedule.decay_steps > 0 || t.schedule.decay_tokens > 0 || t.schedule.decay_start_steps ||
                         t.schedule.decay_start_tokens;
  if (has_decay && t.schedule.decay_form == DecayForm::kExponential && t.schedule.min_lr <= 0) {
    throw ConfigError("min-lr", "exponential decay needs --min-lr > 0",
                      "set --min-lr (JetMoE decays to 10% of --lr) or choose another --decay-form");
  }
  // Lengths in the same unit can be checked here; mixed step/token schedules
  // depend on the world size and are checked when training starts.
  if (t.training.max_steps > 0) {
    if (t.schedule.warmup_steps + t.schedule.decay_steps > t.training.max_steps) {
      throw ConfigError(t.schedule.warmup_steps > t.training.max_steps ? "warmup-steps" : "decay-steps",
                        "--warmup-steps=" + num(t.schedule.warmup_steps) + " plus --decay-steps=" +
                            num(t.schedule.decay_steps) + " exceed --max-steps=" + num(t.training.max_steps),
                        "shorten warmup or decay, or train longer");
    }
    if (t.schedule.decay_start_steps && (*t.schedule.decay_start_steps < t.schedule.warmup_steps ||
                                         *t.schedule.decay_start_steps > t.training.max_steps)) {
      throw ConfigError("decay-start-steps",
                        "--decay-start-steps=" + num(*t.schedule.decay_start_steps) + " lies outside [--warmup-steps=" +
                            num(t.schedule.warmup_steps) + ", --max-steps=" + num(t.training.max_steps) + "]",
                        "start the decay after warmup and before the end, or use auto");
    }
  }
  if (t.training.train_tokens > 0) {
    if (t.schedule.warmup_tokens + t.schedule.decay_tokens > t.training.train_tokens) {
      throw ConfigError(t.schedule.warmup_tokens > t.training.train_tokens ? "warmup-tokens" : "decay-tokens",
                        "--warmup-tokens=" + num(t.schedule.warmup_tokens) + " plus --decay-tokens=" +
                            num(t.schedule.decay_tokens) + " exceed --train-tokens=" + num(t.training.train_tokens),
                        "shorten warmup or decay, or train on more tokens");
    }
    if (t.schedule.decay_start_tokens && (*t.schedule.decay_start_tokens < t.schedule.warmup_tokens ||
                                          *t.schedule.decay_start_tokens > t.training.train_tokens)) {
      throw ConfigError("decay-start-tokens",
                        "--decay-start-tokens=" + num(*t.schedule.decay_start_tokens) +
                            " lies outside [--warmup-tokens=" + num(t.schedule.warmup_tokens) +
                            ", --train-tokens=" + num(t.training.train_tokens) + "]",
                        "start the decay after warmup and before the end, or use auto");
    }
  }
}

void check_data(const RunConfig& c) {
  const TrainConfig& t = c.train;
  if (t.training.seq_len > c.model.max_seq_len) {
    throw ConfigError("seq-len",
                      "--seq-len=" + num(t.training.seq_len) + " exceeds --max-seq-len=" + num(c.model.max_seq_len),
                      "lower --seq-len or raise --max-seq-len");
  }
  if (t.data.val_every > 0 && t.data.val_tokens == 0) {
    throw ConfigError("val-tokens", "validation is on (--val-every=" + num(t.data.val_every) + ") but --val-tokens=0",
                      "set --val-tokens=N or --val-every=0");
  }
  const bool mixes_files = [&] {
    for (const std::string* text : {&t.data.mix, &t.data.mix_phase2}) {
      if (text->empty()) continue;
      for (const auto& m : parse_data_mix(*text, text == &t.data.mix ? "data-mix" : "data-mix-phase2")) {
        if (!m.synthetic) return true;
      }
    }
    return false;
  }();
  if (!t.data.mix.empty() && t.data.source != "synthetic") {
    throw ConfigError("data-mix", "--data-mix replaces --data, but --data=" + t.data.source + " is set too",
                      "drop --data, or add that file to the mixture as " + t.data.source + "=WEIGHT");
  }
  if (t.data.mix_phase2.empty() && (t.data.phase2_start_steps || t.data.phase2_start_tokens)) {
    throw ConfigError(t.data.phase2_start_steps ? "phase2-start-steps" : "phase2-start-tokens",
                      "a phase-2 start is set but there is no phase-2 mixture",
                      "give --data-mix-phase2=src=weight,... or set the start back to auto");
  }
  if (t.data.phase2_start_steps && t.data.phase2_start_tokens) {
    throw ConfigError("phase2-start-tokens", "both --phase2-start-steps and --phase2-start-tokens are set",
                      "set one of them to auto");
  }
  if (t.training.max_steps > 0 && t.data.phase2_start_steps && *t.data.phase2_start_steps > t.training.max_steps) {
    throw ConfigError("phase2-start-steps",
                      "--phase2-start-steps=" + num(*t.data.phase2_start_steps) +
                          " lies after --max-steps=" + num(t.training.max_steps),
                      "start phase 2 within the run (0 = from the first step)");
  }
  if (t.training.train_tokens > 0 && t.data.phase2_start_tokens &&
      *t.data.phase2_start_tokens > t.training.train_tokens) {
    throw ConfigError("phase2-start-tokens",
                      "--phase2-start-tokens=" + num(*t.data.phase2_start_tokens) +
                          " lies after --train-tokens=" + num(t.training.train_tokens),
                      "start phase 2 within the run (0 = from the first step)");
  }
  if ((t.data.source != "synthetic" || mixes_files) && t.data.token_dtype == TokenDType::kUint16 &&
      c.model.vocab_size > 65536) {
    throw ConfigError("token-dtype", "uint16 token files cannot hold ids of --vocab-size=" + num(c.model.vocab_size),
                      "use --token-dtype=uint32");
  }
}

}  // namespace

void validate_combinations(const RunConfig& config) {
  check_model(config.model);
  check_schedule(config.train);
  check_data(config);
}

}  // namespace moe::config
