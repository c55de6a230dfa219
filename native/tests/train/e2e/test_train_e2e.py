#!/usr/bin/env python3
"""End-to-end tests of `moetrain train`, `eval` and `plan` as the workbench uses
them: the real binary, real signals (SIGTERM, SIGKILL), the metrics stream read
with Python's json module, checkpoints checked with hashlib and torch.load.

usage: test_train_e2e.py --binary PATH --presets-dir DIR --work-dir DIR SCENARIO
"""

import argparse
import math
import os
import random
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (  # noqa: E402
    SMALL_MODEL, SMALL_TRAIN, Env, Failure, attempts, check, checkpoints, kill9, lines_of, load_pt, of_type,
    read_records, snapshot, verify_manifest, wait_for,
)

# Fields of a step record that depend on wall-clock time or the process, not on the computation.
TIMING_FIELDS = {"time", "elapsed", "tokens_per_s", "mfu", "mem_bytes"}
DOMAINS = {"arithmetic", "dyck", "copy", "grammar"}


def step_values(records):
    return {r["step"]: {k: v for k, v in r.items() if k not in TIMING_FIELDS} for r in of_type(records, "step")}


# ---------------------------------------------------------------------------


def bad_flags_write_nothing(env):
    """Bad flags, configuration and paths exit non-zero naming the flag, and leave
    an existing run directory byte-for-byte untouched."""
    run_dir = env.fresh_dir("bad-flags")
    env.train(run_dir, "--max-steps=2", "--checkpoint-every=1")
    a_file = os.path.join(env.work_dir, "a-file")
    open(a_file, "w").close()
    before = snapshot(run_dir)
    cases = [
        (["--hidden-size=abc"], 2, "--hidden-size"),
        (["--hiden-size=64"], 2, "did you mean --hidden-size"),
        (["--top-k=5"], 2, "--top-k"),
        (["--data=/nonexistent/tokens.bin"], 2, "--data"),
        (["--resume=none"], 2, "--resume"),
        (["--resume=/nonexistent/step-00000001"], 2, "--resume"),
        (["--fork-from=/nonexistent/step-00000001"], 2, "--fork-from"),
        (["--val-every=5", "--val-tokens=0"], 2, "--val-tokens"),
        (["--device=cuda"], 2, "--device"),
        (["--warmup-steps=0", "--warmup-tokens=100000"], 2, "--warmup-tokens"),
        (["--min-lr=1", "--lr=0.1"], 2, "--min-lr"),
    ]
    for extra, code, needle in cases:
        r = env.run("train", f"--run-dir={run_dir}", *SMALL_MODEL, *SMALL_TRAIN, "--max-steps=3", *extra)
        check(r.returncode == code, f"{extra}: exit {r.returncode}, expected {code}; stderr: {r.stderr}")
        check(needle in r.stderr, f"{extra}: stderr does not mention {needle!r}: {r.stderr}")
        check(r.stdout == "", f"{extra}: printed to stdout: {r.stdout}")
        check(snapshot(run_dir) == before, f"{extra}: the run directory changed")
    # A corrupt checkpoint named by --resume: exit 1 saying why, still nothing written.
    ckpt = checkpoints(run_dir)[-1][1]
    with open(os.path.join(ckpt, "trainer.pt"), "r+b") as f:
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 0xFF]))
    before = snapshot(run_dir)
    r = env.run("train", f"--run-dir={run_dir}", *SMALL_MODEL, *SMALL_TRAIN, "--max-steps=3", f"--resume={ckpt}")
    check(r.returncode == 1 and "checksum" in r.stderr, f"corrupt --resume: exit {r.returncode}, stderr {r.stderr}")
    check(snapshot(run_dir) == before, "corrupt --resume: the run directory changed")
    # Paths: a file as run dir, no run dir, a missing run dir is not created on errors.
    for args, needle in [([f"--run-dir={a_file}"], "--run-dir"), ([], "--run-dir")]:
        r = env.run("train", *args, *SMALL_MODEL, *SMALL_TRAIN, "--max-steps=3")
        check(r.returncode == 2 and needle in r.stderr, f"{args}: exit {r.returncode}, stderr {r.stderr}")
    missing = os.path.join(env.work_dir, "never-created")
    r = env.run("train", f"--run-dir={missing}", *SMALL_MODEL, *SMALL_TRAIN, "--top-k=9")
    check(r.returncode == 2 and not os.path.exists(missing), "a bad flag created the run directory")


def overfit_one_batch(env):
    """With one fixed batch of random tokens the loss falls far below its start."""
    run_dir = env.fresh_dir("overfit")
    rng = random.Random(11)
    tokens = [rng.randrange(256) for _ in range(4 * 32)]  # exactly one micro-batch of 4 x 32
    path = os.path.join(run_dir, "batch.bin")
    with open(path, "wb") as f:
        f.write(struct.pack(f"<{len(tokens)}H", *tokens))
    env.train(run_dir, f"--data={path}", "--token-dtype=uint16", "--hidden-size=64", "--intermediate-size=64",
              "--lr=1e-2", "--min-lr=1e-3", "--warmup-steps=0", "--weight-decay=0", "--max-steps=80")
    losses = [r["lm_loss"] for r in of_type(read_records(run_dir), "step")]
    check(len(losses) == 80, f"{len(losses)} step records")
    check(losses[0] > 0.9 * math.log(256), f"first loss {losses[0]} is not near ln(256): not a fresh model")
    check(losses[-1] < 0.1 * losses[0], f"loss went from {losses[0]:.3f} to {losses[-1]:.3f}: did not fit the batch")


def metrics_stream_is_valid(env):
    """Every line is JSON, headers open each attempt, steps increase, router loads
    and importances sum to 1, checkpoints match their MANIFEST and load in Python."""
    run_dir = env.fresh_dir("metrics")
    common = ["--router-stats-every=5", "--val-every=10", "--val-tokens=256", "--checkpoint-every=10",
              "--keep-checkpoints=2"]
    env.train(run_dir, *common, "--max-steps=20")
    env.train(run_dir, *common, "--max-steps=30")  # second attempt: resumes at 20
    records = read_records(run_dir)
    check(records[0]["type"] == "header", "the first record is not a header")
    runs = attempts(records)
    check([h["attempt"] for h, _ in runs] == [1, 2], f"attempts {[h['attempt'] for h, _ in runs]}")
    check(runs[0][0]["resume"] is None, "a fresh start has resume")
    check(runs[1][0]["resume"] == {"step": 20, "checkpoint": "checkpoints/step-00000020"}, f"{runs[1][0]['resume']}")
    for header, _ in runs:
        check(header["schema"] == 1 and header["run_id"] == "e2e", f"header {header}")
        check(header["config"]["hidden-size"] == 32 and header["config"]["seed"] == 7, "config is not by flag name")
        for key in ("total", "active", "active_with_embedding", "flops_per_token"):
            check(key in header["params"], f"header.params lacks {key}")
    required = {
        "step": {"step", "tokens", "time", "elapsed", "loss", "lm_loss", "aux_loss", "z_loss", "lr", "grad_norm",
                 "tokens_per_s", "mfu", "mem_bytes", "skipped", "nonfinite_total"},
        "router": {"step", "tokens", "layers"},
        "val": {"step", "tokens", "loss", "ppl", "tokens_evaluated", "by_domain"},
        "checkpoint": {"step", "tokens", "path", "bytes", "loss", "val_loss", "reason"},
        "status": {"state", "step", "tokens", "time", "message"},
        "event": {"step", "time", "kind", "message"},
    }
    for r in records:
        missing = required.get(r["type"], set()) - set(r)
        check(not missing, f"{r['type']} record lacks {missing}: {r}")
    for (header, body), first_step in zip(runs, (1, 21)):
        steps = [r["step"] for r in body if r["type"] == "step"]
        check(steps == list(range(first_step, first_step + len(steps))), f"steps {steps}")
        check(body[-1]["type"] == "status" and body[-1]["state"] == "completed", f"last record {body[-1]}")
    for s in of_type(records, "step"):
        check(s["tokens"] == s["step"] * 4 * 32, f"tokens {s['tokens']} at step {s['step']}")
        check(abs(s["loss"] - (s["lm_loss"] + 0.01 * (s["aux_loss"] + 0.1 * s["z_loss"]))) < 1e-4,
              f"loss is not lm + 0.01*(aux + 0.1*z): {s}")
    routers = of_type(records, "router")
    check([r["step"] for r in routers] == [5, 10, 15, 20, 25, 30], f"router steps {[r['step'] for r in routers]}")
    for r in routers:
        check([(l["layer"], l["kind"]) for l in r["layers"]] == [(0, "attn"), (0, "mlp")], f"layers {r['layers']}")
        for l in r["layers"]:
            check(len(l["load"]) == 4 and abs(sum(l["load"]) - 1) < 1e-9, f"load {l['load']}")
            check(abs(sum(l["importance"]) - 1) < 1e-6, f"importance {l['importance']}")
            check(abs(l["entropy"] + sum(x * math.log(x) for x in l["load"] if x > 0)) < 1e-9, "entropy")
            check(l["max_over_mean"] >= 1 and l["cv"] >= 0, f"{l}")
            check(set(l["by_domain"]) <= DOMAINS and l["by_domain"], f"by_domain {l['by_domain']}")
            for name, load in l["by_domain"].items():
                check(abs(sum(load) - 1) < 1e-9, f"by_domain {name} sums to {sum(load)}")
    vals = of_type(records, "val")
    check([v["step"] for v in vals] == [10, 20, 30], f"val steps {[v['step'] for v in vals]}")
    for v in vals:
        check(set(v["by_domain"]) == DOMAINS and abs(v["ppl"] - math.exp(v["loss"])) < 1e-9 * v["ppl"], f"{v}")
        check(v["tokens_evaluated"] == 8 * 31, f"tokens_evaluated {v['tokens_evaluated']}")
    ckpts = of_type(records, "checkpoint")
    check([(c["step"], c["reason"]) for c in ckpts] == [(10, "interval"), (20, "interval"), (30, "interval")],
          f"checkpoints {[(c['step'], c['reason']) for c in ckpts]}")
    deleted = [e for e in of_type(records, "event") if e["kind"] == "checkpoint_deleted"]
    check(len(deleted) == 1 and "step-00000010" in deleted[0]["message"], f"retention events {deleted}")
    left = checkpoints(run_dir)
    check([s for s, _, complete in left if complete] == [20, 30], f"checkpoints left {left}")
    fields = verify_manifest(left[-1][1])
    check(fields["step"] == "30" and fields["tokens"] == str(30 * 128), f"MANIFEST fields {fields}")
    model = load_pt(os.path.join(left[-1][1], "model.pt"))
    names = {
        "model.embed_tokens.weight": (256, 32), "model.norm.weight": (32,),
        "model.layers.0.self_attention.kv_proj.weight": (32, 32),
        "model.layers.0.self_attention.experts.input_linear.weight": (4, 16, 32),
        "model.layers.0.self_attention.experts.output_linear.weight": (4, 32, 16),
        "model.layers.0.mlp.input_linear.weight": (4, 96, 32), "model.layers.0.mlp.output_linear.weight": (4, 32, 48),
    }
    check(len(model) == 13 and "lm_head.weight" not in model, f"model.pt holds {sorted(model)}")
    for name, shape in names.items():
        check(tuple(model[name].shape) == shape, f"{name}: {tuple(model[name].shape)}")
    trainer = load_pt(os.path.join(left[-1][1], "trainer.pt"))
    check(trainer["step"] == 30 and trainer["data.cursor"] == 30 * 4, f"trainer.pt {trainer['step']} {trainer['data.cursor']}")
    with open(os.path.join(run_dir, "heartbeat")) as f:
        import json
        beat = json.load(f)
    check(beat["step"] == 30 and beat["phase"] in ("stopping", "train"), f"heartbeat {beat}")


def plan_matches_train_schedule(env):
    """plan --json gives the learning rate train uses at every step, for every decay
    form, matching the WSD formula computed here; plan reports all bad flags."""
    peak, floor, warmup, decay, total = 3e-3, 3e-4, 4, 10, 24
    for form in ("exponential", "linear", "cosine", "1-sqrt"):
        flags = [*SMALL_MODEL, *SMALL_TRAIN, f"--decay-form={form}", f"--warmup-steps={warmup}",
                 f"--decay-steps={decay}", f"--max-steps={total}"]
        r = env.run("plan", "--json", "--curve-points=1000", *flags)
        check(r.returncode == 0, f"plan failed: {r.stderr}")
        import json
        plan = json.loads(r.stdout)
        curve = {step: lr for step, lr in plan["lr_curve"]}
        check(sorted(curve) == list(range(1, total + 1)), f"curve steps {sorted(curve)}")
        check(plan["total_steps"] == total and plan["tokens_per_step"] == 128, f"{plan['total_steps']}")
        for step, lr in curve.items():
            if step <= warmup:
                want = floor + (peak - floor) * step / warmup
            elif step <= total - decay:
                want = peak
            else:
                p = (step - (total - decay)) / decay
                want = {"exponential": peak * (floor / peak) ** p, "linear": floor + (peak - floor) * (1 - p),
                        "cosine": floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * p)),
                        "1-sqrt": floor + (peak - floor) * (1 - math.sqrt(p))}[form]
            check(abs(lr - want) <= 1e-12 * peak, f"{form} step {step}: plan {lr}, formula {want}")
        run_dir = env.fresh_dir(f"plan-{form}")
        env.train(run_dir, f"--decay-form={form}", f"--warmup-steps={warmup}", f"--decay-steps={decay}",
                  f"--max-steps={total}")
        used = {s["step"]: s["lr"] for s in of_type(read_records(run_dir), "step")}
        check(used == curve, f"{form}: train used {used}, plan said {curve}")
    # Every bad flag at once, as JSON, exit 2.
    r = env.run("plan", "--json", *SMALL_MODEL, "--hiden-size=3", "--lr=abc", "--num-experts=0", "--world-size=x")
    check(r.returncode == 2, f"plan with bad flags exited {r.returncode}")
    import json
    errors = json.loads(r.stdout)["errors"]
    flags = sorted(e["flag"] for e in errors)
    check(flags == ["hiden-size", "lr", "num-experts", "world-size"], f"errors name {flags}")
    check(all(e["message"] and e["hint"] for e in errors), f"errors without message or hint: {errors}")
    # A combination error, and memory that adds up and scales with the micro-batch.
    r = env.run("plan", "--json", *SMALL_MODEL, "--top-k=5")
    check(r.returncode == 2 and json.loads(r.stdout)["errors"][0]["flag"] == "top-k", r.stdout)
    mem = []
    for mbs in (4, 8):
        r = env.run("plan", "--json", "--preset=jetmoe-8b", f"--presets-dir={env.presets_dir}",
                    f"--micro-batch-size={mbs}", "--world-size=96")
        check(r.returncode == 0, r.stderr)
        p = json.loads(r.stdout)
        m = p["memory"]
        parts = ("weights", "master_weights", "grads", "optimizer", "activations", "logits", "runtime")
        check(m["total"] == sum(m[k] for k in parts), f"memory parts do not add up: {m}")
        check(m["weights"] == 2 * p["params"]["total"] and m["optimizer"] == 8 * p["params"]["total"], f"{m}")
        check(p["params"]["total"] == 8522237952, f"JetMoE-8B has {p['params']['total']} parameters")
        mem.append(m)
    check(mem[1]["activations"] == 2 * mem[0]["activations"] and mem[1]["weights"] == mem[0]["weights"],
          "activations do not scale with the micro-batch")


def nonfinite_skip_and_stop(env):
    """An injected NaN skips its step with weights and moments unchanged; N in a row
    stops the run with exit code 3 and a checkpoint of the last good weights."""
    import torch
    run_dir = env.fresh_dir("nonfinite")
    env.train(run_dir, "--max-steps=7", "--checkpoint-every=1", "--keep-checkpoints=20",
              env={"MOETRAIN_TEST_INJECT_NONFINITE": "5"})
    records = read_records(run_dir)
    steps = {s["step"]: s for s in of_type(records, "step")}
    check(steps[5]["skipped"] and steps[5]["nonfinite_total"] == 1 and steps[5]["loss"] is None, f"{steps[5]}")
    check(not steps[6]["skipped"] and steps[6]["nonfinite_total"] == 1, f"{steps[6]}")
    events = [e for e in of_type(records, "event") if e["kind"] == "nonfinite"]
    check(len(events) == 1 and events[0]["step"] == 5, f"nonfinite events {events}")
    ck = {s: p for s, p, _ in checkpoints(run_dir)}

    def same(a, b, name):
        ta, tb = load_pt(os.path.join(ck[a], name)), load_pt(os.path.join(ck[b], name))
        return ta.keys() == tb.keys() and all(torch.equal(ta[k], tb[k]) for k in ta)

    check(same(4, 5, "model.pt"), "weights changed on the skipped step")
    check(same(4, 5, "optimizer.pt"), "optimizer state changed on the skipped step")
    check(not same(5, 6, "model.pt"), "the step after the skip did not update the weights")
    check(load_pt(os.path.join(ck[5], "trainer.pt"))["optimizer_step"] == 4, "the skipped step counted as an update")

    run_dir = env.fresh_dir("nonfinite-stop")
    r = env.train(run_dir, "--max-steps=20", "--checkpoint-every=1", "--keep-checkpoints=20",
                  "--max-consecutive-nonfinite=3", env={"MOETRAIN_TEST_INJECT_NONFINITE": "3,4,5"}, expect=3)
    records = read_records(run_dir)
    status = records[-1]
    check(status["type"] == "status" and status["state"] == "failed" and status["step"] == 5, f"{status}")
    check("--max-consecutive-nonfinite" in status["message"], status["message"])
    check(max(s["step"] for s in of_type(records, "step")) == 5, "training went on after the limit")
    last = of_type(records, "checkpoint")[-1]
    check(last["step"] == 5 and last["reason"] == "nonfinite", f"{last}")
    ck = {s: p for s, p, _ in checkpoints(run_dir)}
    check(same(2, 5, "model.pt"), "the stop checkpoint does not hold the last good weights")
    check(load_pt(os.path.join(ck[5], "trainer.pt"))["data.cursor"] == 5 * 4, "data position is not past the bad batches")


def sigterm_checkpoints_and_stops(env):
    """SIGTERM: the current step finishes, a checkpoint is written, the status record
    says stopped, the exit code is 0, and a resume continues from that checkpoint."""
    run_dir = env.fresh_dir("sigterm")
    proc = env.start("train", f"--run-dir={run_dir}", "--run-id=e2e-term", *SMALL_MODEL, *SMALL_TRAIN,
                     "--max-steps=1000000", log_path=os.path.join(run_dir, "trainer.log"))
    wait_for(lambda: any(r["type"] == "step" and r["step"] >= 3 for r in lines_of(run_dir)), 120, "step 3")
    with open(f"/proc/{proc.pid}/cmdline", "rb") as f:
        check(b"e2e-term" in f.read(), "the run id is not on the command line")
    # The heartbeat thread rewrites the file every --heartbeat-every (0.2 s) seconds.
    import json
    beats = set()

    def three_beats():
        with open(os.path.join(run_dir, "heartbeat")) as f:
            beat = json.load(f)
        check(beat["phase"] == "train", f"heartbeat {beat}")
        beats.add(beat["time"])
        return len(beats) >= 3

    wait_for(three_beats, 30, "three distinct heartbeats", interval=0.05)
    proc.send_signal(signal.SIGTERM)
    check(proc.wait(timeout=60) == 0, f"exit code {proc.returncode} after SIGTERM")
    records = read_records(run_dir)
    status = records[-1]
    check(status["type"] == "status" and status["state"] == "stopped", f"last record {status}")
    ck = of_type(records, "checkpoint")[-1]
    check(ck["reason"] == "signal" and ck["step"] == status["step"], f"{ck} vs {status}")
    check(any(e["kind"] == "signal" and "SIGTERM" in e["message"] for e in of_type(records, "event")), "no signal event")
    verify_manifest(os.path.join(run_dir, ck["path"]))
    with open(os.path.join(run_dir, "heartbeat")) as f:
        check('"phase":"stopping"' in f.read(), "heartbeat phase is not stopping")
    env.train(run_dir, f"--max-steps={status['step'] + 2}")
    header = of_type(read_records(run_dir), "header")[-1]
    check(header["resume"]["step"] == status["step"] and header["attempt"] == 2, f"{header['resume']}")


def resume_is_bit_exact_after_kill(env):
    """N steps straight equal N/2 steps, kill -9, resume, N/2 more: identical step,
    router and validation records in deterministic mode."""
    total, half = 40, 20
    flags = ["--deterministic", "--hidden-size=64", "--intermediate-size=96", "--micro-batch-size=8",
             "--grad-accum-steps=2", "--router-stats-every=5", "--val-every=10", "--val-tokens=512",
             "--decay-steps=10", f"--checkpoint-every={half}", f"--max-steps={total}"]
    straight = env.fresh_dir("exact-straight")
    env.train(straight, *flags)
    killed = env.fresh_dir("exact-killed")
    proc = env.start("train", f"--run-dir={killed}", "--run-id=e2e", *SMALL_MODEL, *SMALL_TRAIN, *flags)
    wait_for(lambda: any(r["type"] == "checkpoint" and r["step"] == half for r in lines_of(killed)), 120,
             f"the checkpoint at step {half}")
    kill9(proc)
    first = read_records(killed)
    check(not of_type(first, "status"), "the run finished before it could be killed")
    check(max(s["step"] for s in of_type(first, "step")) < total, "the killed run reached the end")
    env.train(killed, *flags)
    records = read_records(killed)
    runs = attempts(records)
    check(len(runs) == 2 and runs[1][0]["resume"]["step"] == half, f"resume {runs[-1][0]['resume']}")

    def merged(kind, key):
        out = {r[key]: r for r in runs[0][1] if r["type"] == kind and r[key] <= half}
        out.update({r[key]: r for r in runs[1][1] if r["type"] == kind})
        return out

    a = step_values(read_records(straight))
    b = {s: {k: v for k, v in r.items() if k not in TIMING_FIELDS} for s, r in merged("step", "step").items()}
    check(sorted(a) == list(range(1, total + 1)) and sorted(b) == sorted(a), f"steps {sorted(b)}")
    for step in a:
        check(a[step] == b[step], f"step {step} differs:\n straight {a[step]}\n resumed  {b[step]}")
    for kind in ("router", "val"):
        sa = {r["step"]: r for r in of_type(read_records(straight), kind)}
        sb = merged(kind, "step")
        check(sa == sb, f"{kind} records differ after the resume")


def kill_during_checkpoint_writes(env):
    """kill -9 at random moments with a checkpoint every step: every restart resumes
    from the newest complete checkpoint, none is ever found corrupt."""
    run_dir = env.fresh_dir("kill-loop")
    rng = random.Random(5)
    flags = [*SMALL_MODEL, *SMALL_TRAIN, "--checkpoint-every=1", "--keep-checkpoints=2", "--log-every=50",
             "--max-steps=1000000"]
    kills, during_write, resumed = 0, 0, 0
    for attempt in range(1, 21):
        complete = [s for s, _, c in checkpoints(run_dir) if c]
        expected = max(complete) if complete else None
        proc = env.start("train", f"--run-dir={run_dir}", "--run-id=e2e", *flags)
        header = wait_for(lambda: [r for r in lines_of(run_dir) if r["type"] == "header" and r["attempt"] == attempt],
                          120, f"the header of attempt {attempt}")[0]
        got = header["resume"]["step"] if header["resume"] else None
        check(got == expected, f"attempt {attempt} resumed from {got}, the newest complete checkpoint is {expected}")
        resumed += got is not None
        time.sleep(rng.uniform(0.0, 0.4))
        kill9(proc)
        kills += 1
        root = os.path.join(run_dir, "checkpoints")
        if any(n.startswith(".tmp-") for n in os.listdir(root)) or any(not c for _, _, c in checkpoints(run_dir)):
            during_write += 1
    records = read_records(run_dir)
    bad = [e for e in of_type(records, "event") if e["kind"] == "checkpoint_invalid"]
    check(not bad, f"a complete checkpoint was found corrupt: {bad}")
    check(resumed >= 5, f"only {resumed} of {kills} starts resumed")
    check(during_write >= 2, f"only {during_write} of {kills} kills landed during a checkpoint write")
    print(f"{kills} kills, {during_write} during a checkpoint write, {resumed} resumes")
    newest = max(s for s, _, c in checkpoints(run_dir) if c)
    r = env.run("train", f"--run-dir={run_dir}", "--run-id=e2e", *flags[:-1], f"--max-steps={newest + 2}")
    check(r.returncode == 0, f"final run exited {r.returncode}: {r.stderr}")
    for step, path, complete in checkpoints(run_dir):
        check(complete, f"{path} is incomplete after a clean run")
        verify_manifest(path)
    check(not [n for n in os.listdir(os.path.join(run_dir, "checkpoints")) if n.startswith(".tmp-")], "temporaries left")


def corrupt_checkpoint_falls_back(env):
    """A flipped byte in the newest checkpoint fails its checksum: resume reports it
    and falls back to the previous checkpoint, then replaces the bad one."""
    run_dir = env.fresh_dir("corrupt")
    env.train(run_dir, "--max-steps=6", "--checkpoint-every=2", "--keep-checkpoints=3")
    newest = checkpoints(run_dir)[-1][1]
    check(newest.endswith("step-00000006"), newest)
    path = os.path.join(newest, "model.pt")
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.seek(size // 2)
        byte = f.read(1)
        f.seek(size // 2)
        f.write(bytes([byte[0] ^ 0x01]))
    env.train(run_dir, "--max-steps=8", "--checkpoint-every=2", "--keep-checkpoints=3")
    records = read_records(run_dir)
    header = of_type(records, "header")[-1]
    check(header["resume"]["step"] == 4, f"resumed from {header['resume']}")
    events = [e for e in attempts(records)[-1][1] if e["type"] == "event"]
    invalid = [e for e in events if e["kind"] == "checkpoint_invalid"]
    check(len(invalid) == 1 and "step-00000006" in invalid[0]["message"] and "checksum" in invalid[0]["message"],
          f"events {events}")
    check(any(e["kind"] == "checkpoint_deleted" and "step-00000006" in e["message"] for e in events),
          "the corrupt checkpoint was not replaced")
    verify_manifest(newest)


def fork_and_eval(env):
    """--fork-from starts a new run from another run's weights with its own schedule
    (decay from step 0); eval reproduces the training run's validation loss."""
    import json
    source = env.fresh_dir("fork-source")
    env.train(source, "--max-steps=30", "--val-every=30", "--val-tokens=512", "--checkpoint-every=30")
    src_records = read_records(source)
    val = of_type(src_records, "val")[-1]
    ckpt = os.path.join(source, "checkpoints", "step-00000030")
    r = env.run("eval", f"--checkpoint={ckpt}", "--json")
    check(r.returncode == 0, f"eval failed: {r.stderr}")
    ev = json.loads(r.stdout)
    check(ev["step"] == 30 and ev["tokens_evaluated"] == val["tokens_evaluated"], f"{ev}")
    check(abs(ev["loss"] - val["loss"]) < 1e-6 and set(ev["by_domain"]) == DOMAINS, f"eval {ev} vs val {val}")
    r = env.run("eval", f"--checkpoint={ckpt}", "--val-tokens=0", "--json")
    check(r.returncode == 2 and json.loads(r.stdout)["errors"][0]["flag"] == "val-tokens", r.stdout + r.stderr)

    fork = env.fresh_dir("fork")
    env.train(fork, f"--fork-from={ckpt}", "--fork-optimizer", "--warmup-steps=0", "--decay-start-steps=0",
              "--decay-steps=5", "--max-steps=5", "--lr=3e-3", "--min-lr=3e-4")
    records = read_records(fork)
    header = records[0]
    check(header["resume"] is None and header["fork"]["step"] == 30 and header["fork"]["optimizer"], f"{header}")
    check(header["fork"]["data_position"], "the fork re-reads the source run's data")
    steps = of_type(records, "step")
    check(abs(steps[0]["lr"] - 3e-3 * 0.1 ** (1 / 5)) < 1e-15, f"lr at step 1 {steps[0]['lr']}: decay did not start at 0")
    src_last = of_type(src_records, "step")[-1]["lm_loss"]
    check(steps[0]["lm_loss"] < src_last + 0.3 and steps[0]["lm_loss"] < 0.8 * math.log(256),
          f"first forked loss {steps[0]['lm_loss']} vs source {src_last}: weights were not loaded")
    check(steps[0]["step"] == 1 and steps[-1]["step"] == 5, "the fork does not count steps from 0")


def tiny_preset_learns(env):
    """The jetmoe-tiny preset on the synthetic corpus gets below a documented loss
    within a fixed step budget (docs/trainer-cli.md, "The tiny preset")."""
    budget, threshold = 100, 2.1  # validation loss in nats (ln 256 = 5.55 at the start; 1.84 seen)
    run_dir = env.fresh_dir("tiny")
    r = env.run("train", f"--run-dir={run_dir}", f"--presets-dir={env.presets_dir}", "--preset=jetmoe-tiny",
                f"--max-steps={budget}", "--decay-steps=30", "--val-every=50", "--checkpoint-every=0",
                "--cpu-threads=1", timeout=280)
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr[-2000:]}")
    vals = of_type(read_records(run_dir), "val")
    print("validation losses:", [(v["step"], round(v["loss"], 3)) for v in vals])
    check(vals[-1]["step"] == budget and vals[-1]["loss"] < threshold,
          f"validation loss {vals[-1]['loss']:.3f} after {budget} steps is not below {threshold}")


# ---------------------------------------------------------------------------
# Data mixtures, the phase switch, resuming from an older checkpoint, retention


def write_token_file(path, count, seed):
    rng = random.Random(seed)
    with open(path, "wb") as f:
        f.write(struct.pack(f"<{count}H", *[rng.randrange(256) for _ in range(count)]))
    return path


def samples_by_step(records):
    return {s["step"]: s.get("samples") for s in of_type(records, "step")}


def mixture_proportions_and_resume(env):
    """--data-mix of a synthetic domain and a token file: the sources are read in
    the weights' proportions, validation reports each source, and a resume in the
    middle is bit-exact (samples, losses, validation), so the draws are a function
    of the seed and the position."""
    import json
    work = env.fresh_dir("mix-data")
    tokens = write_token_file(os.path.join(work, "tokens.bin"), 200 * 32, 3)
    mix = f"--data-mix=synthetic:arithmetic=3,{tokens}=1"
    flags = ["--deterministic", mix, "--micro-batch-size=8", "--grad-accum-steps=2", "--val-every=10",
             "--val-tokens=64", "--checkpoint-every=10", "--max-steps=20"]
    straight = env.fresh_dir("mix-straight")
    env.train(straight, *flags)
    records = read_records(straight)
    header = records[0]
    check(header["run"]["train_data"].startswith("mixture synthetic:arithmetic=0.75,"), f"{header['run']}")
    counts = {}
    for step, samples in samples_by_step(records).items():
        check(samples is not None and set(samples) == {"synthetic:arithmetic", tokens}, f"step {step}: {samples}")
        check(sum(samples.values()) == 16, f"step {step} read {sum(samples.values())} sequences, not 16")
        for name, n in samples.items():
            counts[name] = counts.get(name, 0) + n
    share = counts["synthetic:arithmetic"] / 320
    check(abs(share - 0.75) < 0.1, f"synthetic:arithmetic is {share:.3f} of the samples, weight 0.75")
    for v in of_type(records, "val"):
        check(set(v["by_source"]) == {"synthetic:arithmetic", tokens}, f"val by_source {v.get('by_source')}")
        check(all(math.isfinite(x) and x > 0 for x in v["by_source"].values()), f"{v['by_source']}")
        check(v["tokens_evaluated"] == 2 * 2 * 31, f"tokens_evaluated {v['tokens_evaluated']}")
        want = (v["by_source"]["synthetic:arithmetic"] + v["by_source"][tokens]) / 2  # equal token counts
        check(abs(v["loss"] - want) < 1e-9, f"val loss {v['loss']} is not the mean of its sources {want}")
        check(set(v["by_domain"]) == {"arithmetic"}, f"by_domain {v['by_domain']}")
    trainer = load_pt(os.path.join(straight, "checkpoints", "step-00000020", "trainer.pt"))
    check(trainer["data.cursor"] == 320 and sum(trainer["data.sources"].values()) == 320,
          f"trainer.pt data.cursor {trainer['data.cursor']}, data.sources {trainer['data.sources']}")
    check(trainer["data.sources"]["synthetic:arithmetic"] == counts["synthetic:arithmetic"], "data.sources")
    r = env.run("eval", f"--checkpoint={os.path.join(straight, 'checkpoints', 'step-00000020')}", "--json")
    check(r.returncode == 0, f"eval failed: {r.stderr}")
    ev = json.loads(r.stdout)
    last_val = of_type(records, "val")[-1]
    check(ev["by_source"].keys() == last_val["by_source"].keys(), f"eval by_source {ev.get('by_source')}")
    for name, loss in ev["by_source"].items():
        check(abs(loss - last_val["by_source"][name]) < 1e-6, f"eval {name} {loss} vs val {last_val['by_source'][name]}")
    # Resume in the middle: 10 steps, then 10 more from the checkpoint.
    resumed = env.fresh_dir("mix-resumed")
    env.train(resumed, *flags[:-1], "--max-steps=10")
    env.train(resumed, *flags)
    runs = attempts(read_records(resumed))
    check(len(runs) == 2 and runs[1][0]["resume"]["step"] == 10, f"resume {runs[-1][0]['resume']}")
    merged = {**step_values([r for r in runs[0][1]]), **step_values(runs[1][1])}
    a = step_values(records)
    check(sorted(merged) == sorted(a), f"steps {sorted(merged)}")
    for step in a:
        check(a[step] == merged[step], f"step {step} differs after the resume:\n {a[step]}\n {merged[step]}")
    vals = {v["step"]: v for v in of_type(read_records(resumed), "val")}
    check(vals[20] == {v["step"]: v for v in of_type(records, "val")}[20], "validation differs after the resume")
    # Bad mixtures are refused before anything is written.
    for bad, flag in [("--data-mix=synthetic:arithmetc=1", "--data-mix"), ("--data-mix=/nonexistent.bin=1", "--data-mix"),
                      ("--data-mix-phase2=synthetic:copy=0", "--data-mix-phase2")]:
        bad_dir = os.path.join(env.work_dir, "never")
        r = env.run("train", f"--run-dir={bad_dir}", *SMALL_MODEL, *SMALL_TRAIN, "--max-steps=3", bad)
        check(r.returncode == 2 and flag in r.stderr and not os.path.exists(bad_dir), f"{bad}: {r.returncode} {r.stderr}")


def phase_switch_at_step(env):
    """--data-mix-phase2 with --phase2-start-steps=N: steps 1..N read phase 1, an
    event phase_switch marks step N+1, and every later step reads phase 2 only; a
    resume before the switch crosses it bit-exactly; without a start it defaults
    to the decay start (plan says where)."""
    import json
    run_dir = env.fresh_dir("phase")
    p1 = {"synthetic:arithmetic"}
    p2 = {"synthetic:copy", "synthetic:dyck"}
    flags = ["--deterministic", "--data-mix=synthetic:arithmetic=1",
             "--data-mix-phase2=synthetic:copy=1,synthetic:dyck=1", "--phase2-start-steps=5", "--val-every=10",
             "--val-tokens=32", "--checkpoint-every=4"]
    env.train(run_dir, *flags, "--max-steps=10")
    records = read_records(run_dir)
    switches = [e for e in of_type(records, "event") if e["kind"] == "phase_switch"]
    check(len(switches) == 1 and switches[0]["step"] == 6, f"phase_switch events {switches}")
    check(records[0]["run"]["data_phase2_start"] == 5, f"header run {records[0]['run']}")
    for step, samples in samples_by_step(records).items():
        used = {name for name, n in samples.items() if n > 0}
        want = p1 if step <= 5 else p2
        check(used <= want and used, f"step {step} read {samples}, expected only {want}")
        check(sum(samples.values()) == 4, f"step {step}: {samples}")
    after = [samples_by_step(records)[s] for s in range(6, 11)]
    check(all(sum(s[n] for n in p2) == 4 for s in after), f"phase 2 samples {after}")
    val = of_type(records, "val")[-1]
    check(set(val["by_source"]) == p1 | p2 and all(math.isfinite(x) for x in val["by_source"].values()),
          f"val by_source {val.get('by_source')}")
    # A resume from the checkpoint at step 4 crosses the switch exactly like the straight run.
    split = env.fresh_dir("phase-split")
    env.train(split, *flags, "--max-steps=10", f"--resume={os.path.join(run_dir, 'checkpoints', 'step-00000004')}")
    resumed = read_records(split)
    check(resumed[0]["resume"]["step"] == 4, f"resume {resumed[0]['resume']}")
    check([e["step"] for e in of_type(resumed, "event") if e["kind"] == "phase_switch"] == [6],
          "the resumed run did not switch at step 6")
    straight = step_values(records)
    check(step_values(resumed) == {s: straight[s] for s in range(5, 11)}, "the run resumed across the switch differs")
    # The default start is the decay start: 10 steps with a 4-step decay switch after step 6.
    plan_flags = [*SMALL_MODEL, *SMALL_TRAIN, "--data-mix-phase2=synthetic:copy=1", "--decay-steps=4", "--max-steps=10"]
    r = env.run("plan", "--json", *plan_flags)
    check(r.returncode == 0 and json.loads(r.stdout)["schedule"]["phase2_start_step"] == 6, r.stdout + r.stderr)
    default_dir = env.fresh_dir("phase-default")
    env.train(default_dir, "--data-mix-phase2=synthetic:copy=1", "--decay-steps=4", "--max-steps=10")
    switches = [e for e in of_type(read_records(default_dir), "event") if e["kind"] == "phase_switch"]
    check([e["step"] for e in switches] == [7], f"default phase switch {switches}")
    # No decay and no start: an error naming the flag, nothing written.
    r = env.run("plan", "--json", *SMALL_MODEL, *SMALL_TRAIN, "--data-mix-phase2=synthetic:copy=1", "--max-steps=10")
    check(r.returncode == 2 and json.loads(r.stdout)["errors"][0]["flag"] == "phase2-start-steps", r.stdout)
    r = env.run("train", f"--run-dir={os.path.join(env.work_dir, 'never')}", *SMALL_MODEL, *SMALL_TRAIN,
                "--max-steps=10", "--phase2-start-steps=3")
    check(r.returncode == 2 and "--phase2-start-steps" in r.stderr, r.stderr)


def fork_and_anneal_into_phase2(env):
    """Fork a stable-phase checkpoint into a decay with a phase-2 mixture: the lr
    decays from the fork point (strictly, from below the peak down to --min-lr)
    and every sample comes from the new mixture."""
    source = env.fresh_dir("anneal-source")
    env.train(source, "--max-steps=10", "--checkpoint-every=10")
    ckpt = os.path.join(source, "checkpoints", "step-00000010")
    fork = env.fresh_dir("anneal")
    n = 8
    env.train(fork, f"--fork-from={ckpt}", "--warmup-steps=0", "--decay-start-steps=0", f"--decay-steps={n}",
              f"--max-steps={n}", "--lr=3e-3", "--min-lr=3e-4", "--data-mix-phase2=synthetic:grammar=1",
              "--val-every=8", "--val-tokens=64")
    records = read_records(fork)
    header = records[0]
    check(header["fork"]["step"] == 10 and header["run"]["data_phase2_start"] == 0, f"{header}")
    lrs = [s["lr"] for s in of_type(records, "step")]
    check(len(lrs) == n and lrs[0] < 3e-3 and all(a > b for a, b in zip(lrs, lrs[1:])), f"lr {lrs}")
    check(abs(lrs[-1] - 3e-4) < 1e-15, f"the last lr {lrs[-1]} is not --min-lr")
    switches = [e for e in of_type(records, "event") if e["kind"] == "phase_switch"]
    check([e["step"] for e in switches] == [1], f"phase_switch {switches}")
    for step, samples in samples_by_step(records).items():
        check(samples.get("synthetic:grammar") == 4 and sum(samples.values()) == 4, f"step {step}: {samples}")
    val = of_type(records, "val")[-1]
    check(set(val["by_source"]) == {"synthetic", "synthetic:grammar"}, f"by_source {val['by_source']}")
    check(val["by_source"]["synthetic:grammar"] < val["by_source"]["synthetic"],
          f"annealing on grammar did not make grammar easier than the whole corpus: {val['by_source']}")


def resume_from_older_checkpoint(env):
    """--resume PATH of a checkpoint older than the newest continues the curve from
    there: the first step is that checkpoint's step + 1 and the losses equal the
    straight run's (deterministic mode)."""
    flags = ["--deterministic", "--checkpoint-every=4", "--keep-checkpoints=10", "--max-steps=12",
             "--router-stats-every=4"]
    run_dir = env.fresh_dir("older")
    env.train(run_dir, *flags)
    straight = step_values(read_records(run_dir))
    older = os.path.join(run_dir, "checkpoints", "step-00000004")
    env.train(run_dir, *flags, f"--resume={older}")
    runs = attempts(read_records(run_dir))
    header, body = runs[-1]
    check(header["resume"] == {"step": 4, "checkpoint": older}, f"resume {header['resume']}")
    steps = [r["step"] for r in body if r["type"] == "step"]
    check(steps == list(range(5, 13)), f"the resumed attempt trained steps {steps}")
    again = step_values(body)
    for step in steps:
        check(again[step] == straight[step], f"step {step} differs:\n straight {straight[step]}\n resumed  {again[step]}")
    replaced = [e for e in body if e["type"] == "event" and e["kind"] == "checkpoint_deleted"]
    check(len(replaced) == 2, f"the abandoned checkpoints 8 and 12 were not replaced: {replaced}")
    check([s for s, _, c in checkpoints(run_dir) if c] == [4, 8, 12], f"{checkpoints(run_dir)}")


def retention_rules(env):
    """--keep-checkpoints, --keep-every-tokens and --keep-best-val: replaying the
    documented rules over the run's saves gives exactly the deletions the trainer
    made; the newest complete checkpoint is never deleted."""
    every = 3 * 128 + 64  # multiples 448, 896, 1344 -> first checkpoint at or after: steps 4, 7, 11
    run_dir = env.fresh_dir("retention")
    env.train(run_dir, "--checkpoint-every=1", "--keep-checkpoints=2", f"--keep-every-tokens={every}",
              "--keep-best-val", "--val-every=1", "--val-tokens=32", "--max-steps=14", "--lr=2e-2")
    records = read_records(run_dir)
    val_at = {v["step"]: v["loss"] for v in of_type(records, "val")}
    on_disk = {}  # step -> (tokens, val loss at save)
    deletions = []
    for c in of_type(records, "checkpoint"):
        check(c["val_loss"] == val_at[c["step"]], f"checkpoint {c['step']} val_loss {c['val_loss']}")
        on_disk[c["step"]] = (c["tokens"], c["val_loss"])
        steps = sorted(on_disk)
        keep = {}
        for s in steps[-2:]:
            keep.setdefault(s, []).append("newest")
        previous = None
        for s in steps:
            t = on_disk[s][0]
            if t >= every and t // every > (previous // every if previous is not None else 0):
                keep.setdefault(s, []).append("every_tokens")
            previous = t
        best = min(steps, key=lambda s: (on_disk[s][1], s))
        keep.setdefault(best, []).append("best_val")
        want_kept = {f"checkpoints/step-{s:08d}": sorted(r) for s, r in keep.items()}
        got_kept = {p: sorted(r) for p, r in c["kept"].items()}
        check(got_kept == want_kept, f"after saving step {c['step']}: kept {got_kept}, rules say {want_kept}")
        check(c["path"] in got_kept and "newest" in got_kept[c["path"]], f"the new checkpoint is not kept: {c}")
        for s in steps:
            if s not in keep:
                deletions.append(f"checkpoints/step-{s:08d}")
                del on_disk[s]
    events = [e for e in of_type(records, "event") if e["kind"] == "checkpoint_deleted"]
    check([e["path"] for e in events] == deletions, f"deleted {[e['path'] for e in events]}, rules say {deletions}")
    for e in events:
        check(e["reason"] == "retention" and e["path"] not in e["kept"] and e["kept"], f"event {e}")
    left = [s for s, _, complete in checkpoints(run_dir) if complete]
    check(left == sorted(on_disk), f"on disk {left}, rules say {sorted(on_disk)}")
    check(14 in left and {4, 7, 11} <= set(left), f"on disk {left}")
    for s in left:
        verify_manifest(os.path.join(run_dir, "checkpoints", f"step-{s:08d}"))


def threads_wait_passively(env):
    """`train` re-executes itself with OMP_WAIT_POLICY=PASSIVE (same process) unless the caller set
    the variable: the environment the running process was executed with (/proc/PID/environ, which
    setenv does not change) carries it, and the header reports it."""
    for given, expected in ((None, "PASSIVE"), ("ACTIVE", "ACTIVE")):
        run_dir = env.fresh_dir(f"omp-{(given or 'unset').lower()}")
        child_env = dict(os.environ)
        child_env.pop("OMP_WAIT_POLICY", None)
        child_env.pop("MOETRAIN_TEST_INJECT_NONFINITE", None)
        if given is not None:
            child_env["OMP_WAIT_POLICY"] = given
        cmd = env.command("train", f"--run-dir={run_dir}", "--run-id=e2e", *SMALL_MODEL, *SMALL_TRAIN,
                          "--max-steps=1000000")
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env)
        try:
            metrics = os.path.join(run_dir, "metrics.jsonl")
            deadline = time.monotonic() + 120
            while not (os.path.exists(metrics) and os.path.getsize(metrics) > 0):
                check(proc.poll() is None, f"moetrain train exited {proc.returncode} before writing its header")
                check(time.monotonic() < deadline, "no metrics header after 120 s")
                time.sleep(0.1)
            with open(f"/proc/{proc.pid}/environ", "rb") as f:
                environ = f.read().split(b"\0")
            policies = [e for e in environ if e.startswith(b"OMP_WAIT_POLICY=")]
            check(policies == [f"OMP_WAIT_POLICY={expected}".encode()],
                  f"process {proc.pid} was executed with {policies}, expected OMP_WAIT_POLICY={expected}")
            header = read_records(run_dir)[0]
            check(header["trainer"]["omp_wait_policy"] == expected, f"header trainer: {header['trainer']}")
            check(header["trainer"]["attention_kernel"] == "blocked", f"header trainer: {header['trainer']}")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        check(proc.returncode == 0, f"moetrain train exited {proc.returncode} after SIGTERM")


SCENARIOS = {f.__name__: f for f in (
    bad_flags_write_nothing, overfit_one_batch, metrics_stream_is_valid, plan_matches_train_schedule,
    nonfinite_skip_and_stop, sigterm_checkpoints_and_stops, resume_is_bit_exact_after_kill,
    kill_during_checkpoint_writes, corrupt_checkpoint_falls_back, fork_and_eval, tiny_preset_learns,
    mixture_proportions_and_resume, phase_switch_at_step, fork_and_anneal_into_phase2, resume_from_older_checkpoint,
    retention_rules, threads_wait_passively)}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--presets-dir", required=True)
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    args = parser.parse_args()
    work = os.path.join(args.work_dir, args.scenario)
    os.makedirs(work, exist_ok=True)
    env = Env(os.path.abspath(args.binary), os.path.abspath(args.presets_dir), work)
    start = time.monotonic()
    try:
        SCENARIOS[args.scenario](env)
    except Failure as e:
        print(f"FAIL {args.scenario}: {e}", file=sys.stderr)
        return 1
    print(f"PASS {args.scenario} ({time.monotonic() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
