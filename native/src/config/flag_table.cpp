// The flag registry: every architecture, training, data and run setting of the
// trainer, declared once. Help text, validation, defaults, `moetrain config`
// output and docs/trainer-cli.md all follow this table.
#include <limits>

#include "config/flags.h"

namespace moe::config {
namespace {

using model::AttentionKernel;
using model::DType;
using model::ExpertBackend;

constexpr double kNoLimit = std::numeric_limits<double>::infinity();
using Apply = void (*)(RunConfig&, const FlagValue&);

struct Bounds {
  double lo;
  double hi;
  bool lo_open = false;
  bool hi_open = false;
};

FlagSpec numeric(std::string name, FlagType type, std::string def, Bounds b, FlagGroup group, std::string help,
                 Apply apply) {
  FlagSpec s;
  s.name = std::move(name);
  s.type = type;
  s.default_value = std::move(def);
  if (b.lo != -kNoLimit) s.min = b.lo;
  if (b.hi != kNoLimit) s.max = b.hi;
  s.min_open = b.lo_open;
  s.max_open = b.hi_open;
  s.group = group;
  s.help = std::move(help);
  s.apply = apply;
  return s;
}

FlagSpec int_flag(std::string name, std::string def, Bounds b, FlagGroup g, std::string help, Apply a) {
  return numeric(std::move(name), FlagType::kInt, std::move(def), b, g, std::move(help), a);
}

FlagSpec int_or_auto_flag(std::string name, Bounds b, FlagGroup g, std::string help, Apply a) {
  return numeric(std::move(name), FlagType::kIntOrAuto, "auto", b, g, std::move(help), a);
}

FlagSpec float_flag(std::string name, std::string def, Bounds b, FlagGroup g, std::string help, Apply a) {
  return numeric(std::move(name), FlagType::kFloat, std::move(def), b, g, std::move(help), a);
}

FlagSpec bool_flag(std::string name, std::string def, FlagGroup g, std::string help, Apply a) {
  FlagSpec s;
  s.name = std::move(name);
  s.type = FlagType::kBool;
  s.default_value = std::move(def);
  s.group = g;
  s.help = std::move(help);
  s.apply = a;
  return s;
}

// The order of `choices` is the order of the enum the value is stored in.
FlagSpec choice_flag(std::string name, std::string def, std::vector<std::string> choices, FlagGroup g, std::string help,
                     Apply a) {
  FlagSpec s;
  s.name = std::move(name);
  s.type = FlagType::kChoice;
  s.default_value = std::move(def);
  s.choices = std::move(choices);
  s.group = g;
  s.help = std::move(help);
  s.apply = a;
  return s;
}

FlagSpec string_flag(std::string name, std::string def, bool allow_empty, FlagGroup g, std::string help, Apply a) {
  FlagSpec s;
  s.name = std::move(name);
  s.type = FlagType::kString;
  s.default_value = std::move(def);
  s.allow_empty = allow_empty;
  s.group = g;
  s.help = std::move(help);
  s.apply = a;
  return s;
}

constexpr double kMaxInt = 9.2e18;  // below INT64_MAX; counts of tokens fit comfortably

#define SET_INT(field) [](RunConfig& c, const FlagValue& v) { c.field = v.int_value; }
#define SET_FLOAT(field) [](RunConfig& c, const FlagValue& v) { c.field = v.float_value; }
#define SET_BOOL(field) [](RunConfig& c, const FlagValue& v) { c.field = v.bool_value; }
#define SET_STRING(field) [](RunConfig& c, const FlagValue& v) { c.field = v.string_value; }
#define SET_CHOICE(field, Enum) [](RunConfig& c, const FlagValue& v) { c.field = static_cast<Enum>(v.choice_index); }
#define SET_INT_OR_AUTO(field)                                                                      \
  [](RunConfig& c, const FlagValue& v) {                                                            \
    c.field = v.is_auto ? std::optional<std::int64_t>() : std::optional<std::int64_t>(v.int_value); \
  }

std::vector<FlagSpec> build_table() {
  using G = FlagGroup;
  std::vector<FlagSpec> t;

  // ---- model architecture (Hugging Face JetMoeConfig names in the help) ----
  t.push_back(int_flag("vocab-size", "32000", {2, 2147483647}, G::kModel, "Vocabulary size V (vocab_size).",
                       SET_INT(model.vocab_size)));
  t.push_back(int_flag("hidden-size", "2048", {1, 1048576}, G::kModel, "Model width H (hidden_size).",
                       SET_INT(model.hidden_size)));
  t.push_back(int_flag("num-layers", "12", {1, 4096}, G::kModel, "Number of blocks L (num_hidden_layers).",
                       SET_INT(model.num_layers)));
  t.push_back(int_flag("num-kv-heads", "16", {1, 4096}, G::kModel,
                       "Shared key/value heads G (num_key_value_heads); each attention expert has G query heads.",
                       SET_INT(model.num_kv_heads)));
  t.push_back(int_flag("head-dim", "128", {2, 4096}, G::kModel,
                       "Head dimension D (kv_channels); must be even for rotary embeddings.", SET_INT(model.head_dim)));
  t.push_back(int_flag("intermediate-size", "5632", {1, 4194304}, G::kModel,
                       "Hidden size I of each MLP expert (intermediate_size).", SET_INT(model.intermediate_size)));
  t.push_back(int_flag("num-experts", "8", {1, 4096}, G::kModel,
                       "Experts E per router, shared by attention (MoA) and MLP (MoE) (num_local_experts).",
                       SET_INT(model.num_experts)));
  t.push_back(int_flag("top-k", "2", {1, 4096}, G::kModel,
                       "Experts chosen per token k (num_experts_per_tok); at most --num-experts.",
                       SET_INT(model.top_k)));
  t.push_back(int_flag("max-seq-len", "4096", {1, 16777216}, G::kModel,
                       "Longest sequence the model supports (max_position_embeddings).", SET_INT(model.max_seq_len)));
  t.push_back(float_flag("rope-theta", "10000", {0, 1e12, true}, G::kModel, "Rotary embedding base theta (rope_theta).",
                         SET_FLOAT(model.rope_theta)));
  t.push_back(float_flag("rms-norm-eps", "1e-06", {0, 1, true, true}, G::kModel,
                         "Epsilon of the final RMSNorm only (rms_norm_eps).", SET_FLOAT(model.rms_norm_eps)));
  t.push_back(float_flag("block-norm-eps", "1e-06", {0, 1, true, true}, G::kModel,
                         "Epsilon of the per-block RMSNorms (fixed at 1e-6 in the reference model).",
                         SET_FLOAT(model.block_norm_eps)));
  t.push_back(bool_flag("tie-embeddings", "true", G::kModel,
                        "Use the token embedding as the output projection (tie_word_embeddings).",
                        SET_BOOL(model.tie_embeddings)));
  t.push_back(float_flag("init-std", "0.01", {0, 10, true}, G::kModel,
                         "Std of the normal init of embeddings, routers, kv_proj and expert weights "
                         "(initializer_range).",
                         SET_FLOAT(model.init_std)));
  t.push_back(float_flag("aux-loss-coef", "0.01", {0, 1e6}, G::kModel,
                         "Weight of the summed router losses in the training loss (aux_loss_coef).",
                         SET_FLOAT(model.aux_loss_coef)));
  t.push_back(float_flag("z-loss-coef", "0.1", {0, 1e6}, G::kModel,
                         "Weight of the router z-loss inside each router loss.", SET_FLOAT(model.z_loss_coef)));
  t.push_back(choice_flag("expert-backend", "auto", {"auto", "grouped", "loop"}, G::kModel,
                          "Expert matmuls: grouped (at::_grouped_mm), loop (one matmul per expert), or auto "
                          "(grouped for bfloat16 on CUDA capability 9.x/10.x, else loop).",
                          SET_CHOICE(model.expert_backend, ExpertBackend)));
  t.push_back(choice_flag("attention-kernel", "auto", {"auto", "sdpa", "blocked"}, G::kModel,
                          "Causal attention: sdpa (fused scaled_dot_product_attention), blocked (blocks of 128 "
                          "query positions as batched matmuls over the shared keys and values; keeps O(T^2) "
                          "probabilities for the backward), or auto (blocked for float32 on the CPU when that "
                          "memory stays under 256 MiB per layer, else sdpa).",
                          SET_CHOICE(model.attention_kernel, AttentionKernel)));
  t.push_back(choice_flag("dtype", "auto", {"auto", "float32", "bfloat16"}, G::kModel,
                          "Parameter and compute dtype; auto = bfloat16 on CUDA, float32 on the CPU.",
                          SET_CHOICE(model.dtype, DType)));

  // ---- training ----
  t.push_back(int_flag("seed", "1234", {0, kMaxInt}, G::kTraining, "Seed for weight initialisation and data order.",
                       SET_INT(train.training.seed)));
  t.push_back(bool_flag("deterministic", "false", G::kTraining,
                        "Use deterministic kernels only (slower; needed for bit-exact resume checks).",
                        SET_BOOL(train.training.deterministic)));
  t.push_back(choice_flag("device", "auto", {"auto", "cpu", "cuda"}, G::kTraining,
                          "Where to train; auto = cuda when a GPU is visible, else cpu.",
                          SET_CHOICE(train.training.device, DeviceChoice)));
  t.push_back(int_or_auto_flag("cpu-threads", {1, 4096}, G::kTraining,
                               "Intra-op threads when training on the CPU; auto = LibTorch's default (one per core). "
                               "Bit-exact resume on the CPU needs the same thread count.",
                               SET_INT_OR_AUTO(train.training.cpu_threads)));
  t.push_back(int_flag("micro-batch-size", "1", {1, 1048576}, G::kTraining,
                       "Sequences per forward/backward pass on each rank.", SET_INT(train.training.micro_batch_size)));
  t.push_back(int_flag("grad-accum-steps", "1", {1, 1048576}, G::kTraining,
                       "Micro-batches accumulated per optimizer step.", SET_INT(train.training.grad_accum_steps)));
  t.push_back(int_flag("seq-len", "4096", {1, 16777216}, G::kTraining,
                       "Training sequence length in tokens; at most --max-seq-len.", SET_INT(train.training.seq_len)));
  t.push_back(int_flag("max-steps", "1000", {0, kMaxInt}, G::kTraining,
                       "Optimizer steps to train; 0 = derive from --train-tokens.", SET_INT(train.training.max_steps)));
  t.push_back(int_flag("train-tokens", "0", {0, kMaxInt}, G::kTraining,
                       "Tokens to train on (accepts 10B, 1.25T); 0 = use --max-steps.",
                       SET_INT(train.training.train_tokens)));

  // ---- learning-rate schedule (warmup-stable-decay) ----
  t.push_back(
      float_flag("lr", "0.0005", {0, 10, true}, G::kSchedule, "Peak learning rate.", SET_FLOAT(train.schedule.lr)));
  t.push_back(float_flag("min-lr", "5e-05", {0, 10}, G::kSchedule,
                         "Learning-rate floor: start of warmup and end of decay.", SET_FLOAT(train.schedule.min_lr)));
  t.push_back(int_flag("warmup-steps", "0", {0, kMaxInt}, G::kSchedule,
                       "Linear warmup length in steps (or use --warmup-tokens).",
                       SET_INT(train.schedule.warmup_steps)));
  t.push_back(int_flag("warmup-tokens", "0", {0, kMaxInt}, G::kSchedule,
                       "Linear warmup length in tokens (or use --warmup-steps).",
                       SET_INT(train.schedule.warmup_tokens)));
  t.push_back(choice_flag("decay-form", "exponential", {"exponential", "linear", "cosine", "1-sqrt"}, G::kSchedule,
                          "Shape of the final decay from --lr to --min-lr.",
                          SET_CHOICE(train.schedule.decay_form, DecayForm)));
  t.push_back(int_flag("decay-steps", "0", {0, kMaxInt}, G::kSchedule,
                       "Decay length in steps (or use --decay-tokens); 0 with --decay-tokens=0 = no decay.",
                       SET_INT(train.schedule.decay_steps)));
  t.push_back(int_flag("decay-tokens", "0", {0, kMaxInt}, G::kSchedule,
                       "Decay length in tokens (or use --decay-steps).", SET_INT(train.schedule.decay_tokens)));
  t.push_back(int_or_auto_flag("decay-start-steps", {0, kMaxInt}, G::kSchedule,
                               "Step where decay starts; auto = end of training minus the decay length.",
                               SET_INT_OR_AUTO(train.schedule.decay_start_steps)));
  t.push_back(int_or_auto_flag("decay-start-tokens", {0, kMaxInt}, G::kSchedule,
                               "Token count where decay starts; auto = end of training minus the decay length.",
                               SET_INT_OR_AUTO(train.schedule.decay_start_tokens)));

  // ---- optimizer ----
  t.push_back(float_flag("weight-decay", "0.1", {0, 10}, G::kOptimizer,
                         "AdamW decoupled weight decay, applied to weight matrices (not to norms or biases).",
                         SET_FLOAT(train.optim.weight_decay)));
  t.push_back(
      float_flag("beta1", "0.9", {0, 1, false, true}, G::kOptimizer, "AdamW beta1.", SET_FLOAT(train.optim.beta1)));
  t.push_back(
      float_flag("beta2", "0.999", {0, 1, false, true}, G::kOptimizer, "AdamW beta2.", SET_FLOAT(train.optim.beta2)));
  t.push_back(float_flag("adam-eps", "1e-08", {0, 1, true, true}, G::kOptimizer, "AdamW epsilon.",
                         SET_FLOAT(train.optim.adam_eps)));
  t.push_back(float_flag("clip-grad", "1", {0, 1e6}, G::kOptimizer,
                         "Clip the global gradient L2 norm to this value; 0 disables clipping.",
                         SET_FLOAT(train.optim.clip_grad)));
  t.push_back(bool_flag("decay-embeddings", "true", G::kOptimizer,
                        "Apply weight decay to the token embedding (also the output matrix when tied). Expert, "
                        "attention, kv and router matrices always decay; biases and norm weights never do.",
                        SET_BOOL(train.optim.decay_embeddings)));

  // ---- data ----
  t.push_back(string_flag("data", "synthetic", false, G::kData,
                          "Training data: `synthetic` (built-in multi-domain corpus) or the path of a token file.",
                          SET_STRING(train.data.source)));
  t.push_back(choice_flag("token-dtype", "uint16", {"uint16", "uint32"}, G::kData,
                          "Element type of token files; uint16 holds vocabularies up to 65536.",
                          SET_CHOICE(train.data.token_dtype, TokenDType)));
  t.push_back(int_flag("val-every", "0", {0, kMaxInt}, G::kData, "Run validation every N steps; 0 disables validation.",
                       SET_INT(train.data.val_every)));
  t.push_back(int_flag("val-tokens", "0", {0, kMaxInt}, G::kData,
                       "Tokens per validation pass (required when --val-every > 0).", SET_INT(train.data.val_tokens)));
  t.push_back(string_flag("val-data", "", true, G::kData,
                          "Validation token file (same --token-dtype). Empty: the synthetic validation split, or "
                          "the last --val-tokens tokens of --data, held out from training.",
                          SET_STRING(train.data.val_data)));
  t.push_back(string_flag("data-mix", "", true, G::kData,
                          "Weighted mixture replacing --data: `src=weight,...` with src `synthetic:<domain>` or a "
                          "token-file path; weights are normalised. Each source holds out its own validation data.",
                          SET_STRING(train.data.mix)));
  t.push_back(string_flag("data-mix-phase2", "", true, G::kData,
                          "The mixture (same syntax as --data-mix) used after the phase-2 start; empty = one phase.",
                          SET_STRING(train.data.mix_phase2)));
  t.push_back(int_or_auto_flag("phase2-start-steps", {0, kMaxInt}, G::kData,
                               "Last step of phase 1 (steps after it read --data-mix-phase2); auto = the decay start.",
                               SET_INT_OR_AUTO(train.data.phase2_start_steps)));
  t.push_back(
      int_or_auto_flag("phase2-start-tokens", {0, kMaxInt}, G::kData,
                       "The phase-2 start as a token count (rounded up to whole steps); auto = the decay start.",
                       SET_INT_OR_AUTO(train.data.phase2_start_tokens)));

  // ---- logging, checkpoints, recovery ----
  t.push_back(int_flag("log-every", "10", {1, kMaxInt}, G::kRun, "Write a metrics record every N steps.",
                       SET_INT(train.run.log_every)));
  t.push_back(int_flag("router-stats-every", "100", {0, kMaxInt}, G::kRun,
                       "Write per-router load statistics every N steps; 0 disables them.",
                       SET_INT(train.run.router_stats_every)));
  t.push_back(int_flag("checkpoint-every", "0", {0, kMaxInt}, G::kRun,
                       "Save a checkpoint every N steps (and at the end); 0 = only at the end.",
                       SET_INT(train.run.checkpoint_every)));
  t.push_back(int_flag("keep-checkpoints", "3", {1, 1000000}, G::kRun, "Keep the newest N checkpoints.",
                       SET_INT(train.run.keep_checkpoints)));
  t.push_back(int_flag("keep-every-tokens", "0", {0, kMaxInt}, G::kRun,
                       "Also keep the first checkpoint at or after each multiple of N training tokens; 0 = off.",
                       SET_INT(train.run.keep_every_tokens)));
  t.push_back(bool_flag("keep-best-val", "false", G::kRun,
                        "Also keep the checkpoint with the lowest validation loss at the time it was saved.",
                        SET_BOOL(train.run.keep_best_val)));
  t.push_back(string_flag("resume", "auto", false, G::kRun,
                          "auto = continue from the newest complete checkpoint in --run-dir if any; none = "
                          "start fresh; or the path of a checkpoint.",
                          SET_STRING(train.run.resume)));
  t.push_back(string_flag("run-dir", "", true, G::kRun,
                          "Directory for metrics, checkpoints and logs of this run (required by train).",
                          SET_STRING(train.run.dir)));
  t.push_back(int_flag("max-consecutive-nonfinite", "3", {1, 1000000}, G::kRun,
                       "Steps in a row with a non-finite loss or gradient (each skipped) before the run stops "
                       "with exit code 3.",
                       SET_INT(train.run.max_consecutive_nonfinite)));
  t.push_back(string_flag("run-id", "", true, G::kRun,
                          "Identifier of this run, recorded in the metrics header; pass it on the command line so "
                          "liveness checks can find it in /proc/<pid>/cmdline.",
                          SET_STRING(train.run.id)));
  t.push_back(float_flag("heartbeat-every", "10", {0, 3600, true}, G::kRun,
                         "Seconds between rewrites of <run-dir>/heartbeat by a background thread.",
                         SET_FLOAT(train.run.heartbeat_every)));
  t.push_back(bool_flag("verify-checkpoints", "true", G::kRun,
                        "Check the SHA-1 of every checkpoint file against its MANIFEST before loading it "
                        "(sizes are always checked).",
                        SET_BOOL(train.run.verify_checkpoints)));
  t.push_back(string_flag("fork-from", "", true, G::kRun,
                          "Start from the weights of this checkpoint directory (e.g. another run's stable phase) "
                          "with this run's schedule from step 0; ignored once this run has its own checkpoints.",
                          SET_STRING(train.run.fork_from)));
  t.push_back(bool_flag("fork-optimizer", "false", G::kRun,
                        "With --fork-from, also load the AdamW moments (else they start at zero).",
                        SET_BOOL(train.run.fork_optimizer)));
  t.push_back(float_flag("peak-flops", "0", {0, 1e18}, G::kRun,
                         "Peak dense bf16 FLOP/s of one device, for MFU; 0 = built-in table (H100/H200 9.89e14, "
                         "A100 3.12e14) or, on the CPU, 5e10 per thread.",
                         SET_FLOAT(train.run.peak_flops)));
  t.push_back(int_flag("profile-from-step", "0", {0, kMaxInt}, G::kRun,
                       "Profile --profile-steps steps from this one (CPU operators and, on CUDA, kernels) into "
                       "<run-dir>/profile/trace.json (Chrome trace); 0 = no profile.",
                       SET_INT(train.run.profile_from_step)));
  t.push_back(float_flag("collective-timeout", "600", {1, 86400}, G::kRun,
                         "Seconds a rank of a multi-process run waits for its peers (rendezvous, gradient "
                         "reduction, barriers) before it fails naming the collective.",
                         SET_FLOAT(train.run.collective_timeout)));
  t.push_back(bool_flag("final-checkpoint", "true", G::kRun,
                        "Save a checkpoint when training reaches its end; false only for benchmark runs whose "
                        "final weights are not needed (they cannot be evaluated, exported or continued).",
                        SET_BOOL(train.run.final_checkpoint)));
  t.push_back(int_flag("profile-steps", "2", {1, 1000}, G::kRun, "Steps in the --profile-from-step window.",
                       SET_INT(train.run.profile_steps)));
  return t;
}

}  // namespace

const std::vector<FlagSpec>& flag_table() {
  static const std::vector<FlagSpec> table = build_table();
  return table;
}

}  // namespace moe::config
