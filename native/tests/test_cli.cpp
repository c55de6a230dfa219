// The moetrain binary as the workbench sees it: exit codes, stdout/stderr,
// version line and JSON, config resolution, parameter counts, generated help,
// and that docs/trainer-cli.md documents every flag.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "config/flags.h"
#include "test_helpers.h"

namespace {

using moe::test::read_file;
using moe::test::write_file;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the real binary with `args`; `env` entries ("NAME=value") are added to
// (or, with an empty value "NAME=", removed from) the inherited environment.
RunResult run(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  static const std::string dir = moe::test::make_temp_dir("cli");
  const std::string out_path = dir + "/out", err_path = dir + "/err";
  const pid_t pid = fork();
  if (pid == 0) {
    const int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    for (const auto& e : env) {
      const auto eq = e.find('=');
      if (eq + 1 == e.size())
        unsetenv(e.substr(0, eq).c_str());
      else
        setenv(e.substr(0, eq).c_str(), e.substr(eq + 1).c_str(), 1);
    }
    std::vector<char*> argv;
    std::string binary = MOETRAIN_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
}

// The value of a top-level or nested key in our own single-line JSON output
// (the trainer only writes JSON; the test reads it with a pattern).
std::string json_field(const std::string& json, const std::string& key) {
  const std::regex re("\"" + key + "\":(\\[[^\\]]*\\]|\"[^\"]*\"|[^,}\\]]+)");
  std::smatch m;
  return std::regex_search(json, m, re) ? m[1].str() : "<missing>";
}

void expect_usage_error(const RunResult& r, const std::string& flag, const std::string& more = "") {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << "stdout must stay empty on errors: " << r.out;
  EXPECT_NE(r.err.find("--" + flag), std::string::npos) << r.err;
  if (!more.empty()) EXPECT_NE(r.err.find(more), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
}

TEST(CliVersion, HumanLine) {
  const RunResult r = run({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  const std::regex line("moetrain " MOETRAIN_EXPECTED_VERSION
                        R"( \(libtorch [0-9]+\.[0-9]+\.[0-9]+[^,]*, CUDA (not available|available: [0-9]+ devices?)\)
)");
  EXPECT_TRUE(std::regex_match(r.out, line)) << r.out;
}

TEST(CliVersion, JsonObject) {
  const RunResult r = run({"version", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.front(), '{');
  EXPECT_EQ(r.out.substr(r.out.size() - 2), "}\n");
  EXPECT_EQ(json_field(r.out, "moetrain"), "\"" MOETRAIN_EXPECTED_VERSION "\"");
  EXPECT_TRUE(std::regex_match(json_field(r.out, "libtorch"), std::regex(R"("[0-9]+\.[0-9]+\.[0-9]+.*")")));
  const std::string built = json_field(r.out, "cuda_built");
  const std::string available = json_field(r.out, "cuda_available");
  EXPECT_TRUE(built == "true" || built == "false") << built;
  EXPECT_TRUE(available == "true" || available == "false") << available;
  const std::string count = json_field(r.out, "device_count");
  ASSERT_TRUE(std::regex_match(count, std::regex("[0-9]+"))) << count;
  if (available == "false") {
    EXPECT_EQ(count, "0");
    EXPECT_EQ(json_field(r.out, "devices"), "[]");
  }
  if (built == "false") EXPECT_EQ(json_field(r.out, "cuda_version"), "null");
  // `--version` and `version` agree.
  EXPECT_EQ(run({"version"}).out, run({"--version"}).out);
}

TEST(CliParams, JetMoe8BCounts) {
  const RunResult r = run({"params", "--preset", "jetmoe-8b", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_field(r.out, "total"), "8522237952");
  EXPECT_EQ(json_field(r.out, "active_non_embedding"), "2265909248");
  EXPECT_EQ(json_field(r.out, "active_with_embedding"), "2331445248");
  EXPECT_EQ(json_field(r.out, "seq_len"), "4096");
  const RunResult text = run({"params", "--preset=jetmoe-8b"});
  EXPECT_NE(text.out.find("8,522,237,952"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("2,265,909,248"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("2,331,445,248"), std::string::npos) << text.out;
}

TEST(CliErrors, UnknownFlagSuggestsNearestName) {
  expect_usage_error(run({"config", "--preset", "jetmoe-tiny", "--hiden-size=64"}), "hiden-size",
                     "did you mean --hidden-size?");
  expect_usage_error(run({"params", "--num_experts", "4"}), "num_experts", "--num-experts");
  expect_usage_error(run({"version", "--preset=x"}), "preset");
}

TEST(CliErrors, MalformedOutOfRangeAndInconsistentValues) {
  expect_usage_error(run({"config", "--lr=fast"}), "lr", "expects a number");
  expect_usage_error(run({"config", "--num-layers", "0"}), "num-layers", "out of range");
  expect_usage_error(run({"config", "--expert-backend=gruoped"}), "expert-backend", "did you mean grouped?");
  expect_usage_error(run({"config", "--preset", "jetmoe-tiny", "--top-k=5"}), "top-k", "--num-experts");
  expect_usage_error(run({"params", "--seq-len=8192"}), "seq-len", "--max-seq-len");
  expect_usage_error(run({"config", "--hidden-size"}), "hidden-size", "needs a value");
  expect_usage_error(run({"config", "--preset", "jetmoe-huge"}), "preset", "jetmoe-8b");
}

TEST(CliErrors, UsageMistakes) {
  RunResult r = run({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  r = run({"trian"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown subcommand"), std::string::npos) << r.err;
  r = run({"config", "stray"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unexpected argument 'stray'"), std::string::npos) << r.err;
}

// The launcher's environment is read once (dist/parallel_context.h): a rank whose peers never arrive fails
// within --collective-timeout naming the rendezvous, and a broken set is named, before the run directory exists.
TEST(CliTrain, MissingPeersAndBrokenLauncherSetsFailBeforeWriting) {
  const std::string run_dir = moe::test::make_temp_dir("cli-dp") + "/run";
  std::vector<std::string> args = {"train", "--preset", "jetmoe-tiny", "--run-dir", run_dir};
  std::vector<std::string> lonely = args;
  lonely.push_back("--collective-timeout=2");
  RunResult r = run(lonely, {"RANK=1", "LOCAL_RANK=1", "WORLD_SIZE=2", "LOCAL_WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1",
                             "MASTER_PORT=29517"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("rank 1 of 2 (local 1 of 2, torchrun)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("could not join its process group at 127.0.0.1:29517"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(run_dir));
  r = run(args, {"WORLD_SIZE=2", "RANK=", "LOCAL_RANK=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=", "MASTER_PORT="});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("WORLD_SIZE=2 asks for several processes but RANK, LOCAL_RANK"), std::string::npos) << r.err;
  r = run(args, {"WORLD_SIZE=", "RANK=", "SLURM_PROCID=0", "SLURM_LOCALID=0", "SLURM_NTASKS=two"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("SLURM_NTASKS='two' is not a non-negative integer"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(run_dir));
}

TEST(CliConfig, PrecedencePresetFileCommandLine) {
  const std::string dir = moe::test::make_temp_dir("cli-presets");
  write_file(dir + "/mine.flags", "--hidden-size=96\n--num-layers=3\n--lr=0.01\n--seq-len=256\n");
  write_file(dir + "/run.flags", "# a run\n--num-layers=5\n--lr=0.02\n");
  const RunResult r = run(
      {"config", "--presets-dir", dir, "--preset", "mine", "--flags-file", dir + "/run.flags", "--lr=0.03", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_field(r.out, "hidden-size"), "96");
  EXPECT_EQ(json_field(r.out, "num-layers"), "5");
  EXPECT_EQ(json_field(r.out, "lr"), "0.03");
  EXPECT_EQ(json_field(r.out, "num-experts"), "8");
  // The sources object follows the flags object; search after it.
  const std::string sources = r.out.substr(r.out.find("\"sources\""));
  EXPECT_EQ(json_field(sources, "hidden-size"), "\"preset\"");
  EXPECT_EQ(json_field(sources, "num-layers"), "\"flags-file\"");
  EXPECT_EQ(json_field(sources, "lr"), "\"command-line\"");
  EXPECT_EQ(json_field(sources, "num-experts"), "\"default\"");

  // The presets directory can also come from the environment.
  const RunResult env = run({"config", "--preset", "mine", "--json"}, {"MOETRAIN_PRESETS=" + dir});
  ASSERT_EQ(env.exit_code, 0) << env.err;
  EXPECT_EQ(json_field(env.out, "hidden-size"), "96");
  std::filesystem::remove_all(dir);
}

TEST(CliConfig, TextOutputIsAFlagsFileThatReproducesTheConfig) {
  const std::string dir = moe::test::make_temp_dir("cli-roundtrip");
  const RunResult text = run({"config", "--preset", "jetmoe-tiny", "--lr=0.001", "--no-tie-embeddings"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  write_file(dir + "/resolved.flags", text.out);
  const RunResult a = run({"config", "--preset", "jetmoe-tiny", "--lr=0.001", "--no-tie-embeddings", "--json"});
  const RunResult b = run({"config", "--flags-file", dir + "/resolved.flags", "--json"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const auto flags_object = [](const std::string& json) {
    const auto start = json.find("\"flags\":");
    return json.substr(start, json.find('}', start) - start);
  };
  EXPECT_EQ(flags_object(a.out), flags_object(b.out));
  EXPECT_EQ(json_field(b.out, "tie-embeddings"), "false");
  std::filesystem::remove_all(dir);
}

TEST(CliHelp, EveryFlagAppearsInConfigHelp) {
  const RunResult r = run({"config", "--help"});
  ASSERT_EQ(r.exit_code, 0);
  for (const auto& spec : moe::config::flag_table()) {
    EXPECT_NE(r.out.find("--" + spec.name + "="), std::string::npos) << spec.name;
  }
  EXPECT_EQ(run({"help", "params"}).exit_code, 0);
  EXPECT_EQ(run({"--help"}).exit_code, 0);
}

TEST(CliDocs, TrainerCliDocumentsEveryFlagWithItsDefault) {
  const std::string doc = read_file(MOETRAIN_CLI_DOC);
  for (const auto& spec : moe::config::flag_table()) {
    // One table row per flag: | `--name` | type | `default` | ... (an empty default is `""`).
    const std::string def = spec.default_value.empty() ? "\"\"" : spec.default_value;
    const std::regex row("\\| `--" + spec.name + "` \\|(?:[^|\\\\]|\\\\.)*\\| `" +
                         std::regex_replace(def, std::regex(R"([.+*?^$()\[\]{}|\\])"), R"(\$&)") + "` \\|");
    EXPECT_TRUE(std::regex_search(doc, row))
        << "docs/trainer-cli.md lacks a row for --" << spec.name << " with default `" << spec.default_value << "`";
  }
}

}  // namespace
