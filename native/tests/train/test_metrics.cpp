// The metrics stream: whole-line appends, repair of a torn last line, header
// counting across attempts, the single-writer lock, router windows (loads sum
// to 1, per-domain loads, dead experts), the peak-FLOPs table and the optional
// mixture and retention fields of the records.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics/metrics_file.h"
#include "metrics/peak_flops.h"
#include "metrics/records.h"
#include "metrics/router_window.h"
#include "test_helpers.h"
#include "util/fs.h"

namespace moe::metrics {
namespace {

TEST(MetricsFile, CountsHeadersAndCutsATornLastLine) {
  const std::string dir = test::make_temp_dir("metrics");
  const std::string path = dir + "/metrics.jsonl";
  test::write_file(path,
                   "{\"type\":\"header\",\"attempt\":1}\n{\"type\":\"step\",\"step\":1}\n"
                   "{\"type\":\"header\",\"attempt\":2}\n{\"type\":\"step\",\"st");
  {
    MetricsFile f(path);
    EXPECT_EQ(f.previous_attempts(), 2);
    f.append("{\"type\":\"header\",\"attempt\":3}");
  }
  const std::string text = test::read_file(path);
  EXPECT_EQ(text,
            "{\"type\":\"header\",\"attempt\":1}\n{\"type\":\"step\",\"step\":1}\n"
            "{\"type\":\"header\",\"attempt\":2}\n{\"type\":\"header\",\"attempt\":3}\n");
  MetricsFile again(path);
  EXPECT_EQ(again.previous_attempts(), 3);
  util::remove_tree(dir);
}

TEST(MetricsFile, SecondWriterIsRefused) {
  const std::string dir = test::make_temp_dir("metrics");
  MetricsFile first(dir + "/metrics.jsonl");
  // flock is per open file description, so a second open in this process is refused too.
  try {
    MetricsFile second(dir + "/metrics.jsonl");
    FAIL() << "a second writer got the lock";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("another trainer"), std::string::npos) << e.what();
  }
  util::remove_tree(dir);
}

model::RouterStats stats(std::int64_t layer, model::RouterKind kind, const at::Tensor& ids, std::int64_t E) {
  model::RouterStats s;
  s.layer = layer;
  s.kind = kind;
  s.expert_ids = ids;
  s.counts = at::bincount(ids.reshape({-1}), {}, E);
  s.importance = at::full({E}, 1.0 / static_cast<double>(E));
  return s;
}

TEST(RouterWindow, LoadsSumToOneWithDomainsAndDeadExperts) {
  const std::int64_t E = 4;
  RouterWindow window(E, {"a", "b"});
  // 3 tokens, k = 2. Token domains: a, b, unknown.
  const at::Tensor ids = at::tensor({0, 1, 1, 2, 0, 2}, at::kLong).view({3, 2});
  const at::Tensor domains = at::tensor({0, 1, -1}, at::kLong);
  for (int step = 0; step < 2; ++step) {
    window.add({stats(0, model::RouterKind::kAttention, ids, E), stats(0, model::RouterKind::kMlp, ids, E)}, domains);
  }
  const auto records = window.take();
  ASSERT_EQ(records.size(), 2u);
  const RouterSummaryRecord& r = records[0];
  EXPECT_EQ(r.kind, "attn");
  EXPECT_EQ(records[1].kind, "mlp");
  double total = 0;
  for (double x : r.load) total += x;
  EXPECT_NEAR(total, 1.0, 1e-12);
  // counts over 2 steps: e0 = 4, e1 = 4, e2 = 4, e3 = 0.
  EXPECT_NEAR(r.load[0], 1.0 / 3, 1e-12);
  EXPECT_EQ(r.load[3], 0.0);
  EXPECT_EQ(r.dead, (std::vector<std::int64_t>{3}));
  EXPECT_NEAR(r.max_over_mean, (1.0 / 3) / 0.25, 1e-12);
  EXPECT_NEAR(r.entropy, std::log(3.0), 1e-12);
  ASSERT_EQ(r.by_domain.size(), 2u);
  EXPECT_EQ(r.by_domain[0].first, "a");
  EXPECT_EQ(r.by_domain[0].second, (std::vector<double>{0.5, 0.5, 0, 0}));
  EXPECT_EQ(r.by_domain[1].second, (std::vector<double>{0, 0.5, 0.5, 0}));
  EXPECT_TRUE(window.empty());
}

TEST(PeakFlops, TableOverrideAndCpu) {
  EXPECT_EQ(*resolve_peak_flops(0, true, "NVIDIA H100 80GB HBM3", 1).value, 9.89e14);
  EXPECT_EQ(*resolve_peak_flops(0, true, "NVIDIA H100 PCIe", 1).value, 7.56e14);
  EXPECT_EQ(*resolve_peak_flops(0, true, "NVIDIA H200", 1).value, 9.89e14);
  EXPECT_EQ(*resolve_peak_flops(0, true, "NVIDIA A100-SXM4-80GB", 1).value, 3.12e14);
  EXPECT_FALSE(resolve_peak_flops(0, true, "Some GPU", 1).value);
  EXPECT_EQ(*resolve_peak_flops(1e15, true, "Some GPU", 1).value, 1e15);
  EXPECT_EQ(*resolve_peak_flops(0, false, "cpu", 4).value, 4 * kCpuPeakFlopsPerThread);
}

TEST(Records, NonFiniteNumbersBecomeNull) {
  StepRecord s;
  s.loss = std::numeric_limits<double>::quiet_NaN();
  const std::string json = step_json(s);
  EXPECT_EQ(json.rfind("{\"type\":\"step\"", 0), 0u) << json;
  EXPECT_NE(json.find("\"loss\":null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"mfu\":null"), std::string::npos) << json;
}

TEST(Records, MixtureAndRetentionFieldsAppearOnlyWhenSet) {
  StepRecord s;
  EXPECT_EQ(step_json(s).find("samples"), std::string::npos);
  s.samples = {{"synthetic:copy", 3}, {"/d/a.bin", 1}};
  EXPECT_NE(step_json(s).find("\"samples\":{\"synthetic:copy\":3,\"/d/a.bin\":1}"), std::string::npos) << step_json(s);
  ValRecord v;
  v.by_source = {{"synthetic:copy", 1.5}};
  EXPECT_NE(val_json(v).find("\"by_source\":{\"synthetic:copy\":1.5}"), std::string::npos) << val_json(v);
  CheckpointRecord c;
  EXPECT_EQ(checkpoint_json(c).find("kept"), std::string::npos);
  c.kept = {{"checkpoints/step-00000004", {"newest", "best_val"}}};
  EXPECT_NE(checkpoint_json(c).find("\"kept\":{\"checkpoints/step-00000004\":[\"newest\",\"best_val\"]}"),
            std::string::npos)
      << checkpoint_json(c);
  const std::string e = retention_event_json(5, 1.0, "checkpoints/step-00000001", "removed", c.kept);
  EXPECT_NE(e.find("\"kind\":\"checkpoint_deleted\""), std::string::npos) << e;
  EXPECT_NE(e.find("\"path\":\"checkpoints/step-00000001\",\"reason\":\"retention\",\"kept\":{"), std::string::npos)
      << e;
}

}  // namespace
}  // namespace moe::metrics
