// Data mixtures and checkpoint retention: --data-mix parsing and its errors,
// the mixture loader's proportions, determinism, resumable per-source cursors,
// rank split and phase switch, and the retention rules as a pure function.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "checkpoint/retention.h"
#include "config/config_error.h"
#include "config/mix_spec.h"
#include "config/run_config.h"
#include "data/data_setup.h"
#include "data/loader.h"
#include "data/synthetic.h"
#include "test_helpers.h"
#include "util/fs.h"

namespace moe {
namespace {

using config::ConfigError;
using config::parse_data_mix;

// ---- --data-mix syntax ----

TEST(MixSpec, ParsesAndNormalisesWeights) {
  const auto mix = parse_data_mix("synthetic:arithmetic=3, synthetic:copy=1,/data/a=b.bin=4", "data-mix");
  ASSERT_EQ(mix.size(), 3u);
  EXPECT_EQ(mix[0].name, "synthetic:arithmetic");
  EXPECT_TRUE(mix[0].synthetic);
  EXPECT_EQ(mix[0].domain, 0);
  EXPECT_DOUBLE_EQ(mix[0].weight, 0.375);
  EXPECT_EQ(mix[1].domain, 2);
  EXPECT_EQ(mix[2].name, "/data/a=b.bin") << "the last '=' separates the weight";
  EXPECT_FALSE(mix[2].synthetic);
  EXPECT_DOUBLE_EQ(mix[2].weight, 0.5);
}

TEST(MixSpec, RejectsBadMixturesNamingTheFlag) {
  struct Case {
    const char* text;
    const char* needle;
  };
  for (const Case& c :
       {Case{"", "empty"}, Case{"synthetic:copy", "not source=weight"}, Case{"synthetic:copy=0", "positive"},
        Case{"synthetic:copy=-1", "positive"}, Case{"synthetic:copy=abc", "positive"},
        Case{"synthetic:copy=nan", "positive"}, Case{"synthetic:cpy=1", "did you mean synthetic:copy"},
        Case{"synthetic=1", "names the whole corpus"}, Case{"synthetic:copy=1,synthetic:copy=2", "twice"},
        Case{"=1", "not source=weight"}}) {
    try {
      parse_data_mix(c.text, "data-mix-phase2");
      ADD_FAILURE() << "accepted '" << c.text << "'";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.flag(), "data-mix-phase2") << c.text;
      EXPECT_NE(std::string(e.what()).find(c.needle), std::string::npos) << c.text << ": " << e.what();
      EXPECT_FALSE(e.fix().empty()) << c.text;
    }
  }
}

TEST(MixSpec, CombinationsAreChecked) {
  config::RunConfig c;
  c.train.data.mix = "synthetic:copy=1";
  c.train.data.source = "/x/tokens.bin";
  try {
    config::validate_combinations(c);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.flag(), "data-mix");
  }
  c.train.data.source = "synthetic";
  c.train.data.phase2_start_steps = 5;
  try {
    config::validate_combinations(c);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.flag(), "phase2-start-steps") << "a start without a phase-2 mixture";
  }
  c.train.data.mix_phase2 = "synthetic:dyck=1";
  c.train.data.phase2_start_steps = c.train.training.max_steps + 1;
  try {
    config::validate_combinations(c);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.flag(), "phase2-start-steps") << "a start after the last step";
  }
  c.train.data.phase2_start_steps = 5;
  EXPECT_NO_THROW(config::validate_combinations(c));
}

// ---- the mixture loader ----

using data::DataLoader;
using data::MixPhase;
using data::MixSource;
using data::SyntheticCorpus;

MixSource synthetic_source(const std::string& domain_name, double weight, std::int64_t seq_len = 8) {
  const auto& names = data::synthetic_domain_names();
  const int d = static_cast<int>(std::find(names.begin(), names.end(), domain_name) - names.begin());
  return MixSource{"synthetic:" + domain_name, std::make_shared<SyntheticCorpus>(3, seq_len, data::Split::kTrain, d),
                   weight, std::hash<std::string>()(domain_name) | 1};
}

std::map<std::string, std::int64_t> count_sources(DataLoader& loader, int batches) {
  std::map<std::string, std::int64_t> counts;
  for (int i = 0; i < batches; ++i) {
    const data::MicroBatch b = loader.next();
    for (std::int64_t r = 0; r < b.rows; ++r) {
      const int s = b.sources[static_cast<std::size_t>(r)];
      ++counts[loader.source_names()[static_cast<std::size_t>(s)]];
      // Every row comes from the domain its source names.
      EXPECT_EQ("synthetic:" +
                    data::synthetic_domain_names()[static_cast<std::size_t>(b.domains[static_cast<std::size_t>(r)])],
                loader.source_names()[static_cast<std::size_t>(s)]);
    }
  }
  return counts;
}

TEST(Mixture, ProportionsMatchTheWeights) {
  DataLoader loader(
      {{synthetic_source("arithmetic", 0.6), synthetic_source("dyck", 0.3), synthetic_source("copy", 0.1)}}, 8, 0, 1,
      11);
  const auto counts = count_sources(loader, 1000);  // 8000 sequences
  const double n = 8000;
  for (const auto& [name, p] : std::vector<std::pair<std::string, double>>{
           {"synthetic:arithmetic", 0.6}, {"synthetic:dyck", 0.3}, {"synthetic:copy", 0.1}}) {
    const double sd = std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(static_cast<double>(counts.at(name)) / n, p, 4 * sd) << name;
  }
  const data::LoaderState s = loader.state();
  EXPECT_EQ(s.cursor, 8000);
  EXPECT_EQ(s.sources.at("synthetic:arithmetic") + s.sources.at("synthetic:dyck") + s.sources.at("synthetic:copy"),
            8000);
}

TEST(Mixture, SameSeedSameSequencesOtherSeedOthers) {
  const auto make = [](std::uint64_t seed) {
    return DataLoader({{synthetic_source("arithmetic", 0.5), synthetic_source("grammar", 0.5)}}, 4, 0, 1, seed);
  };
  DataLoader a = make(5), b = make(5), c = make(6);
  int differ = 0;
  for (int i = 0; i < 20; ++i) {
    const auto x = a.next(), y = b.next(), z = c.next();
    EXPECT_EQ(x.tokens, y.tokens);
    EXPECT_EQ(x.sources, y.sources);
    differ += x.sources != z.sources;
  }
  EXPECT_GT(differ, 10) << "the seed does not change the source draws";
}

TEST(Mixture, RestoredStateContinuesExactly) {
  const auto make = [] {
    return DataLoader({{synthetic_source("arithmetic", 0.7), synthetic_source("copy", 0.3)},
                       {synthetic_source("dyck", 0.5), synthetic_source("copy", 0.5)}},
                      4, 0, 1, 21);
  };
  DataLoader straight = make();
  for (int i = 0; i < 7; ++i) straight.next();
  const data::LoaderState saved = straight.state();
  straight.set_phase(1);
  std::vector<std::vector<std::int64_t>> want;
  for (int i = 0; i < 5; ++i) want.push_back(straight.next().tokens);

  DataLoader resumed = make();
  resumed.restore(saved);
  resumed.set_phase(1);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(resumed.next().tokens, want[static_cast<std::size_t>(i)]) << i;
  EXPECT_EQ(resumed.state().sources, straight.state().sources);
}

TEST(Mixture, PhaseTwoReadsOnlyItsSourcesAndContinuesSharedCursors) {
  DataLoader loader({{synthetic_source("arithmetic", 0.5), synthetic_source("copy", 0.5)},
                     {synthetic_source("copy", 0.25), synthetic_source("grammar", 0.75)}},
                    4, 0, 1, 8);
  const auto before = count_sources(loader, 50);
  EXPECT_EQ(before.count("synthetic:grammar"), 0u);
  const std::int64_t copy_cursor = loader.state().sources.at("synthetic:copy");
  ASSERT_GT(copy_cursor, 0);
  // The first copy sequence of phase 2 is the one phase 1 would have read next.
  std::vector<std::int64_t> expected(8);
  SyntheticCorpus(3, 8, data::Split::kTrain, 2).read(copy_cursor, expected.data());
  loader.set_phase(1);
  bool checked = false;
  std::map<std::string, std::int64_t> after;
  for (int i = 0; i < 50; ++i) {
    const data::MicroBatch b = loader.next();
    for (std::int64_t r = 0; r < b.rows; ++r) {
      const std::string& name = loader.source_names()[static_cast<std::size_t>(b.sources[static_cast<std::size_t>(r)])];
      ++after[name];
      if (name == "synthetic:copy" && !checked) {
        EXPECT_EQ(std::vector<std::int64_t>(b.tokens.begin() + r * 8, b.tokens.begin() + (r + 1) * 8), expected);
        checked = true;
      }
    }
  }
  EXPECT_TRUE(checked);
  EXPECT_EQ(after.count("synthetic:arithmetic"), 0u) << "phase 2 read a phase-1-only source";
  EXPECT_GT(after.at("synthetic:grammar"), after.at("synthetic:copy"));
}

TEST(Mixture, RanksSplitTheGlobalBatchAndAgreeOnCursors) {
  const auto phases = std::vector<MixPhase>{{synthetic_source("arithmetic", 0.5), synthetic_source("dyck", 0.5)}};
  DataLoader single(phases, 4, 0, 1, 2), r0(phases, 2, 0, 2, 2), r1(phases, 2, 1, 2, 2);
  for (int i = 0; i < 10; ++i) {
    const auto whole = single.next(), a = r0.next(), b = r1.next();
    std::vector<std::int64_t> joined = a.tokens;
    joined.insert(joined.end(), b.tokens.begin(), b.tokens.end());
    EXPECT_EQ(joined, whole.tokens) << "rank r reads rows [r*B, (r+1)*B) of the global micro-batch";
  }
  EXPECT_EQ(r0.state().sources, single.state().sources);
  EXPECT_EQ(r1.state().sources, single.state().sources);
}

TEST(Mixture, SingleSourcePhaseKeepsThePlainLoaderOrder) {
  auto source = std::make_shared<SyntheticCorpus>(4, 8, data::Split::kTrain);
  DataLoader plain(source, 3, 0, 1, 4);
  DataLoader phased(std::vector<MixPhase>{{MixSource{"synthetic", source, 1.0, 0}}}, 3, 0, 1, 4);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(plain.next().tokens, phased.next().tokens);
  // An older checkpoint has only the global cursor.
  DataLoader restored(std::vector<MixPhase>{{MixSource{"synthetic", source, 1.0, 0}}}, 3, 0, 1, 4);
  restored.restore({15, {}});
  EXPECT_EQ(restored.next().tokens, plain.next().tokens);
}

TEST(Mixture, PlainDataFileInPhaseTwoIsTheSameSource) {
  const std::string dir = test::make_temp_dir("mix");
  const std::string path = dir + "/tokens.bin";
  {
    std::ofstream out(path, std::ios::binary);
    for (std::uint16_t t = 0; t < 8 * 20; ++t) out.write(reinterpret_cast<const char*>(&t), 2);
  }
  config::RunConfig c;
  c.model.vocab_size = 256;
  c.model.max_seq_len = 8;
  c.train.training.seq_len = 8;
  c.train.data.val_tokens = 8;
  c.train.data.source = path;
  c.train.data.mix_phase2 = path + "=1,synthetic:copy=3";
  const data::DataSetup d = data::open_data(c);
  ASSERT_EQ(d.phases.size(), 2u);
  EXPECT_EQ(d.phases[1][0].source, d.phases[0][0].source) << "phase 2 continues the same windows";
  EXPECT_EQ(d.phases[1][0].salt, d.phases[0][0].salt) << "in the same order";
  EXPECT_DOUBLE_EQ(d.phases[1][1].weight, 0.75);
  ASSERT_EQ(d.val_parts.size(), 2u);
  EXPECT_EQ(d.val_parts[0].name, path);
  EXPECT_EQ(d.val_parts[1].name, "synthetic:copy");
  EXPECT_TRUE(d.by_source);
  EXPECT_EQ(d.phases[0][0].source->size(), 19) << "one window held out for validation";
  util::remove_tree(dir);
}

// ---- retention rules ----

using checkpoint::plan_retention;
using checkpoint::RetentionCandidate;
using checkpoint::RetentionPolicy;

std::string name_of(std::int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "step-%08lld", static_cast<long long>(step));
  return buf;
}

std::map<std::string, std::vector<std::string>> kept_of(const checkpoint::RetentionPlan& plan) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& k : plan.kept) out[k.name] = k.reasons;
  return out;
}

TEST(Retention, NewestEveryTokensAndBestVal) {
  // Steps 1..10 of 100 tokens each; validation losses with the best at step 4.
  std::vector<RetentionCandidate> c;
  const double val[] = {5.0, 4.0, 3.5, 3.0, 3.2, 3.1, 3.3, 3.4, 3.05, 3.6};
  for (int s = 1; s <= 10; ++s) c.push_back({name_of(s), s, s * 100, val[s - 1]});
  RetentionPolicy policy;
  policy.keep_newest = 2;
  policy.keep_every_tokens = 350;  // multiples 350, 700 -> first at or after: 400, 700
  policy.keep_best_val = true;
  const auto plan = plan_retention(c, policy, name_of(10));
  const auto kept = kept_of(plan);
  EXPECT_EQ(kept.at(name_of(10)), (std::vector<std::string>{"newest"}));
  EXPECT_EQ(kept.at(name_of(9)), (std::vector<std::string>{"newest"}));
  EXPECT_EQ(kept.at(name_of(4)), (std::vector<std::string>{"every_tokens", "best_val"}));
  EXPECT_EQ(kept.at(name_of(7)), (std::vector<std::string>{"every_tokens"}));
  EXPECT_EQ(kept.size(), 4u);
  EXPECT_EQ(plan.deleted,
            (std::vector<std::string>{name_of(8), name_of(6), name_of(5), name_of(3), name_of(2), name_of(1)}));
}

TEST(Retention, TheCheckpointJustWrittenIsNeverDeleted) {
  // Resumed from step 2 with an abandoned history at steps 5 and 6 still on disk.
  std::vector<RetentionCandidate> c = {
      {name_of(2), 2, 200, {}}, {name_of(3), 3, 300, {}}, {name_of(5), 5, 500, {}}, {name_of(6), 6, 600, {}}};
  RetentionPolicy policy;
  policy.keep_newest = 1;
  const auto kept = kept_of(plan_retention(c, policy, name_of(3)));
  EXPECT_EQ(kept.count(name_of(3)), 1u);
  EXPECT_EQ(kept.count(name_of(6)), 1u);
  EXPECT_EQ(kept.size(), 2u);
  policy.keep_newest = 0;  // at least one is always kept
  EXPECT_EQ(kept_of(plan_retention(c, policy, "")).size(), 1u);
}

TEST(Retention, SparseCheckpointsCoverSeveralMultiplesAndUnknownTokensAreNoCandidates) {
  std::vector<RetentionCandidate> c = {{name_of(1), 1, 90, {}},  {name_of(2), 2, 350, {}},  {name_of(3), 3, {}, {}},
                                       {name_of(4), 4, 400, {}}, {name_of(5), 5, 410, 1.0}, {name_of(6), 6, 420, 1.0}};
  RetentionPolicy policy;
  policy.keep_newest = 1;
  policy.keep_every_tokens = 100;  // 100, 200, 300 -> step 2 (350); 400 -> step 4
  policy.keep_best_val = true;     // tie at 1.0 -> the earlier, step 5
  const auto kept = kept_of(plan_retention(c, policy, name_of(6)));
  EXPECT_EQ(kept.at(name_of(2)), (std::vector<std::string>{"every_tokens"}));
  EXPECT_EQ(kept.at(name_of(4)), (std::vector<std::string>{"every_tokens"}));
  EXPECT_EQ(kept.at(name_of(5)), (std::vector<std::string>{"best_val"}));
  EXPECT_EQ(kept.at(name_of(6)), (std::vector<std::string>{"newest"}));
  EXPECT_EQ(kept.size(), 4u);
}

}  // namespace
}  // namespace moe
