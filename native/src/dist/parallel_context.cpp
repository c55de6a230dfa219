// The launcher's environment into a ParallelContext, checked.
#include "dist/parallel_context.h"

#include <cctype>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "config/config_error.h"

namespace moe::dist {

const char* to_string(ShardingStage stage) {
  switch (stage) {
    case ShardingStage::kNone: return "none";
    case ShardingStage::kZero1: return "zero1";
    case ShardingStage::kZero2: return "zero2";
  }
  return "?";
}

const char* to_string(Launcher launcher) {
  switch (launcher) {
    case Launcher::kNone: return "none";
    case Launcher::kTorchrun: return "torchrun";
    case Launcher::kSlurm: return "slurm";
  }
  return "?";
}

std::string ParallelContext::describe() const {
  return "rank " + std::to_string(rank) + " of " + std::to_string(world_size) + " (local " +
         std::to_string(local_rank) + " of " + std::to_string(local_world_size) + ", " + to_string(launcher) + ")";
}

namespace {

constexpr const char* kTorchrunHint =
    "launch with torchrun (--nproc-per-node=N --no-python moetrain train ...), which sets RANK, LOCAL_RANK, "
    "WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT; or unset them all to train in one process";
constexpr const char* kSlurmHint =
    "start the tasks with srun, which sets SLURM_PROCID, SLURM_LOCALID, SLURM_NTASKS and SLURM_TASKS_PER_NODE, "
    "or launch with torchrun";

const char* const kTorchrunRankVariables[] = {"RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE"};
const char* const kAllVariables[] = {"RANK",
                                     "LOCAL_RANK",
                                     "WORLD_SIZE",
                                     "LOCAL_WORLD_SIZE",
                                     "MASTER_ADDR",
                                     "MASTER_PORT",
                                     "SLURM_PROCID",
                                     "SLURM_LOCALID",
                                     "SLURM_NTASKS",
                                     "SLURM_NTASKS_PER_NODE",
                                     "SLURM_NODEID",
                                     "SLURM_TASKS_PER_NODE",
                                     "SLURM_JOB_NODELIST",
                                     "TORCHELASTIC_USE_AGENT_STORE",
                                     "TORCHELASTIC_RESTART_COUNT"};

config::ConfigError env_error(const std::string& problem, const std::string& fix) {
  return config::ConfigError("", problem, fix);
}

std::optional<std::string> get(const LauncherEnvironment& env, const char* name) {
  const auto it = env.find(name);
  if (it == env.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// A non-negative decimal integer (no sign, no spaces, no suffix).
std::optional<std::int64_t> parse_count(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (const char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::int64_t number(const LauncherEnvironment& env, const char* name, std::int64_t min, const char* fix) {
  const std::string text = *get(env, name);
  const auto v = parse_count(text);
  if (!v) throw env_error(std::string(name) + "='" + text + "' is not a non-negative integer", fix);
  if (*v < min) throw env_error(std::string(name) + "=" + text + " must be at least " + std::to_string(min), fix);
  return *v;
}

void require(const LauncherEnvironment& env, const std::vector<const char*>& names, const std::string& why,
             const char* fix) {
  std::string missing;
  for (const char* name : names) {
    if (!get(env, name)) missing += (missing.empty() ? "" : ", ") + std::string(name);
  }
  if (!missing.empty())
    throw env_error(why + " but " + missing + (missing.find(',') == std::string::npos ? " is" : " are") + " not set",
                    fix);
}

// Ranks and sizes agree with each other.
void check_ranks(const ParallelContext& c, const char* rank_name, const char* local_name, const char* world_name,
                 const char* local_world_name, const char* fix) {
  if (c.rank >= c.world_size) {
    throw env_error(std::string(rank_name) + "=" + std::to_string(c.rank) + " is not below " + world_name + "=" +
                        std::to_string(c.world_size),
                    fix);
  }
  if (c.local_rank >= c.local_world_size) {
    throw env_error(std::string(local_name) + "=" + std::to_string(c.local_rank) + " is not below " + local_world_name +
                        "=" + std::to_string(c.local_world_size),
                    fix);
  }
  if (c.local_world_size > c.world_size) {
    throw env_error(std::string(local_world_name) + "=" + std::to_string(c.local_world_size) + " exceeds " +
                        world_name + "=" + std::to_string(c.world_size),
                    fix);
  }
}

std::int64_t read_port(const LauncherEnvironment& env, const char* fix) {
  const std::int64_t port = number(env, "MASTER_PORT", 1, fix);
  if (port > 65535) throw env_error("MASTER_PORT=" + std::to_string(port) + " is not a TCP port (1..65535)", fix);
  return port;
}

ParallelContext from_torchrun(const LauncherEnvironment& env) {
  ParallelContext c;
  c.launcher = Launcher::kTorchrun;
  require(env, {"WORLD_SIZE"}, "torchrun variables are set (RANK, LOCAL_RANK or LOCAL_WORLD_SIZE)", kTorchrunHint);
  c.world_size = number(env, "WORLD_SIZE", 1, kTorchrunHint);
  if (c.world_size == 1) {
    // One process: what is given must still say rank 0 of 1.
    c.rank = get(env, "RANK") ? number(env, "RANK", 0, kTorchrunHint) : 0;
    c.local_rank = get(env, "LOCAL_RANK") ? number(env, "LOCAL_RANK", 0, kTorchrunHint) : 0;
    c.local_world_size = get(env, "LOCAL_WORLD_SIZE") ? number(env, "LOCAL_WORLD_SIZE", 1, kTorchrunHint) : 1;
    if (get(env, "MASTER_ADDR")) c.master_addr = *get(env, "MASTER_ADDR");
    if (get(env, "MASTER_PORT")) c.master_port = read_port(env, kTorchrunHint);
  } else {
    require(env, {"RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"},
            "WORLD_SIZE=" + std::to_string(c.world_size) + " asks for several processes", kTorchrunHint);
    c.rank = number(env, "RANK", 0, kTorchrunHint);
    c.local_rank = number(env, "LOCAL_RANK", 0, kTorchrunHint);
    c.local_world_size = number(env, "LOCAL_WORLD_SIZE", 1, kTorchrunHint);
    c.master_addr = *get(env, "MASTER_ADDR");
    c.master_port = read_port(env, kTorchrunHint);
  }
  check_ranks(c, "RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", kTorchrunHint);
  c.agent_store = get(env, "TORCHELASTIC_USE_AGENT_STORE") == std::optional<std::string>("True");
  if (get(env, "TORCHELASTIC_RESTART_COUNT"))
    c.restart_count = number(env, "TORCHELASTIC_RESTART_COUNT", 0, kTorchrunHint);
  return c;
}

ParallelContext from_slurm(const LauncherEnvironment& env) {
  ParallelContext c;
  c.launcher = Launcher::kSlurm;
  require(env, {"SLURM_NTASKS", "SLURM_LOCALID"}, "SLURM_PROCID is set", kSlurmHint);
  c.rank = number(env, "SLURM_PROCID", 0, kSlurmHint);
  c.local_rank = number(env, "SLURM_LOCALID", 0, kSlurmHint);
  c.world_size = number(env, "SLURM_NTASKS", 1, kSlurmHint);
  if (get(env, "SLURM_NTASKS_PER_NODE")) {
    c.local_world_size = number(env, "SLURM_NTASKS_PER_NODE", 1, kSlurmHint);
  } else if (get(env, "SLURM_TASKS_PER_NODE")) {
    const std::vector<std::int64_t> per_node = expand_slurm_tasks_per_node(*get(env, "SLURM_TASKS_PER_NODE"));
    bool uniform = true;
    for (const std::int64_t n : per_node) uniform = uniform && n == per_node.front();
    if (uniform) {
      c.local_world_size = per_node.front();
    } else {
      require(env, {"SLURM_NODEID"},
              "SLURM_TASKS_PER_NODE=" + *get(env, "SLURM_TASKS_PER_NODE") + " differs between nodes", kSlurmHint);
      const std::int64_t node = number(env, "SLURM_NODEID", 0, kSlurmHint);
      if (node >= static_cast<std::int64_t>(per_node.size())) {
        throw env_error("SLURM_NODEID=" + std::to_string(node) +
                            " has no entry in SLURM_TASKS_PER_NODE=" + *get(env, "SLURM_TASKS_PER_NODE"),
                        kSlurmHint);
      }
      c.local_world_size = per_node[static_cast<std::size_t>(node)];
    }
  } else if (c.world_size == 1) {
    c.local_world_size = 1;
  } else {
    require(env, {"SLURM_TASKS_PER_NODE"}, "SLURM_NTASKS=" + std::to_string(c.world_size) + " asks for several tasks",
            kSlurmHint);
  }
  if (c.world_size > 1) {
    constexpr const char* kPortFix = "export MASTER_PORT (a free TCP port, the same for every task) in the job script";
    if (get(env, "MASTER_ADDR")) {
      c.master_addr = *get(env, "MASTER_ADDR");
    } else {
      require(env, {"SLURM_JOB_NODELIST"}, "MASTER_ADDR is unset under Slurm",
              "export MASTER_ADDR (the first node's host name) in the job script");
      c.master_addr = first_slurm_host(*get(env, "SLURM_JOB_NODELIST"));
    }
    require(env, {"MASTER_PORT"}, "SLURM_NTASKS=" + std::to_string(c.world_size) + " asks for several tasks", kPortFix);
    c.master_port = read_port(env, kPortFix);
  }
  check_ranks(c, "SLURM_PROCID", "SLURM_LOCALID", "SLURM_NTASKS",
              get(env, "SLURM_NTASKS_PER_NODE") ? "SLURM_NTASKS_PER_NODE" : "SLURM_TASKS_PER_NODE", kSlurmHint);
  return c;
}

}  // namespace

LauncherEnvironment launcher_environment() {
  LauncherEnvironment env;
  for (const char* name : kAllVariables) {
    if (const char* value = std::getenv(name)) env[name] = value;
  }
  return env;
}

ParallelContext parallel_context_from_env(const LauncherEnvironment& env, ShardingStage sharding) {
  bool torchrun = false;
  for (const char* name : kTorchrunRankVariables) torchrun = torchrun || get(env, name).has_value();
  ParallelContext c;
  if (torchrun) {
    c = from_torchrun(env);
  } else if (get(env, "SLURM_PROCID")) {
    c = from_slurm(env);
  }
  c.sharding = sharding;
  if (c.sharding != ShardingStage::kNone && c.world_size == 1) c.sharding = ShardingStage::kNone;  // nothing to shard
  return c;
}

std::string first_slurm_host(const std::string& nodelist) {
  const auto bad = [&](const std::string& why) {
    return env_error("SLURM_JOB_NODELIST='" + nodelist + "' " + why,
                     "export MASTER_ADDR (the first node's host name) in the job script");
  };
  // The first entry ends at the first comma outside brackets.
  std::size_t end = 0;
  int depth = 0;
  for (; end < nodelist.size(); ++end) {
    const char ch = nodelist[end];
    if (ch == '[') ++depth;
    if (ch == ']') --depth;
    if (depth < 0 || depth > 1) throw bad("has unbalanced brackets");
    if (ch == ',' && depth == 0) break;
  }
  if (depth != 0) throw bad("has unbalanced brackets");
  // Each bracketed range list stands for its first number ("rack[1-2]-n[07-09]" -> "rack1-n07"),
  // zero padding kept.
  const std::string entry = nodelist.substr(0, end);
  std::string host;
  for (std::size_t i = 0; i < entry.size(); ++i) {
    if (entry[i] != '[') {
      host += entry[i];
      continue;
    }
    const std::size_t close = entry.find(']', i);
    std::size_t digits = i + 1;
    while (digits < close && std::isdigit(static_cast<unsigned char>(entry[digits]))) ++digits;
    if (digits == i + 1) throw bad("has a range without numbers");
    host += entry.substr(i + 1, digits - i - 1);
    i = close;
  }
  if (host.empty()) throw bad("names no host");
  return host;
}

std::vector<std::int64_t> expand_slurm_tasks_per_node(const std::string& text) {
  const auto bad = [&]() {
    return env_error("SLURM_TASKS_PER_NODE='" + text + "' is not of the form N or N(xM), comma-separated", kSlurmHint);
  };
  std::vector<std::int64_t> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = text.find(',', pos);
    const std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const std::size_t paren = item.find("(x");
    const auto tasks = parse_count(item.substr(0, paren));
    std::int64_t repeat = 1;
    if (paren != std::string::npos) {
      if (item.back() != ')') throw bad();
      const auto r = parse_count(item.substr(paren + 2, item.size() - paren - 3));
      if (!r || *r < 1) throw bad();
      repeat = *r;
    }
    if (!tasks || *tasks < 1 || repeat > 100000) throw bad();
    out.insert(out.end(), static_cast<std::size_t>(repeat), *tasks);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

void require_collectives(const ParallelContext& c, bool collectives_available) {
  if (!c.distributed() || collectives_available) return;
  throw config::ConfigError(
      "",
      "this process is " + c.describe() +
          ", but this moetrain was built without Gloo (no <gloo/...> headers), so its processes cannot reduce "
          "gradients",
      std::string("install libgloo-dev (Debian/Ubuntu) and rebuild with native/scripts/build.sh, or ") +
          (c.launcher == Launcher::kSlurm ? "run one task per training run (srun -n 1, or unset the SLURM_* variables)"
                                          : "run one process per training run (torchrun --nproc-per-node=1 "
                                            "--nnodes=1, or unset WORLD_SIZE)"));
}

}  // namespace moe::dist
