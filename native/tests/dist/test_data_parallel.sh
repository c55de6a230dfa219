#!/usr/bin/env bash
# Data parallelism under the real torchrun (Gloo on the CPU), against one process:
#   1. 2 ranks at micro-batch 1 equal 1 rank at micro-batch 2, with 2 accumulation steps, over 30 steps
#      (router balance loss off: it is computed per rank's batch, so it is the one term that legitimately
#      differs). Tolerance: 1e-4 relative on the loss of every step; the largest difference is printed.
#   2. With the balance loss on (computed over each rank's own batch, as in Megatron), the first step's LM loss
#      is the same (1e-5) and the balance loss differs; over 30 steps at the tiny preset's lr the losses then
#      drift apart by a few percent (observed 7%), so the check is 15%.
#   3. Only rank 0 writes the run directory's stream; rank 1 writes under ranks/rank-1/.
#   4. A 2-rank run stopped at a checkpoint (step 15) and resumed on 2 ranks gives the uninterrupted run's
#      losses bit for bit; resumed on 1 rank at micro-batch 2 it reads the same data and stays within 1e-4.
# usage: test_data_parallel.sh MOETRAIN TORCHRUN PYTHON WORK_DIR
set -euo pipefail
moetrain="$1" torchrun="$2" python="$3" work="$4"
rm -rf "$work" && mkdir -p "$work"
common=(--preset jetmoe-tiny --grad-accum-steps 2 --warmup-steps 0 --decay-steps 0 --log-every 1 --val-every 0
  --router-stats-every 0 --cpu-threads 1 --seed 7 --collective-timeout 60)

one() { "$moetrain" train --run-dir "$work/$1" "${common[@]}" --micro-batch-size 2 "${@:2}" >"$work/$1.log" 2>&1 ||
  { cat "$work/$1.log"; exit 1; }; }
two() { OMP_NUM_THREADS=1 "$torchrun" --standalone --nproc-per-node 2 --no-python "$moetrain" train --run-dir "$work/$1" \
  "${common[@]}" --micro-batch-size 1 "${@:2}" >"$work/$1.log" 2>&1 || { cat "$work/$1.log"; exit 1; }; }

one single --max-steps 30 --aux-loss-coef 0 --final-checkpoint=false
two dp --max-steps 30 --aux-loss-coef 0 --final-checkpoint=false
one single-aux --max-steps 30 --final-checkpoint=false
two dp-aux --max-steps 30 --final-checkpoint=false
two dp-stop --max-steps 15 --aux-loss-coef 0
cp -r "$work/dp-stop" "$work/dp-stop-1rank"
two dp-stop --max-steps 30 --aux-loss-coef 0 --final-checkpoint=false
one dp-stop-1rank --max-steps 30 --aux-loss-coef 0 --final-checkpoint=false

"$python" - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]

def records(run, kind="step"):
    out = {}
    for line in open(os.path.join(work, run, "metrics.jsonl")):
        r = json.loads(line)
        if r.get("type") == kind:
            out[r["step"]] = r
    return out

def header(run):
    for line in open(os.path.join(work, run, "metrics.jsonl")):
        r = json.loads(line)
        if r.get("type") == "header":
            return r

def max_rel(a, b, steps):
    return max(abs(a[s]["loss"] - b[s]["loss"]) / abs(b[s]["loss"]) for s in steps)

single, dp = records("single"), records("dp")
assert sorted(single) == sorted(dp) == list(range(1, 31)), (sorted(single), sorted(dp))
d = max_rel(dp, single, range(1, 31))
print(f"2 ranks x micro-batch 1 vs 1 rank x micro-batch 2, 30 steps: largest relative loss difference {d:.2e} (tolerance 1e-4)")
assert d <= 1e-4, d
assert single[1]["loss"] != single[30]["loss"], "the run did not train"
h = header("dp")
assert h["trainer"]["world_size"] == 2, h["trainer"]
assert h["run"]["tokens_per_step"] == header("single")["run"]["tokens_per_step"], h["run"]

dp_aux, single_aux = records("dp-aux"), records("single-aux")
first = abs(dp_aux[1]["lm_loss"] - single_aux[1]["lm_loss"]) / single_aux[1]["lm_loss"]
assert first <= 1e-5, first
assert dp_aux[1]["aux_loss"] != single_aux[1]["aux_loss"], "the balance loss is per rank's batch"
d_aux = max_rel(dp_aux, single_aux, range(1, 31))
print(f"with the router balance loss on: step 1 LM loss difference {first:.1e}; largest relative loss difference "
      f"over 30 steps {d_aux:.2e} (tolerance 0.15)")
assert d_aux <= 0.15, d_aux

rank1 = os.path.join(work, "dp", "ranks", "rank-1")
assert os.path.exists(os.path.join(rank1, "metrics.jsonl")) and os.path.exists(os.path.join(rank1, "heartbeat")), rank1
assert not os.path.exists(os.path.join(work, "dp", "ranks", "rank-0")), "rank 0 writes the run directory itself"
headers = [json.loads(l) for l in open(os.path.join(work, "dp", "metrics.jsonl")) if '"type":"header"' in l.replace(" ", "")]
assert len(headers) == 1, f"the run directory's stream has {len(headers)} headers (one writer expected)"

resumed = records("dp-stop")
assert sorted(resumed) == list(range(1, 31)), sorted(resumed)
same = [s for s in range(16, 31) if resumed[s]["loss"] == dp[s]["loss"]]
print(f"2-rank checkpoint at step 15 resumed on 2 ranks: {len(same)}/15 later steps bit-identical to the uninterrupted run")
assert len(same) == 15, [(s, resumed[s]["loss"], dp[s]["loss"]) for s in range(16, 31)]
one_rank = records("dp-stop-1rank")
d_one = max_rel(one_rank, dp, range(16, 31))
print(f"2-rank checkpoint resumed on 1 rank at micro-batch 2: largest relative loss difference {d_one:.2e} (tolerance 1e-4)")
assert d_one <= 1e-4, d_one
print("data parallel: ok")
PY
