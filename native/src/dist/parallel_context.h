// Who this process is among the processes of one training run: rank, local
// rank, world size, the rendezvous address and the sharding stage, built once
// from the launcher's environment and passed down (device selection, the
// loader's rank split, the optimizer, the step, checkpoints, metrics). Nothing
// outside dist/ reads RANK, WORLD_SIZE or the Slurm variables.
//
// Launchers, in order of precedence:
//   torchrun   RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT
//              (any of the first four set means torchrun; with WORLD_SIZE=1 the
//              others may be left out)
//   Slurm      used only when none of the four torchrun ranks/sizes is set:
//              SLURM_PROCID -> rank, SLURM_LOCALID -> local rank, SLURM_NTASKS ->
//              world size, SLURM_NTASKS_PER_NODE (else this node's entry of
//              SLURM_TASKS_PER_NODE, "4(x2),3") -> local world size; MASTER_ADDR
//              defaults to the first host of SLURM_JOB_NODELIST; MASTER_PORT must be
//              exported by the job script (the same on every task)
//   none       one process: rank 0 of 1
// Under torchrun, TORCHELASTIC_USE_AGENT_STORE=True says the agent already hosts
// the store at MASTER_ADDR:MASTER_PORT, and TORCHELASTIC_RESTART_COUNT counts
// restarts of the whole group (dist/process_group.h uses both).
// Every value is checked (integers, ranges, complete sets); mistakes are
// config::ConfigError naming the variable and the fix. LibTorch-free: the
// process group is an opaque handle that dist/ fills in for world size > 1.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace moe::dist {

// What each rank holds of the optimizer state (docs/model-parallelism.md):
// none = every rank keeps all of it; zero1 = AdamW moments and fp32 masters
// sharded 1/world_size, gradients all-reduced; zero2 = gradients reduce-scattered
// to their shard as well.
enum class ShardingStage { kNone, kZero1, kZero2 };
const char* to_string(ShardingStage stage);

enum class Launcher { kNone, kTorchrun, kSlurm };
const char* to_string(Launcher launcher);

// The c10d store and process group of a multi-process run (dist/process_group.h).
struct ProcessGroupHandle;

struct ParallelContext {
  Launcher launcher = Launcher::kNone;
  std::int64_t rank = 0;        // 0 .. world_size-1
  std::int64_t local_rank = 0;  // 0 .. local_world_size-1: this process's device on its node
  std::int64_t world_size = 1;
  std::int64_t local_world_size = 1;  // processes on this node
  std::string master_addr;            // rendezvous host; empty for one process
  std::int64_t master_port = 0;       // rendezvous port; 0 for one process
  ShardingStage sharding = ShardingStage::kNone;
  bool agent_store = false;                           // torchrun's agent hosts the store: every rank is a client
  std::int64_t restart_count = 0;                     // torchrun's restarts of the group so far
  std::shared_ptr<ProcessGroupHandle> process_group;  // null for world size 1 (and until connected)

  bool distributed() const { return world_size > 1; }
  bool main_process() const { return rank == 0; }
  // "rank 3 of 8 (local 1 of 4, torchrun)", for messages.
  std::string describe() const;
};

// The launcher variables a context is built from, by name; absent = unset.
using LauncherEnvironment = std::map<std::string, std::string>;

// The variables parallel_context_from_env reads, taken from this process's environment.
LauncherEnvironment launcher_environment();

// Builds the context from `env` (see the table above). Empty values count as unset.
// Throws config::ConfigError for non-numbers, out-of-range or inconsistent values
// and incomplete sets.
ParallelContext parallel_context_from_env(const LauncherEnvironment& env,
                                          ShardingStage sharding = ShardingStage::kNone);

// The first host of a Slurm node list: "gpu[07-09,12],cpu1" -> "gpu07".
// Throws config::ConfigError when the list is malformed.
std::string first_slurm_host(const std::string& nodelist);

// Tasks per node from SLURM_TASKS_PER_NODE's compressed form: "4(x2),3" -> {4, 4, 3}.
// Throws config::ConfigError when the text is malformed.
std::vector<std::int64_t> expand_slurm_tasks_per_node(const std::string& text);

// Throws config::ConfigError when `context` has several processes but this
// build cannot connect them (`collectives_available` false: no Gloo), naming
// what to install or how to run one process instead. A no-op for one process.
void require_collectives(const ParallelContext& context, bool collectives_available);

}  // namespace moe::dist
