#!/usr/bin/env python3
"""CPU training throughput: `moetrain train` against Hugging Face transformers'
JetMoeForCausalLM trained by a plain PyTorch AdamW loop, side by side in one run.

usage: native/bench/cpu_vs_hf.py [--moetrain PATH] [--preset jetmoe-small]
           [--steps 4] [--warmup 2] [--threads 2] [--rounds 2]
           [--num-layers N] [--micro-batch-size N] [--seq-len N] [--work-dir DIR]
           [--omp-wait-policy default|passive|active]

Run it with the managed venv's Python (the pinned torch CPU build and transformers;
`bash native/scripts/python_env.sh ensure --for test` installs them):
  "$(bash native/scripts/python_env.sh path)/bin/python" native/bench/cpu_vs_hf.py

Both sides get the same model (the preset's architecture, optionally fewer
layers), the same batch (micro-batch x seq-len tokens of the synthetic corpus,
as `moetrain tokenize --samples` prints them), fp32 on the CPU with the same
number of intra-op threads, AdamW (the preset's betas, eps, weight decay) and
gradient clipping at the preset's --clip-grad. moetrain additionally computes
its router losses (HF's training loss has none). Each side runs --warmup steps
that are not timed, then --steps timed optimizer steps; this repeats --rounds
times, alternating the two, and the best round of each side is compared (the
machine is shared, so the best round is the least disturbed one; every round is
printed). moetrain's step time comes from its metrics stream (log every step);
HF's from perf_counter around forward, backward, clipping and the update.

OpenMP wait policy: `moetrain train` makes its threads wait passively unless
OMP_WAIT_POLICY is set (docs/trainer-cli.md, "Threads"); PyTorch in Python
keeps libgomp's default (spinning). By default each side runs as shipped;
--omp-wait-policy passive|active sets the same policy for both.

Prints a table and, last, one JSON line:
  {"preset", "config", "moetrain_tok_s", "hf_tok_s", "ratio", "rounds": [...]}
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


def moetrain_config(binary, preset, overrides):
    r = subprocess.run([binary, "config", "--preset", preset, *overrides, "--json"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"moetrain config failed: {r.stderr}")
    return json.loads(r.stdout)["flags"]


def synthetic_batches(binary, preset, overrides, count):
    """`count` training sequences of the synthetic corpus (all domains)."""
    per_domain = (count + 3) // 4
    r = subprocess.run([binary, "tokenize", "--preset", preset, *overrides, "--samples", str(per_domain), "--json"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"moetrain tokenize failed: {r.stderr}")
    samples = json.loads(r.stdout)["samples"]
    samples.sort(key=lambda s: s["index"])
    return [s["ids"] for s in samples[:count]]


def side_env(threads, wait_policy):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    if wait_policy != "default":
        env["OMP_WAIT_POLICY"] = wait_policy.upper()
    return env


def run_moetrain(binary, preset, overrides, flags, steps, warmup, threads, work_dir, wait_policy):
    run_dir = os.path.join(work_dir, "moetrain-run")
    shutil.rmtree(run_dir, ignore_errors=True)
    total = warmup + steps
    cmd = [binary, "train", "--run-dir", run_dir, "--preset", preset, *overrides,
           f"--max-steps={total}", "--train-tokens=0", "--warmup-steps=0", "--decay-steps=0", "--val-every=0",
           "--router-stats-every=0", "--checkpoint-every=0", "--keep-checkpoints=1", "--log-every=1",
           f"--cpu-threads={threads}", "--device=cpu", "--dtype=float32"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=side_env(threads, wait_policy))
    if r.returncode != 0:
        sys.exit(f"moetrain train failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    tokens_per_step = flags["micro-batch-size"] * flags["grad-accum-steps"] * flags["seq-len"]
    times = []
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            rec = json.loads(line)
            if rec["type"] == "step" and rec["step"] > warmup:
                times.append(tokens_per_step / rec["tokens_per_s"])
    shutil.rmtree(run_dir, ignore_errors=True)
    if len(times) != steps:
        sys.exit(f"expected {steps} timed moetrain steps, found {len(times)}")
    return times


def run_hf(flags, batches, steps, warmup, threads, work_dir, wait_policy):
    spec = os.path.join(work_dir, "hf-spec.json")
    with open(spec, "w") as f:
        json.dump({"flags": flags, "batches": batches, "steps": steps, "warmup": warmup, "threads": threads}, f)
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--hf-worker", spec], capture_output=True, text=True,
                       env=side_env(threads, wait_policy))
    if r.returncode != 0:
        sys.exit(f"HF worker failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def hf_worker(spec_path):
    """Trains JetMoeForCausalLM with torch.optim.AdamW; prints step times as JSON."""
    import torch
    from transformers import JetMoeConfig, JetMoeForCausalLM

    spec = json.load(open(spec_path))
    fl = spec["flags"]
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(fl["seed"])
    config = JetMoeConfig(
        vocab_size=fl["vocab-size"], hidden_size=fl["hidden-size"], num_hidden_layers=fl["num-layers"],
        num_key_value_heads=fl["num-kv-heads"], kv_channels=fl["head-dim"],
        intermediate_size=fl["intermediate-size"], num_local_experts=fl["num-experts"],
        num_experts_per_tok=fl["top-k"], max_position_embeddings=fl["max-seq-len"],
        rms_norm_eps=fl["rms-norm-eps"], tie_word_embeddings=fl["tie-embeddings"],
        initializer_range=fl["init-std"], use_cache=False,
        rope_parameters={"rope_type": "default", "rope_theta": fl["rope-theta"]})
    model = JetMoeForCausalLM(config).float().train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=fl["lr"], betas=(fl["beta1"], fl["beta2"]),
                                  eps=fl["adam-eps"], weight_decay=fl["weight-decay"])
    B = fl["micro-batch-size"]
    batches = torch.tensor(spec["batches"], dtype=torch.long)
    times = []
    for step in range(spec["warmup"] + spec["steps"]):
        ids = batches[(step * B) % len(batches):][:B]
        start = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        if fl["clip-grad"] > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), fl["clip-grad"])
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss_value = loss.item()
        if step >= spec["warmup"]:
            times.append(time.perf_counter() - start)
    print(json.dumps({"times": times, "attn_implementation": model.config._attn_implementation,
                      "last_loss": loss_value, "torch": torch.__version__}))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--hf-worker":
        hf_worker(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moetrain", default=os.path.join(REPO, "native", "build", "moetrain"))
    parser.add_argument("--preset", default="jetmoe-small")
    parser.add_argument("--steps", type=int, default=4, help="timed optimizer steps per round")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps before them")
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads of both sides")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--num-layers", type=int, help="fewer layers than the preset (a slice of the model)")
    parser.add_argument("--micro-batch-size", type=int)
    parser.add_argument("--seq-len", type=int)
    parser.add_argument("--work-dir")
    parser.add_argument("--omp-wait-policy", choices=["default", "passive", "active"], default="default",
                        help="default: each side as shipped (moetrain passive, PyTorch libgomp's spinning)")
    args = parser.parse_args()
    if args.omp_wait_policy == "default" and "OMP_WAIT_POLICY" in os.environ:
        args.omp_wait_policy = os.environ["OMP_WAIT_POLICY"].lower()
    policy = ("moetrain passive, HF libgomp default" if args.omp_wait_policy == "default"
              else f"{args.omp_wait_policy} on both sides")

    overrides = []
    for name in ("num-layers", "micro-batch-size", "seq-len"):
        value = getattr(args, name.replace("-", "_"))
        if value is not None:
            overrides.append(f"--{name}={value}")
    flags = moetrain_config(args.moetrain, args.preset, overrides)
    tokens = flags["micro-batch-size"] * flags["grad-accum-steps"] * flags["seq-len"]
    if flags["grad-accum-steps"] != 1:
        sys.exit("the HF loop has no gradient accumulation: use a preset with --grad-accum-steps=1")
    work_dir = args.work_dir or tempfile.mkdtemp(prefix="moe-bench-")
    os.makedirs(work_dir, exist_ok=True)
    batches = synthetic_batches(args.moetrain, args.preset, overrides,
                                flags["micro-batch-size"] * (args.warmup + args.steps))
    shape = (f"V={flags['vocab-size']} H={flags['hidden-size']} L={flags['num-layers']} G={flags['num-kv-heads']} "
             f"D={flags['head-dim']} I={flags['intermediate-size']} E={flags['num-experts']} k={flags['top-k']}")
    print(f"preset {args.preset}: {shape}; batch {flags['micro-batch-size']} x {flags['seq-len']} = {tokens} tokens; "
          f"fp32, {args.threads} threads, OpenMP wait: {policy}; "
          f"{args.warmup} warm-up + {args.steps} timed steps x {args.rounds} rounds",
          flush=True)

    rounds = []
    for r in range(args.rounds):
        mt = run_moetrain(args.moetrain, args.preset, overrides, flags, args.steps, args.warmup, args.threads,
                          work_dir, args.omp_wait_policy)
        hf = run_hf(flags, batches, args.steps, args.warmup, args.threads, work_dir, args.omp_wait_policy)
        row = {"round": r + 1,
               "moetrain_tok_s": tokens * len(mt) / sum(mt), "moetrain_step_s": mt,
               "hf_tok_s": tokens * len(hf["times"]) / sum(hf["times"]), "hf_step_s": hf["times"],
               "hf_attn": hf["attn_implementation"]}
        row["ratio"] = row["moetrain_tok_s"] / row["hf_tok_s"]
        rounds.append(row)
        print(f"round {r + 1}: moetrain {row['moetrain_tok_s']:8.0f} tok/s  (steps "
              f"{', '.join(f'{t:.2f}' for t in mt)} s)   HF {row['hf_tok_s']:8.0f} tok/s  (steps "
              f"{', '.join(f'{t:.2f}' for t in hf['times'])} s, attention {hf['attn_implementation']})   "
              f"ratio {row['ratio']:.2f}", flush=True)

    best_mt = max(r["moetrain_tok_s"] for r in rounds)
    best_hf = max(r["hf_tok_s"] for r in rounds)
    summary = {"preset": args.preset, "config": shape, "tokens_per_step": tokens, "threads": args.threads,
               "omp_wait_policy": policy,
               "moetrain_tok_s": best_mt, "hf_tok_s": best_hf, "ratio": best_mt / best_hf,
               "median_round_ratio": statistics.median(r["ratio"] for r in rounds), "rounds": rounds}
    print(f"best of {args.rounds}: moetrain {best_mt:.0f} tok/s, HF transformers {best_hf:.0f} tok/s, "
          f"ratio {best_mt / best_hf:.2f} (median per-round ratio {summary['median_round_ratio']:.2f})")
    print(json.dumps(summary))
    if not args.work_dir:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
