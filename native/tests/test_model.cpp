// The JetMoE model: Hugging Face parameter names and shapes, initialisation,
// output shapes, causality, loss definitions, router statistics, bf16, and that
// it can fit a batch.
#include <gtest/gtest.h>

#include <torch/optim/adam.h>

#include <filesystem>
#include <map>

#include "model/transformer.h"
#include "model/weights_io.h"
#include "test_helpers.h"

namespace moe::model {
namespace {

using Shape = std::vector<std::int64_t>;

std::map<std::string, Shape> expected_hf_parameters(const ModelConfig& c) {
  const std::int64_t V = c.vocab_size, H = c.hidden_size, E = c.num_experts, I = c.intermediate_size;
  const std::int64_t A = c.attention_dim();
  std::map<std::string, Shape> p;
  p["model.embed_tokens.weight"] = {V, H};
  p["model.norm.weight"] = {H};
  for (std::int64_t i = 0; i < c.num_layers; ++i) {
    const std::string l = "model.layers." + std::to_string(i) + ".";
    p[l + "input_layernorm.weight"] = {H};
    p[l + "self_attention.kv_proj.weight"] = {2 * A, H};
    p[l + "self_attention.experts.router.layer.weight"] = {E, H};
    p[l + "self_attention.experts.input_linear.weight"] = {E, A, H};
    p[l + "self_attention.experts.output_linear.weight"] = {E, H, A};
    p[l + "self_attention.experts.bias"] = {H};
    p[l + "post_attention_layernorm.weight"] = {H};
    p[l + "mlp.router.layer.weight"] = {E, H};
    p[l + "mlp.input_linear.weight"] = {E, 2 * I, H};
    p[l + "mlp.output_linear.weight"] = {E, H, I};
    p[l + "mlp.bias"] = {H};
  }
  if (!c.tie_embeddings) p["lm_head.weight"] = {V, H};
  return p;
}

std::map<std::string, Shape> actual_parameters(const torch::nn::Module& m) {
  std::map<std::string, Shape> p;
  for (const auto& item : m.named_parameters()) p[item.key()] = item.value().sizes().vec();
  return p;
}

TEST(ModelLayout, ParameterNamesAndShapesMatchHuggingFace) {
  ModelConfig c = test::small_config();
  EXPECT_EQ(actual_parameters(*JetMoeCausalLM(c)), expected_hf_parameters(c));
  EXPECT_EQ(expected_hf_parameters(c).size(), static_cast<std::size_t>(11 * c.num_layers + 2));
  c.tie_embeddings = false;
  EXPECT_EQ(actual_parameters(*JetMoeCausalLM(c)), expected_hf_parameters(c));
  EXPECT_TRUE(JetMoeCausalLM(c)->named_buffers().is_empty());
}

TEST(ModelInit, NormalWeightsZeroBiasesUnitNorms) {
  torch::manual_seed(0);
  ModelConfig c = test::small_config();
  c.init_std = 0.02;
  c.tie_embeddings = false;
  const JetMoeCausalLM model(c);
  for (const auto& item : model->named_parameters()) {
    const std::string& name = item.key();
    const at::Tensor p = item.value().detach().to(at::kDouble);
    if (name.find("norm.weight") != std::string::npos) {
      EXPECT_TRUE(p.eq(1).all().item<bool>()) << name;
    } else if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0) {
      EXPECT_TRUE(p.eq(0).all().item<bool>()) << name;
    } else {
      EXPECT_NEAR(p.std().item<double>(), 0.02, 0.02 * 0.15) << name;
      EXPECT_NEAR(p.mean().item<double>(), 0.0, 0.02 * 0.15) << name;
    }
  }
}

class SmallModel : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(7);
    config_ = test::small_config();
    model_ = JetMoeCausalLM(config_);
    // Non-trivial norms and biases, so their handling is visible in outputs.
    torch::NoGradGuard no_grad;
    for (auto& p : model_->parameters()) {
      if (p.dim() == 1) p.add_(at::randn_like(p) * 0.1);
    }
  }
  ModelConfig config_;
  JetMoeCausalLM model_{nullptr};
};

TEST_F(SmallModel, OutputsHaveTheDocumentedShapes) {
  const at::Tensor ids = at::randint(0, config_.vocab_size, {3, 20}, at::kLong);
  const CausalLMOutput out = model_->forward(ids, ids);
  EXPECT_EQ(out.logits.sizes(), (Shape{3, 20, config_.vocab_size}));
  EXPECT_EQ(out.lm_loss.dim(), 0);
  EXPECT_EQ(out.router_loss.dim(), 0);
  EXPECT_EQ(out.num_label_tokens.item<std::int64_t>(), 3 * 19);
  EXPECT_TRUE(std::isfinite(out.loss.item<double>()));
  ASSERT_EQ(out.router_stats.size(), static_cast<std::size_t>(2 * config_.num_layers));
  for (std::size_t i = 0; i < out.router_stats.size(); ++i) {
    const RouterStats& s = out.router_stats[i];
    EXPECT_EQ(s.layer, static_cast<std::int64_t>(i / 2));
    EXPECT_EQ(s.kind, i % 2 == 0 ? RouterKind::kAttention : RouterKind::kMlp);
    EXPECT_EQ(s.counts.sum().item<std::int64_t>(), 3 * 20 * config_.top_k);
    EXPECT_EQ(s.counts.numel(), config_.num_experts);
    EXPECT_NEAR(s.importance.sum().item<double>(), 1.0, 1e-5);
  }
  // Without labels: logits and router loss only.
  const CausalLMOutput no_labels = model_->forward(ids);
  EXPECT_FALSE(no_labels.lm_loss.defined());
  EXPECT_FALSE(no_labels.loss.defined());
  EXPECT_LT(test::max_abs_diff(no_labels.logits, out.logits), 1e-6);
}

TEST_F(SmallModel, LossesFollowTheirDefinitions) {
  const at::Tensor ids = at::randint(0, config_.vocab_size, {2, 16}, at::kLong);
  at::Tensor labels = ids.clone();
  labels.index_put_({0, at::indexing::Slice(3, 9)}, kIgnoreIndex);
  const CausalLMOutput out = model_->forward(ids, labels);

  // Mean cross-entropy of logits[t] against labels[t+1], skipping -100.
  double total = 0;
  std::int64_t count = 0;
  const at::Tensor logp = at::log_softmax(out.logits.to(at::kDouble), -1);
  for (std::int64_t b = 0; b < 2; ++b) {
    for (std::int64_t t = 0; t + 1 < 16; ++t) {
      const std::int64_t target = labels[b][t + 1].item<std::int64_t>();
      if (target == kIgnoreIndex) continue;
      total -= logp[b][t][target].item<double>();
      ++count;
    }
  }
  EXPECT_EQ(out.num_label_tokens.item<std::int64_t>(), count);
  EXPECT_NEAR(out.lm_loss.item<double>(), total / count, 1e-5);

  // Router loss: coefficient times the sum over all 2L routers.
  double routers = 0;
  for (const auto& s : out.router_stats) {
    routers += s.balance_loss.item<double>() + config_.z_loss_coef * s.z_loss.item<double>();
  }
  EXPECT_NEAR(out.router_loss.item<double>(), config_.aux_loss_coef * routers, 1e-6);
  EXPECT_NEAR(out.loss.item<double>(), out.lm_loss.item<double>() + out.router_loss.item<double>(), 1e-6);
}

TEST_F(SmallModel, FutureTokensDoNotChangeEarlierLogits) {
  const at::Tensor ids = at::randint(0, config_.vocab_size, {1, 24}, at::kLong);
  at::Tensor changed = ids.clone();
  changed.index_put_({0, at::indexing::Slice(12, 24)}, (ids.index({0, at::indexing::Slice(12, 24)}) + 1) % 128);
  const at::Tensor a = model_->forward(ids).logits;
  const at::Tensor b = model_->forward(changed).logits;
  EXPECT_LT(test::max_abs_diff(a.narrow(1, 0, 12), b.narrow(1, 0, 12)), 1e-6);
  EXPECT_GT(test::max_abs_diff(a.narrow(1, 12, 12), b.narrow(1, 12, 12)), 1e-3);
}

TEST_F(SmallModel, SequencesInABatchAreIndependent) {
  const at::Tensor ids = at::randint(0, config_.vocab_size, {3, 16}, at::kLong);
  const at::Tensor batched = model_->forward(ids).logits;
  for (std::int64_t b = 0; b < 3; ++b) {
    const at::Tensor alone = model_->forward(ids.narrow(0, b, 1)).logits;
    EXPECT_LT(test::max_abs_diff(alone, batched.narrow(0, b, 1)), 1e-5) << b;
  }
}

TEST_F(SmallModel, TiedOutputProjectionIsTheEmbedding) {
  EXPECT_TRUE(model_->output_weight().is_same(model_->model->embed_tokens->weight));
  ModelConfig untied = config_;
  untied.tie_embeddings = false;
  JetMoeCausalLM m(untied);
  EXPECT_TRUE(m->output_weight().is_same(m->lm_head->weight));
}

TEST_F(SmallModel, RejectsBadInputs) {
  EXPECT_THROW(model_->forward(at::zeros({4}, at::kLong)), c10::Error);
  EXPECT_THROW(model_->forward(at::zeros({1, config_.max_seq_len + 1}, at::kLong)), c10::Error);
  EXPECT_THROW(model_->forward(at::zeros({1, 4}, at::kInt)), c10::Error);
}

TEST_F(SmallModel, RunsInBfloat16) {
  model_->to(at::kBFloat16);
  const at::Tensor ids = at::randint(0, config_.vocab_size, {2, 12}, at::kLong);
  const CausalLMOutput out = model_->forward(ids, ids);
  EXPECT_EQ(out.logits.scalar_type(), at::kBFloat16);
  EXPECT_EQ(out.lm_loss.scalar_type(), at::kFloat);
  EXPECT_EQ(out.router_loss.scalar_type(), at::kFloat);
  EXPECT_TRUE(std::isfinite(out.loss.item<double>()));
  out.loss.backward();
  EXPECT_TRUE(model_->model->embed_tokens->weight.grad().defined());
}

TEST_F(SmallModel, FitsOneBatch) {
  const at::Tensor ids = at::randint(0, config_.vocab_size, {2, 24}, at::kLong);
  torch::optim::Adam opt(model_->parameters(), torch::optim::AdamOptions(1e-2));
  double first = 0, last = 0;
  for (int step = 0; step < 25; ++step) {
    opt.zero_grad();
    const CausalLMOutput out = model_->forward(ids, ids);
    out.loss.backward();
    opt.step();
    if (step == 0) first = out.lm_loss.item<double>();
    last = out.lm_loss.item<double>();
  }
  EXPECT_LT(last, 0.5 * first) << "first " << first << " last " << last;
}

TEST(WeightsIO, RoundTripAndStrictNames) {
  torch::manual_seed(9);
  const std::string dir = test::make_temp_dir("weights");
  const std::string path = dir + "/w.pt";
  const ModelConfig c = test::small_config();
  JetMoeCausalLM a(c), b(c);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& p : a->named_parameters()) tensors.emplace_back(p.key(), p.value());
  save_tensor_dict(path, tensors);
  const TensorDict loaded = load_tensor_dict(path);
  ASSERT_EQ(loaded.size(), tensors.size());
  load_parameters(*b, loaded);
  for (const auto& p : a->named_parameters()) {
    EXPECT_TRUE(p.value().equal(b->named_parameters()[p.key()])) << p.key();
  }

  TensorDict broken = loaded;
  broken.erase("model.norm.weight");
  broken["model.extra.weight"] = at::zeros({1});
  broken["model.layers.0.mlp.bias"] = at::zeros({3});
  try {
    load_parameters(*b, broken);
    ADD_FAILURE() << "expected a mismatch error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("missing: model.norm.weight"), std::string::npos) << msg;
    EXPECT_NE(msg.find("unexpected: model.extra.weight"), std::string::npos) << msg;
    EXPECT_NE(msg.find("shape mismatch: model.layers.0.mlp.bias"), std::string::npos) << msg;
  }
  EXPECT_NO_THROW(load_parameters(*b,
                                  [&] {
                                    TensorDict extra = loaded;
                                    extra["lm_head.weight"] = at::zeros({1});
                                    return extra;
                                  }(),
                                  {"lm_head.weight"}));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace moe::model
