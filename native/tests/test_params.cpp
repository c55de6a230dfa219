// Parameter counts: the closed-form numbers for JetMoE-8B (published figures,
// docs/model.md, Parameter counts) and a cross-check against real modules.
#include <gtest/gtest.h>

#include <string>

#include "model/config.h"
#include "model/transformer.h"
#include "test_helpers.h"

namespace moe::model {
namespace {

ModelConfig jetmoe_8b() {
  ModelConfig c;  // vocab 32000, H 2048, G 16, D 128, I 5632, E 8, k 2
  c.num_layers = 24;
  c.rms_norm_eps = 1e-5;
  return c;
}

TEST(ParamCounts, JetMoe8BMatchesThePublishedCounts) {
  const ParamCounts p = count_parameters(jetmoe_8b());
  EXPECT_EQ(p.per_layer, 352'362'496);
  EXPECT_EQ(p.total, 8'522'237'952);
  EXPECT_EQ(p.active_per_layer, 94'412'800);
  EXPECT_EQ(p.active_non_embedding, 2'265'909'248);
  EXPECT_EQ(p.active_with_embedding, 2'331'445'248);
  EXPECT_EQ(p.embedding, 65'536'000);
  EXPECT_EQ(p.lm_head, 0);

  ModelConfig untied = jetmoe_8b();
  untied.tie_embeddings = false;
  EXPECT_EQ(count_parameters(untied).total, 8'587'773'952);
}

TEST(ParamCounts, FlopsPerTokenFollowTheDocumentedFormula) {
  const ModelConfig c = jetmoe_8b();
  const FlopsPerToken f = training_flops_per_token(c, 4096);
  EXPECT_DOUBLE_EQ(f.dense, 6.0 * 2'331'445'248.0);
  // 12 * L * (k*G*D) * T / 2 with the causal discount.
  EXPECT_DOUBLE_EQ(f.attention, 12.0 * 24 * (2 * 16 * 128) * 4096 / 2);
  EXPECT_DOUBLE_EQ(f.total, f.dense + f.attention);
  EXPECT_DOUBLE_EQ(training_flops_per_token(c, 2048).attention, f.attention / 2);
}

// Active parameters measured on a module: expert weights [E, ...] count k/E of
// their size, the embedding is excluded (it is added back as the output
// projection in active_with_embedding).
std::int64_t measured_active_non_embedding(const JetMoeCausalLMImpl& model) {
  const ModelConfig& c = model.config();
  std::int64_t active = 0;
  for (const auto& item : model.named_parameters()) {
    const std::string& name = item.key();
    const at::Tensor& p = item.value();
    if (name == "model.embed_tokens.weight" || name == "lm_head.weight") continue;
    const bool expert =
        name.find("input_linear.weight") != std::string::npos || name.find("output_linear.weight") != std::string::npos;
    active += expert ? p.numel() / c.num_experts * c.top_k : p.numel();
  }
  return active;
}

TEST(ParamCounts, FormulaMatchesConstructedModules) {
  std::vector<ModelConfig> configs;
  configs.push_back(test::small_config());
  ModelConfig untied = test::small_config();
  untied.tie_embeddings = false;
  configs.push_back(untied);
  ModelConfig wide = test::small_config();
  wide.num_layers = 3;
  wide.num_kv_heads = 3;
  wide.head_dim = 8;
  wide.num_experts = 5;
  wide.top_k = 3;
  wide.intermediate_size = 40;
  wide.vocab_size = 77;
  configs.push_back(wide);
  ModelConfig single = test::small_config();
  single.num_experts = 1;
  single.top_k = 1;
  configs.push_back(single);

  for (const ModelConfig& c : configs) {
    const JetMoeCausalLM model(c);
    const ParamCounts p = count_parameters(c);
    EXPECT_EQ(p.total, count_module_parameters(*model)) << "E=" << c.num_experts << " tied=" << c.tie_embeddings;
    EXPECT_EQ(p.active_non_embedding, measured_active_non_embedding(*model)) << "E=" << c.num_experts;
    EXPECT_EQ(p.active_with_embedding, p.active_non_embedding + c.vocab_size * c.hidden_size);
  }
}

}  // namespace
}  // namespace moe::model
