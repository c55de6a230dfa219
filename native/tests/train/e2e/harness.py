"""Helpers for the end-to-end tests: run the real moetrain binary, read its
metrics stream with Python's json module, inspect checkpoints with hashlib and
torch.load."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time

# A small JetMoE (A = G*D = 16 != H = 32) that trains in milliseconds per step.
SMALL_MODEL = [
    "--vocab-size=256", "--hidden-size=32", "--num-layers=1", "--num-kv-heads=2", "--head-dim=8",
    "--intermediate-size=48", "--num-experts=4", "--top-k=2", "--max-seq-len=32", "--init-std=0.02",
    "--dtype=float32", "--device=cpu", "--cpu-threads=1",
]
SMALL_TRAIN = [
    "--seq-len=32", "--micro-batch-size=4", "--grad-accum-steps=1", "--lr=3e-3", "--min-lr=3e-4",
    "--warmup-steps=2", "--decay-steps=0", "--log-every=1", "--router-stats-every=0", "--val-every=0",
    "--val-tokens=0", "--checkpoint-every=0", "--heartbeat-every=0.2", "--seed=7",
]


class Failure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Env:
    def __init__(self, binary, presets_dir, work_dir):
        self.binary = binary
        self.presets_dir = presets_dir
        self.work_dir = work_dir

    def fresh_dir(self, name):
        path = os.path.join(self.work_dir, name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path

    def command(self, *args):
        return [self.binary, *[str(a) for a in args]]

    def run(self, *args, env=None, timeout=240):
        full_env = dict(os.environ)
        full_env.pop("MOETRAIN_TEST_INJECT_NONFINITE", None)
        full_env.update(env or {})
        return subprocess.run(self.command(*args), capture_output=True, text=True, env=full_env, timeout=timeout)

    def start(self, *args, log_path=None):
        env = dict(os.environ)
        env.pop("MOETRAIN_TEST_INJECT_NONFINITE", None)
        out = open(log_path or os.devnull, "ab")
        proc = subprocess.Popen(self.command(*args), stdout=out, stderr=subprocess.STDOUT, env=env)
        out.close()
        return proc

    def train(self, run_dir, *args, env=None, expect=0):
        r = self.run("train", f"--run-dir={run_dir}", "--run-id=e2e", *SMALL_MODEL, *SMALL_TRAIN, *args, env=env)
        check(r.returncode == expect,
              f"moetrain train exited {r.returncode}, expected {expect}\nstdout:\n{r.stdout[-3000:]}\nstderr:\n{r.stderr[-3000:]}")
        return r


def read_records(run_dir):
    """Every line of metrics.jsonl parsed with json.loads; fails on any line that is not JSON."""
    path = os.path.join(run_dir, "metrics.jsonl")
    with open(path, "rb") as f:
        data = f.read()
    check(data == b"" or data.endswith(b"\n"), "metrics.jsonl does not end with a newline")
    records = []
    for number, line in enumerate(data.split(b"\n")[:-1], start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise Failure(f"metrics.jsonl line {number} is not JSON ({e}): {line[:200]!r}")
        check(isinstance(record, dict) and "type" in record, f"line {number} has no type: {line[:200]!r}")
        records.append(record)
    return records


def of_type(records, kind):
    return [r for r in records if r["type"] == kind]


def attempts(records):
    """Records split by header: a list of (header, [records...])."""
    out = []
    for r in records:
        if r["type"] == "header":
            out.append((r, []))
        else:
            check(out, f"record before the first header: {r}")
            out[-1][1].append(r)
    return out


def wait_for(predicate, timeout, what, interval=0.002):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise Failure(f"timed out after {timeout} s waiting for {what}")


def lines_of(run_dir):
    path = os.path.join(run_dir, "metrics.jsonl")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    return [json.loads(l) for l in data.split(b"\n")[:-1]]


def kill9(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    check(proc.returncode == -signal.SIGKILL, f"process ended with {proc.returncode}, not by SIGKILL")


def checkpoints(run_dir):
    """(step, path, complete) of checkpoints/step-* directories, oldest first."""
    root = os.path.join(run_dir, "checkpoints")
    out = []
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        path = os.path.join(root, name)
        if name.startswith("step-") and os.path.isdir(path):
            out.append((int(name[5:]), path, os.path.exists(os.path.join(path, "COMPLETE"))))
    return out


def verify_manifest(path):
    """Checks every file listed in MANIFEST against its size and SHA-1 (hashlib)."""
    entries = {}
    fields = {}
    with open(os.path.join(path, "MANIFEST")) as f:
        for line in f:
            key, _, value = line.strip().partition(" ")
            if key == "file":
                name, size, sha1 = value.split(" ")
                entries[name] = (int(size), sha1)
            elif key:
                fields[key] = value
    check(fields.get("format") == "1", f"{path}/MANIFEST has format {fields.get('format')}")
    check(set(entries) >= {"model.pt", "optimizer.pt", "trainer.pt", "config.flags"}, f"{path}: MANIFEST lists {entries}")
    for name, (size, sha1) in entries.items():
        with open(os.path.join(path, name), "rb") as f:
            data = f.read()
        check(len(data) == size, f"{path}/{name}: {len(data)} bytes, MANIFEST says {size}")
        check(hashlib.sha1(data).hexdigest() == sha1, f"{path}/{name}: SHA-1 differs from the MANIFEST")
    return fields


def snapshot(directory):
    """path -> (size, mtime_ns, sha1) for every file under `directory`."""
    out = {}
    for root, _, files in os.walk(directory):
        for name in files:
            p = os.path.join(root, name)
            st = os.stat(p)
            with open(p, "rb") as f:
                out[p] = (st.st_size, st.st_mtime_ns, hashlib.sha1(f.read()).hexdigest())
    return out


def load_pt(path):
    import torch  # the managed venv's PyTorch

    return torch.load(path, map_location="cpu", weights_only=True)
