// dist::ParallelContext from launcher environments: torchrun, Slurm, none, and
// every mistake named with its variable.
#include <gtest/gtest.h>

#include <string>

#include "config/config_error.h"
#include "dist/parallel_context.h"

namespace {

using moe::config::ConfigError;
using moe::dist::Launcher;
using moe::dist::LauncherEnvironment;
using moe::dist::parallel_context_from_env;
using moe::dist::ParallelContext;
using moe::dist::ShardingStage;

// The message of the ConfigError that building a context from `env` throws ("" when none).
std::string error_of(const LauncherEnvironment& env) {
  try {
    parallel_context_from_env(env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

LauncherEnvironment torchrun(int rank, int local_rank, int world, int local_world) {
  return {{"RANK", std::to_string(rank)},
          {"LOCAL_RANK", std::to_string(local_rank)},
          {"WORLD_SIZE", std::to_string(world)},
          {"LOCAL_WORLD_SIZE", std::to_string(local_world)},
          {"MASTER_ADDR", "node0"},
          {"MASTER_PORT", "29500"}};
}

LauncherEnvironment slurm(int procid, int localid, int ntasks, const std::string& tasks_per_node) {
  return {{"SLURM_PROCID", std::to_string(procid)}, {"SLURM_LOCALID", std::to_string(localid)},
          {"SLURM_NTASKS", std::to_string(ntasks)}, {"SLURM_TASKS_PER_NODE", tasks_per_node},
          {"SLURM_JOB_NODELIST", "gpu[07-08]"},     {"MASTER_PORT", "29511"}};
}

TEST(ParallelContext, NoLauncherIsOneProcess) {
  const ParallelContext c = parallel_context_from_env({});
  EXPECT_EQ(c.launcher, Launcher::kNone);
  EXPECT_EQ(c.rank, 0);
  EXPECT_EQ(c.local_rank, 0);
  EXPECT_EQ(c.world_size, 1);
  EXPECT_EQ(c.local_world_size, 1);
  EXPECT_TRUE(c.master_addr.empty());
  EXPECT_FALSE(c.distributed());
  EXPECT_TRUE(c.main_process());
  EXPECT_EQ(c.process_group, nullptr);
  EXPECT_NO_THROW(moe::dist::require_collectives(c, false));
}

TEST(ParallelContext, EmptyValuesCountAsUnset) {
  const ParallelContext c = parallel_context_from_env({{"RANK", ""}, {"WORLD_SIZE", ""}, {"SLURM_PROCID", ""}});
  EXPECT_EQ(c.launcher, Launcher::kNone);
  EXPECT_EQ(c.world_size, 1);
}

TEST(ParallelContext, TorchrunTwoNodes) {
  const ParallelContext c = parallel_context_from_env(torchrun(5, 1, 8, 4), ShardingStage::kZero1);
  EXPECT_EQ(c.launcher, Launcher::kTorchrun);
  EXPECT_EQ(c.rank, 5);
  EXPECT_EQ(c.local_rank, 1);
  EXPECT_EQ(c.world_size, 8);
  EXPECT_EQ(c.local_world_size, 4);
  EXPECT_EQ(c.master_addr, "node0");
  EXPECT_EQ(c.master_port, 29500);
  EXPECT_EQ(c.sharding, ShardingStage::kZero1);
  EXPECT_TRUE(c.distributed());
  EXPECT_FALSE(c.main_process());
  EXPECT_EQ(c.describe(), "rank 5 of 8 (local 1 of 4, torchrun)");
}

TEST(ParallelContext, WorldSizeOneAloneIsOneProcess) {
  // What `train` has always accepted: WORLD_SIZE=1 without the rest.
  const ParallelContext c = parallel_context_from_env({{"WORLD_SIZE", "1"}});
  EXPECT_EQ(c.launcher, Launcher::kTorchrun);
  EXPECT_EQ(c.world_size, 1);
  EXPECT_EQ(c.rank, 0);
  EXPECT_FALSE(c.distributed());
  // Nothing to shard in one process.
  EXPECT_EQ(parallel_context_from_env({{"WORLD_SIZE", "1"}}, ShardingStage::kZero2).sharding, ShardingStage::kNone);
  // Torchrun with one process sets everything; that is fine too.
  EXPECT_EQ(parallel_context_from_env(torchrun(0, 0, 1, 1)).master_port, 29500);
}

TEST(ParallelContext, TorchrunAgentStoreAndRestarts) {
  auto env = torchrun(1, 1, 2, 2);
  EXPECT_FALSE(parallel_context_from_env(env).agent_store);
  EXPECT_EQ(parallel_context_from_env(env).restart_count, 0);
  env["TORCHELASTIC_USE_AGENT_STORE"] = "True";  // exactly Python's str(True), as torchrun writes it
  env["TORCHELASTIC_RESTART_COUNT"] = "2";
  EXPECT_TRUE(parallel_context_from_env(env).agent_store);
  EXPECT_EQ(parallel_context_from_env(env).restart_count, 2);
  env["TORCHELASTIC_USE_AGENT_STORE"] = "False";
  EXPECT_FALSE(parallel_context_from_env(env).agent_store);
  env["TORCHELASTIC_RESTART_COUNT"] = "x";
  EXPECT_NE(error_of(env).find("TORCHELASTIC_RESTART_COUNT='x'"), std::string::npos);
}

TEST(ParallelContext, TorchrunMistakesNameTheVariable) {
  EXPECT_NE(error_of({{"WORLD_SIZE", "two"}}).find("WORLD_SIZE='two' is not a non-negative integer"),
            std::string::npos);
  EXPECT_NE(error_of({{"WORLD_SIZE", "-2"}}).find("WORLD_SIZE='-2'"), std::string::npos);
  EXPECT_NE(error_of({{"WORLD_SIZE", "2 "}}).find("WORLD_SIZE='2 '"), std::string::npos);
  EXPECT_NE(error_of({{"WORLD_SIZE", "0"}}).find("WORLD_SIZE=0 must be at least 1"), std::string::npos);
  EXPECT_NE(error_of({{"RANK", "0"}}).find("but WORLD_SIZE is not set"), std::string::npos);
  // Several processes need the whole set; the message lists what is missing and how to launch.
  const std::string partial = error_of({{"WORLD_SIZE", "2"}, {"RANK", "1"}});
  EXPECT_NE(partial.find("WORLD_SIZE=2 asks for several processes but LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, "
                         "MASTER_PORT are not set"),
            std::string::npos)
      << partial;
  EXPECT_NE(partial.find("launch with torchrun"), std::string::npos);
  EXPECT_NE(error_of(torchrun(2, 0, 2, 1)).find("RANK=2 is not below WORLD_SIZE=2"), std::string::npos);
  EXPECT_NE(error_of(torchrun(1, 2, 4, 2)).find("LOCAL_RANK=2 is not below LOCAL_WORLD_SIZE=2"), std::string::npos);
  EXPECT_NE(error_of(torchrun(0, 0, 2, 4)).find("LOCAL_WORLD_SIZE=4 exceeds WORLD_SIZE=2"), std::string::npos);
  EXPECT_NE(error_of({{"WORLD_SIZE", "1"}, {"RANK", "1"}}).find("RANK=1 is not below WORLD_SIZE=1"), std::string::npos);
  auto bad_port = torchrun(0, 0, 2, 2);
  bad_port["MASTER_PORT"] = "70000";
  EXPECT_NE(error_of(bad_port).find("MASTER_PORT=70000 is not a TCP port"), std::string::npos);
  bad_port["MASTER_PORT"] = "http";
  EXPECT_NE(error_of(bad_port).find("MASTER_PORT='http' is not a non-negative integer"), std::string::npos);
}

TEST(ParallelContext, SlurmMappedWhenTorchrunIsAbsent) {
  const ParallelContext c = parallel_context_from_env(slurm(5, 1, 8, "4(x2)"));
  EXPECT_EQ(c.launcher, Launcher::kSlurm);
  EXPECT_EQ(c.rank, 5);
  EXPECT_EQ(c.local_rank, 1);
  EXPECT_EQ(c.world_size, 8);
  EXPECT_EQ(c.local_world_size, 4);
  EXPECT_EQ(c.master_addr, "gpu07");  // the first host of the node list
  EXPECT_EQ(c.master_port, 29511);

  auto given = slurm(0, 0, 8, "4(x2)");
  given["MASTER_ADDR"] = "head";
  given["SLURM_NTASKS_PER_NODE"] = "4";
  EXPECT_EQ(parallel_context_from_env(given).master_addr, "head");  // MASTER_ADDR wins over the node list
  EXPECT_EQ(parallel_context_from_env(given).local_world_size, 4);
}

TEST(ParallelContext, TorchrunUnderSlurmUsesTorchrun) {
  auto env = torchrun(3, 3, 4, 4);
  for (const auto& [name, value] : slurm(0, 0, 1, "1")) env[name] = value;
  const ParallelContext c = parallel_context_from_env(env);
  EXPECT_EQ(c.launcher, Launcher::kTorchrun);
  EXPECT_EQ(c.rank, 3);
  EXPECT_EQ(c.world_size, 4);
}

TEST(ParallelContext, SlurmUnevenNodesUseTheNodeId) {
  auto env = slurm(8, 0, 9, "4(x2),1");
  EXPECT_NE(error_of(env).find("SLURM_TASKS_PER_NODE=4(x2),1 differs between nodes but SLURM_NODEID is not set"),
            std::string::npos)
      << error_of(env);
  env["SLURM_NODEID"] = "2";
  EXPECT_EQ(parallel_context_from_env(env).local_world_size, 1);
  env["SLURM_NODEID"] = "3";
  EXPECT_NE(error_of(env).find("SLURM_NODEID=3 has no entry"), std::string::npos);
}

TEST(ParallelContext, SlurmSingleTask) {
  const ParallelContext c =
      parallel_context_from_env({{"SLURM_PROCID", "0"}, {"SLURM_LOCALID", "0"}, {"SLURM_NTASKS", "1"}});
  EXPECT_EQ(c.launcher, Launcher::kSlurm);
  EXPECT_FALSE(c.distributed());
  EXPECT_NO_THROW(moe::dist::require_collectives(c, false));
}

TEST(ParallelContext, SlurmMistakesNameTheVariable) {
  EXPECT_NE(error_of({{"SLURM_PROCID", "0"}}).find("SLURM_PROCID is set but SLURM_NTASKS, SLURM_LOCALID are not set"),
            std::string::npos);
  auto env = slurm(0, 0, 2, "2");
  env.erase("MASTER_PORT");
  EXPECT_NE(error_of(env).find("export MASTER_PORT"), std::string::npos);
  env = slurm(0, 0, 2, "2");
  env.erase("SLURM_JOB_NODELIST");
  EXPECT_NE(error_of(env).find("MASTER_ADDR is unset under Slurm but SLURM_JOB_NODELIST is not set"),
            std::string::npos);
  env = slurm(0, 0, 2, "2");
  env.erase("SLURM_TASKS_PER_NODE");
  EXPECT_NE(error_of(env).find("SLURM_TASKS_PER_NODE is not set"), std::string::npos);
  EXPECT_NE(error_of(slurm(2, 0, 2, "2")).find("SLURM_PROCID=2 is not below SLURM_NTASKS=2"), std::string::npos);
  EXPECT_NE(error_of(slurm(0, 0, 2, "2x")).find("SLURM_TASKS_PER_NODE='2x' is not of the form"), std::string::npos);
}

TEST(ParallelContext, SlurmNodeLists) {
  using moe::dist::first_slurm_host;
  EXPECT_EQ(first_slurm_host("node1"), "node1");
  EXPECT_EQ(first_slurm_host("node1,node2"), "node1");
  EXPECT_EQ(first_slurm_host("gpu[07-09,12],cpu1"), "gpu07");
  EXPECT_EQ(first_slurm_host("gpu[3,5-6]"), "gpu3");
  EXPECT_EQ(first_slurm_host("rack[1-2]-n[07-09]"), "rack1-n07");
  EXPECT_EQ(first_slurm_host("a-[01-02].cluster"), "a-01.cluster");
  EXPECT_THROW(first_slurm_host(""), ConfigError);
  EXPECT_THROW(first_slurm_host("gpu[07-09"), ConfigError);
  EXPECT_THROW(first_slurm_host("gpu[-3]"), ConfigError);
  EXPECT_THROW(first_slurm_host("gpu[[1]]"), ConfigError);
}

TEST(ParallelContext, SlurmTasksPerNode) {
  using moe::dist::expand_slurm_tasks_per_node;
  EXPECT_EQ(expand_slurm_tasks_per_node("4"), (std::vector<std::int64_t>{4}));
  EXPECT_EQ(expand_slurm_tasks_per_node("4(x2)"), (std::vector<std::int64_t>{4, 4}));
  EXPECT_EQ(expand_slurm_tasks_per_node("2(x3),1"), (std::vector<std::int64_t>{2, 2, 2, 1}));
  EXPECT_EQ(expand_slurm_tasks_per_node("1,2"), (std::vector<std::int64_t>{1, 2}));
  for (const char* bad : {"", ",", "4(x)", "4(x2", "x2", "0", "4(x0)", "4,"}) {
    EXPECT_THROW(expand_slurm_tasks_per_node(bad), ConfigError) << bad;
  }
}

TEST(ParallelContext, SeveralProcessesNeedCollectivesAndSayWhatToInstall) {
  const ParallelContext c = parallel_context_from_env(torchrun(1, 1, 2, 2));
  EXPECT_NO_THROW(moe::dist::require_collectives(c, true));
  try {
    moe::dist::require_collectives(c, false);
    FAIL() << "two processes were accepted without collectives";
  } catch (const ConfigError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("rank 1 of 2 (local 1 of 2, torchrun)"), std::string::npos) << text;
    EXPECT_NE(text.find("built without Gloo"), std::string::npos) << text;
    EXPECT_NE(text.find("libgloo-dev"), std::string::npos) << text;
    EXPECT_NE(text.find("unset WORLD_SIZE"), std::string::npos) << text;
  }
}

}  // namespace
