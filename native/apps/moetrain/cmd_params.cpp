// `moetrain params`: closed-form parameter counts and training FLOPs per token.
#include <cstdio>
#include <ostream>

#include "cli.h"
#include "model/config.h"
#include "util/json_writer.h"
#include "util/strings.h"

namespace moe::cli {

namespace {

void row(std::ostream& out, const char* label, std::int64_t value) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "%-34s %18s  (%s)\n", label, util::group_thousands(value).c_str(),
                util::si_format(static_cast<double>(value), "B").c_str());
  out << buf;
}

}  // namespace

int run_params(const ParsedArgs& args, std::ostream& out) {
  const config::ResolvedConfig resolved = config::resolve_config(args.request);
  const model::ModelConfig& m = resolved.config.model;
  const model::ParamCounts p = model::count_parameters(m);
  const model::FlopsPerToken f = model::training_flops_per_token(m, resolved.config.train.training.seq_len);
  const char* formula = "6*N_active_with_embedding + 12*L*(k*G*D)*T/2";

  if (args.json) {
    util::JsonWriter json(out);
    json.begin_object();
    json.key("preset");
    if (resolved.preset.empty())
      json.null();
    else
      json.value(resolved.preset);
    json.key("params").begin_object();
    json.key("total").value(static_cast<long long>(p.total));
    json.key("active_non_embedding").value(static_cast<long long>(p.active_non_embedding));
    json.key("active_with_embedding").value(static_cast<long long>(p.active_with_embedding));
    json.key("embedding").value(static_cast<long long>(p.embedding));
    json.key("lm_head").value(static_cast<long long>(p.lm_head));
    json.key("per_layer").value(static_cast<long long>(p.per_layer));
    json.key("active_per_layer").value(static_cast<long long>(p.active_per_layer));
    json.end_object();
    json.key("flops_per_token").begin_object();
    json.key("seq_len").value(static_cast<long long>(f.seq_len));
    json.key("dense").value(f.dense);
    json.key("attention").value(f.attention);
    json.key("total").value(f.total);
    json.key("formula").value(formula);
    json.end_object();
    json.end_object();
    out << "\n";
    return kExitOk;
  }

  out << "model: " << (resolved.preset.empty() ? "custom" : resolved.preset) << " (V=" << m.vocab_size
      << " H=" << m.hidden_size << " L=" << m.num_layers << " G=" << m.num_kv_heads << " D=" << m.head_dim
      << " I=" << m.intermediate_size << " E=" << m.num_experts << " k=" << m.top_k
      << (m.tie_embeddings ? ", tied embeddings" : ", untied embeddings") << ")\n";
  row(out, "total parameters", p.total);
  row(out, "active per token, non-embedding", p.active_non_embedding);
  row(out, "active per token, with embedding", p.active_with_embedding);
  row(out, "per layer", p.per_layer);
  row(out, "active per layer", p.active_per_layer);
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "training FLOPs per token at seq-len %lld: %s = dense %s + attention %s\n"
                "  formula: %s\n",
                static_cast<long long>(f.seq_len), util::si_format(f.total).c_str(), util::si_format(f.dense).c_str(),
                util::si_format(f.attention).c_str(), formula);
  out << buf;
  return kExitOk;
}

}  // namespace moe::cli
