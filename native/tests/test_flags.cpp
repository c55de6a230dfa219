// Flag registry, value parsing, flags files, presets, precedence and
// combination checks of the configuration layer.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "config/flags.h"
#include "config/presets.h"
#include "config/run_config.h"
#include "test_helpers.h"

namespace moe::config {
namespace {

// Runs `fn` and returns the ConfigError it throws; fails the test if none.
template <typename Fn>
ConfigError expect_config_error(Fn&& fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a ConfigError";
  return ConfigError("", "", "");
}

ResolvedConfig resolve_cli(std::vector<std::pair<std::string, std::string>> flags) {
  ConfigRequest req;
  for (auto& [name, value] : flags) req.command_line.push_back({name, value, "command line"});
  return resolve_config(req);
}

TEST(FlagTable, NamesAreUniqueAndDefaultsParse) {
  std::set<std::string> names;
  for (const auto& spec : flag_table()) {
    EXPECT_TRUE(names.insert(spec.name).second) << "duplicate flag " << spec.name;
    EXPECT_NE(spec.apply, nullptr) << spec.name;
    EXPECT_FALSE(spec.help.empty()) << spec.name;
    EXPECT_NO_THROW(parse_flag_value(spec, spec.default_value)) << spec.name;
  }
}

TEST(FlagTable, DefaultsMatchTheConfigStructs) {
  // The registry is the source of defaults; the C++ structs must agree so code
  // that builds a config directly (tests, tools) means the same thing.
  const RunConfig from_flags = FlagSet().to_run_config();
  const model::ModelConfig m;
  const TrainConfig t;
  EXPECT_EQ(from_flags.model.vocab_size, m.vocab_size);
  EXPECT_EQ(from_flags.model.hidden_size, m.hidden_size);
  EXPECT_EQ(from_flags.model.num_layers, m.num_layers);
  EXPECT_EQ(from_flags.model.num_kv_heads, m.num_kv_heads);
  EXPECT_EQ(from_flags.model.head_dim, m.head_dim);
  EXPECT_EQ(from_flags.model.intermediate_size, m.intermediate_size);
  EXPECT_EQ(from_flags.model.num_experts, m.num_experts);
  EXPECT_EQ(from_flags.model.top_k, m.top_k);
  EXPECT_EQ(from_flags.model.max_seq_len, m.max_seq_len);
  EXPECT_EQ(from_flags.model.rope_theta, m.rope_theta);
  EXPECT_EQ(from_flags.model.rms_norm_eps, m.rms_norm_eps);
  EXPECT_EQ(from_flags.model.block_norm_eps, m.block_norm_eps);
  EXPECT_EQ(from_flags.model.tie_embeddings, m.tie_embeddings);
  EXPECT_EQ(from_flags.model.init_std, m.init_std);
  EXPECT_EQ(from_flags.model.aux_loss_coef, m.aux_loss_coef);
  EXPECT_EQ(from_flags.model.z_loss_coef, m.z_loss_coef);
  EXPECT_EQ(from_flags.model.expert_backend, m.expert_backend);
  EXPECT_EQ(from_flags.model.dtype, m.dtype);
  EXPECT_EQ(from_flags.train.training.seed, t.training.seed);
  EXPECT_EQ(from_flags.train.training.deterministic, t.training.deterministic);
  EXPECT_EQ(from_flags.train.training.device, t.training.device);
  EXPECT_EQ(from_flags.train.training.micro_batch_size, t.training.micro_batch_size);
  EXPECT_EQ(from_flags.train.training.grad_accum_steps, t.training.grad_accum_steps);
  EXPECT_EQ(from_flags.train.training.seq_len, t.training.seq_len);
  EXPECT_EQ(from_flags.train.training.max_steps, t.training.max_steps);
  EXPECT_EQ(from_flags.train.training.train_tokens, t.training.train_tokens);
  EXPECT_EQ(from_flags.train.schedule.lr, t.schedule.lr);
  EXPECT_EQ(from_flags.train.schedule.min_lr, t.schedule.min_lr);
  EXPECT_EQ(from_flags.train.schedule.warmup_steps, t.schedule.warmup_steps);
  EXPECT_EQ(from_flags.train.schedule.warmup_tokens, t.schedule.warmup_tokens);
  EXPECT_EQ(from_flags.train.schedule.decay_form, t.schedule.decay_form);
  EXPECT_EQ(from_flags.train.schedule.decay_steps, t.schedule.decay_steps);
  EXPECT_EQ(from_flags.train.schedule.decay_tokens, t.schedule.decay_tokens);
  EXPECT_EQ(from_flags.train.schedule.decay_start_steps, t.schedule.decay_start_steps);
  EXPECT_EQ(from_flags.train.schedule.decay_start_tokens, t.schedule.decay_start_tokens);
  EXPECT_EQ(from_flags.train.optim.weight_decay, t.optim.weight_decay);
  EXPECT_EQ(from_flags.train.optim.beta1, t.optim.beta1);
  EXPECT_EQ(from_flags.train.optim.beta2, t.optim.beta2);
  EXPECT_EQ(from_flags.train.optim.adam_eps, t.optim.adam_eps);
  EXPECT_EQ(from_flags.train.optim.clip_grad, t.optim.clip_grad);
  EXPECT_EQ(from_flags.train.data.source, t.data.source);
  EXPECT_EQ(from_flags.train.data.token_dtype, t.data.token_dtype);
  EXPECT_EQ(from_flags.train.data.val_every, t.data.val_every);
  EXPECT_EQ(from_flags.train.data.val_tokens, t.data.val_tokens);
  EXPECT_EQ(from_flags.train.run.log_every, t.run.log_every);
  EXPECT_EQ(from_flags.train.run.router_stats_every, t.run.router_stats_every);
  EXPECT_EQ(from_flags.train.run.checkpoint_every, t.run.checkpoint_every);
  EXPECT_EQ(from_flags.train.run.keep_checkpoints, t.run.keep_checkpoints);
  EXPECT_EQ(from_flags.train.run.resume, t.run.resume);
  EXPECT_EQ(from_flags.train.run.dir, t.run.dir);
  EXPECT_EQ(from_flags.train.run.max_consecutive_nonfinite, t.run.max_consecutive_nonfinite);
}

TEST(FlagTable, ChoicesMapOntoTheirEnums) {
  // Choice values are stored as enums by position; the enum names must agree.
  for (const std::string& c : find_flag("expert-backend")->choices) {
    EXPECT_EQ(model::to_string(resolve_cli({{"expert-backend", c}, {"dtype", "bfloat16"}}).config.model.expert_backend),
              c);
  }
  for (const std::string& c : find_flag("dtype")->choices) {
    EXPECT_EQ(model::to_string(resolve_cli({{"dtype", c}}).config.model.dtype), c);
  }
  for (const std::string& c : find_flag("device")->choices) {
    EXPECT_EQ(to_string(resolve_cli({{"device", c}}).config.train.training.device), c);
  }
  for (const std::string& c : find_flag("decay-form")->choices) {
    EXPECT_EQ(to_string(resolve_cli({{"decay-form", c}}).config.train.schedule.decay_form), c);
  }
  for (const std::string& c : find_flag("token-dtype")->choices) {
    EXPECT_EQ(to_string(resolve_cli({{"token-dtype", c}}).config.train.data.token_dtype), c);
  }
}

TEST(FlagValues, IntegersAcceptSuffixesAndScientificNotation) {
  const FlagSpec& spec = *find_flag("train-tokens");
  EXPECT_EQ(parse_flag_value(spec, "4096").int_value, 4096);
  EXPECT_EQ(parse_flag_value(spec, "10B").int_value, 10'000'000'000LL);
  EXPECT_EQ(parse_flag_value(spec, "1.25T").int_value, 1'250'000'000'000LL);
  EXPECT_EQ(parse_flag_value(spec, "250G").int_value, 250'000'000'000LL);
  EXPECT_EQ(parse_flag_value(spec, "1e4").int_value, 10000);
  EXPECT_EQ(parse_flag_value(spec, "16k").int_value, 16000);
  EXPECT_EQ(parse_flag_value(spec, "1e4").text, "10000");
  for (const char* bad : {"", "2.5", "12x", "ten", "1.5k5", "B"}) {
    const ConfigError e = expect_config_error([&] { parse_flag_value(spec, bad, "command line"); });
    EXPECT_EQ(e.flag(), "train-tokens") << bad;
    EXPECT_NE(std::string(e.what()).find("expects an integer"), std::string::npos) << e.what();
  }
}

TEST(FlagValues, RangesAreEnforcedWithTheFlagNamed) {
  const ConfigError low = expect_config_error([] { parse_flag_value(*find_flag("hidden-size"), "0"); });
  EXPECT_EQ(low.flag(), "hidden-size");
  EXPECT_NE(std::string(low.what()).find("[1, 1048576]"), std::string::npos) << low.what();
  // Open bounds: lr must be > 0, beta2 < 1.
  EXPECT_THROW(parse_flag_value(*find_flag("lr"), "0"), ConfigError);
  EXPECT_NO_THROW(parse_flag_value(*find_flag("lr"), "1e-9"));
  EXPECT_THROW(parse_flag_value(*find_flag("beta2"), "1"), ConfigError);
  EXPECT_NO_THROW(parse_flag_value(*find_flag("beta2"), "0.999999"));
  EXPECT_THROW(parse_flag_value(*find_flag("seed"), "-1"), ConfigError);
}

TEST(FlagValues, FloatsBoolsChoicesAndStrings) {
  EXPECT_DOUBLE_EQ(parse_flag_value(*find_flag("lr"), "5e-4").float_value, 5e-4);
  EXPECT_DOUBLE_EQ(parse_flag_value(*find_flag("lr"), "+0.5").float_value, 0.5);
  EXPECT_EQ(parse_flag_value(*find_flag("lr"), "5e-4").text, "5e-04");  // shortest round-trip form
  EXPECT_EQ(parse_flag_value(*find_flag("lr"), "0.003").text, "0.003");
  for (const char* bad : {"nan", "inf", "1e999", "0.1.2", "1,5"}) {
    EXPECT_THROW(parse_flag_value(*find_flag("lr"), bad), ConfigError) << bad;
  }
  EXPECT_TRUE(parse_flag_value(*find_flag("tie-embeddings"), "yes").bool_value);
  EXPECT_FALSE(parse_flag_value(*find_flag("tie-embeddings"), "0").bool_value);
  EXPECT_THROW(parse_flag_value(*find_flag("tie-embeddings"), "maybe"), ConfigError);

  const ConfigError choice = expect_config_error([] { parse_flag_value(*find_flag("expert-backend"), "grouped-mm"); });
  EXPECT_EQ(choice.flag(), "expert-backend");
  EXPECT_NE(std::string(choice.what()).find("auto, grouped, loop"), std::string::npos) << choice.what();

  EXPECT_THROW(parse_flag_value(*find_flag("data"), ""), ConfigError);
  EXPECT_NO_THROW(parse_flag_value(*find_flag("run-dir"), ""));
  EXPECT_TRUE(parse_flag_value(*find_flag("decay-start-steps"), "auto").is_auto);
  EXPECT_EQ(parse_flag_value(*find_flag("decay-start-steps"), "100").int_value, 100);
}

TEST(FlagNames, UnknownFlagSuggestsTheNearestName) {
  const ConfigError e = expect_config_error([] { check_flag_name("hidden-szie", "command line"); });
  EXPECT_EQ(e.flag(), "hidden-szie");
  EXPECT_NE(std::string(e.what()).find("did you mean --hidden-size?"), std::string::npos) << e.what();
  const ConfigError underscore = expect_config_error([] { check_flag_name("num_experts", "command line"); });
  EXPECT_NE(std::string(underscore.what()).find("--num-experts"), std::string::npos) << underscore.what();
  const ConfigError far = expect_config_error([] { check_flag_name("completely-different", ""); });
  EXPECT_EQ(std::string(far.what()).find("did you mean"), std::string::npos) << far.what();
  EXPECT_NO_THROW(check_flag_name("no-tie-embeddings", ""));
  EXPECT_THROW(check_flag_name("no-hidden-size", ""), ConfigError);
}

TEST(FlagSet, BareBooleansAndNegation) {
  FlagSet flags;
  flags.apply({"tie-embeddings", std::nullopt, "test"}, Source::kCommandLine);
  EXPECT_TRUE(flags.get("tie-embeddings").bool_value);
  flags.apply({"no-tie-embeddings", std::nullopt, "test"}, Source::kCommandLine);
  EXPECT_FALSE(flags.get("tie-embeddings").bool_value);
  EXPECT_THROW(flags.apply({"no-tie-embeddings", std::string("true"), "test"}, Source::kCommandLine), ConfigError);
  const ConfigError e = expect_config_error([&] {
    flags.apply({"hidden-size", std::nullopt, "test"}, Source::kCommandLine);
  });
  EXPECT_EQ(e.flag(), "hidden-size");
  EXPECT_NE(std::string(e.what()).find("needs a value"), std::string::npos);
}

TEST(FlagsFile, CommentsBlankLinesAndPositions) {
  const auto parsed =
      parse_flags_text("# comment\n\n  --hidden-size = 256  \n--no-tie-embeddings\r\n--data=a b#c\n", "flags file f");
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed[0].name, "hidden-size");
  EXPECT_EQ(*parsed[0].value, "256");
  EXPECT_EQ(parsed[0].origin, "flags file f:3");
  EXPECT_EQ(parsed[1].name, "no-tie-embeddings");
  EXPECT_FALSE(parsed[1].value.has_value());
  EXPECT_EQ(*parsed[2].value, "a b#c");  // only whole-line comments

  const ConfigError bad = expect_config_error([] { parse_flags_text("--lr=1\nlr=2\n", "flags file f"); });
  EXPECT_NE(std::string(bad.what()).find("f:2"), std::string::npos) << bad.what();
  const ConfigError meta = expect_config_error([] { parse_flags_text("--preset=jetmoe-8b\n", "flags file f"); });
  EXPECT_EQ(meta.flag(), "preset");
}

class PresetDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("presets");
    test::write_file(dir_ + "/base.flags", "--hidden-size=96\n--num-layers=3\n--lr=0.01\n--seq-len=128\n");
    flags_file_ = dir_ + "/run.flags";
    test::write_file(flags_file_, "# run settings\n--num-layers=5\n--lr=0.02\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_, flags_file_;
};

TEST_F(PresetDirTest, PrecedenceIsDefaultPresetFileCommandLine) {
  ConfigRequest req;
  req.presets_dir = dir_;
  req.preset = "base";
  req.flags_file = flags_file_;
  req.command_line.push_back({"lr", std::string("0.03"), "command line"});
  const ResolvedConfig r = resolve_config(req);
  EXPECT_EQ(r.config.model.hidden_size, 96);           // preset only
  EXPECT_EQ(r.config.model.num_layers, 5);             // file beats preset
  EXPECT_DOUBLE_EQ(r.config.train.schedule.lr, 0.03);  // command line beats both
  EXPECT_EQ(r.config.model.num_experts, 8);            // default
  EXPECT_EQ(r.flags.get("hidden-size").source, Source::kPreset);
  EXPECT_EQ(r.flags.get("num-layers").source, Source::kFlagsFile);
  EXPECT_EQ(r.flags.get("lr").source, Source::kCommandLine);
  EXPECT_EQ(r.flags.get("num-experts").source, Source::kDefault);
  EXPECT_EQ(r.preset, "base");
}

TEST_F(PresetDirTest, UnknownAndMalformedPresetNames) {
  ConfigRequest req;
  req.presets_dir = dir_;
  req.preset = "bsae";
  ConfigError e = expect_config_error([&] { resolve_config(req); });
  EXPECT_EQ(e.flag(), "preset");
  EXPECT_NE(std::string(e.what()).find("did you mean base?"), std::string::npos) << e.what();
  req.preset = "../etc/passwd";
  e = expect_config_error([&] { resolve_config(req); });
  EXPECT_NE(std::string(e.what()).find("not a preset name"), std::string::npos) << e.what();
  req.preset = "base";
  req.presets_dir = dir_ + "/missing";
  e = expect_config_error([&] { resolve_config(req); });
  EXPECT_EQ(e.flag(), "presets-dir");
}

TEST_F(PresetDirTest, ErrorsInFilesNameFileAndLine) {
  test::write_file(flags_file_, "--num-layers=5\n--num-layres=6\n");
  ConfigRequest req;
  req.flags_file = flags_file_;
  ConfigError e = expect_config_error([&] { resolve_config(req); });
  EXPECT_EQ(e.flag(), "num-layres");
  EXPECT_NE(std::string(e.what()).find("run.flags:2"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("--num-layers"), std::string::npos) << e.what();
  req.flags_file = dir_ + "/absent.flags";
  e = expect_config_error([&] { resolve_config(req); });
  EXPECT_EQ(e.flag(), "flags-file");
}

TEST(Combinations, InconsistentSettingsNameTheFlagToChange) {
  struct Case {
    std::vector<std::pair<std::string, std::string>> flags;
    std::string flag;
  };
  const std::vector<Case> cases = {
      {{{"top-k", "9"}}, "top-k"},
      {{{"head-dim", "15"}}, "head-dim"},
      {{{"seq-len", "8192"}}, "seq-len"},
      {{{"max-steps", "0"}}, "max-steps"},
      {{{"train-tokens", "1B"}}, "train-tokens"},
      {{{"warmup-steps", "10"}, {"warmup-tokens", "10"}}, "warmup-tokens"},
      {{{"decay-steps", "10"}, {"decay-tokens", "10"}}, "decay-tokens"},
      {{{"decay-start-steps", "10"}, {"decay-start-tokens", "10"}}, "decay-start-tokens"},
      {{{"min-lr", "0.1"}, {"lr", "0.01"}}, "min-lr"},
      {{{"decay-steps", "10"}, {"min-lr", "0"}}, "min-lr"},
      {{{"warmup-steps", "600"}, {"decay-steps", "500"}}, "decay-steps"},
      {{{"decay-start-steps", "2000"}}, "decay-start-steps"},
      {{{"max-steps", "0"}, {"train-tokens", "1M"}, {"warmup-tokens", "2M"}}, "warmup-tokens"},
      {{{"max-steps", "0"}, {"train-tokens", "1M"}, {"warmup-tokens", "600k"}, {"decay-tokens", "500k"}},
       "decay-tokens"},
      {{{"val-every", "100"}}, "val-tokens"},
      {{{"data", "tokens.bin"}, {"vocab-size", "100000"}}, "token-dtype"},
      {{{"expert-backend", "grouped"}, {"intermediate-size", "100"}}, "expert-backend"},
  };
  for (const auto& c : cases) {
    const ConfigError e = expect_config_error([&] { resolve_cli(c.flags); });
    EXPECT_EQ(e.flag(), c.flag) << e.what();
    EXPECT_FALSE(e.fix().empty()) << e.what();
  }
  // And their consistent neighbours pass.
  EXPECT_NO_THROW(resolve_cli({{"top-k", "8"}}));
  EXPECT_NO_THROW(resolve_cli({{"decay-steps", "10"}, {"decay-form", "linear"}, {"min-lr", "0"}}));
  EXPECT_NO_THROW(resolve_cli({{"data", "tokens.bin"}, {"vocab-size", "100000"}, {"token-dtype", "uint32"}}));
  EXPECT_NO_THROW(resolve_cli({{"max-steps", "0"}, {"train-tokens", "1M"}, {"warmup-tokens", "100k"}}));
}

TEST(Presets, ShippedPresetsResolveAndMatchTheSpec) {
  const std::vector<std::string> names = list_presets(MOETRAIN_TEST_PRESETS_DIR);
  for (const char* expected : {"jetmoe-8b", "jetmoe-small", "jetmoe-tiny"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
  for (const auto& name : names) {
    ConfigRequest req;
    req.presets_dir = MOETRAIN_TEST_PRESETS_DIR;
    req.preset = name;
    EXPECT_NO_THROW(resolve_config(req)) << name;
  }
  ConfigRequest req;
  req.presets_dir = MOETRAIN_TEST_PRESETS_DIR;
  req.preset = "jetmoe-8b";
  const RunConfig c = resolve_config(req).config;
  EXPECT_EQ(c.model.vocab_size, 32000);
  EXPECT_EQ(c.model.hidden_size, 2048);
  EXPECT_EQ(c.model.num_layers, 24);
  EXPECT_EQ(c.model.num_kv_heads, 16);
  EXPECT_EQ(c.model.head_dim, 128);
  EXPECT_EQ(c.model.intermediate_size, 5632);
  EXPECT_EQ(c.model.num_experts, 8);
  EXPECT_EQ(c.model.top_k, 2);
  EXPECT_EQ(c.train.training.seq_len, 4096);
  EXPECT_DOUBLE_EQ(c.model.rms_norm_eps, 1e-5);
  EXPECT_DOUBLE_EQ(c.model.block_norm_eps, 1e-6);
  EXPECT_TRUE(c.model.tie_embeddings);
  EXPECT_DOUBLE_EQ(c.train.schedule.lr, 5e-4);
  EXPECT_DOUBLE_EQ(c.train.schedule.min_lr, 5e-5);
  EXPECT_DOUBLE_EQ(c.train.optim.weight_decay, 0.1);
  EXPECT_DOUBLE_EQ(c.train.optim.clip_grad, 1.0);
  EXPECT_EQ(c.train.training.train_tokens, 1'250'000'000'000LL);
  EXPECT_EQ(c.train.schedule.warmup_tokens, 10'000'000'000LL);
  EXPECT_EQ(c.train.schedule.decay_tokens, 250'000'000'000LL);
  EXPECT_EQ(c.train.schedule.decay_form, DecayForm::kExponential);
}

}  // namespace
}  // namespace moe::config
