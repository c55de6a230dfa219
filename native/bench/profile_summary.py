#!/usr/bin/env python3
"""Where the time of a profiled training window goes, by kernel category.

Reads the Chrome trace that `moetrain train --profile-from-step N --profile-steps K` writes to
<run-dir>/profile/trace.json and prints one table: time per category, its share, the number of
kernels (or operators), and the host synchronisations.

On CUDA the time is GPU kernel and copy time. Each kernel is attributed to the operator that
launched it (the trace links them by "External id"), and the category comes from the kernel's
and the operator's names. On the CPU there are no kernels: the time is each operator's self
time (its duration less that of the operators it called on the same thread).

The step phases come from the trainer's own annotations (moe::forward, moe::backward,
moe::grad_norm, moe::optimizer) and are reported too.

usage: profile_summary.py TRACE.json [--json OUT.json] [--steps K]
"""

import argparse
import bisect
import json
import sys
from collections import defaultdict

PHASES = ("moe::forward", "moe::backward", "moe::grad_norm", "moe::optimizer")
# Runtime calls that block the host until the device has caught up.
SYNC_CALLS = ("cudaStreamSynchronize", "cudaDeviceSynchronize", "cudaEventSynchronize", "cudaMemcpy ",
              "cudaMemcpy", "cudaStreamWaitEvent_blocking")
CATEGORIES = ("expert GEMMs (grouped)", "dense GEMMs", "attention (SDPA)", "router and dispatch", "optimizer",
              "copies and casts", "loss", "norms", "other elementwise")


def category(kernel: str, op: str, phase: str) -> str:
    k, o = kernel.lower(), op.lower()
    if phase == "moe::optimizer" or "adam" in k or "adam" in o or "multi_tensor" in k:
        return "optimizer"
    if "grouped_mm" in o or "grouped_mm" in k or "grouped_gemm" in k:
        return "expert GEMMs (grouped)"
    if any(s in k for s in ("flash", "fmha", "attention", "sdpa", "cudnn")) or "scaled_dot_product" in o \
            or "attention" in o:
        return "attention (SDPA)"
    if o in ("aten::mm", "aten::addmm", "aten::bmm", "aten::matmul", "aten::linear", "aten::baddbmm") \
            or any(s in k for s in ("gemm", "xmma", "cutlass", "cublas", "sm90_", "nvjet")):
        return "dense GEMMs"
    if any(s in o for s in ("topk", "sort", "softmax", "scatter", "gather", "index", "bincount", "histc", "cumsum",
                            "searchsorted", "one_hot", "nonzero", "repeat_interleave")) and "log_softmax" not in o:
        return "router and dispatch"
    if "memcpy" in k or "memset" in k or any(s in o for s in ("copy", "_to_copy", "aten::to", "contiguous", "clone",
                                                             "aten::cat", "fill_", "zero_")):
        return "copies and casts"
    if any(s in o for s in ("nll", "cross_entropy", "log_softmax")):
        return "loss"
    if "norm" in o or "rsqrt" in o or "rms" in k:
        return "norms"
    return "other elementwise"


def load(path: str) -> list:
    with open(path) as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    return [e for e in events if e.get("ph") == "X" and "dur" in e]


def phase_lookup(events: list):
    spans = sorted((e["ts"], e["ts"] + e["dur"], e["name"]) for e in events
                   if e.get("cat") == "user_annotation" and e["name"] in PHASES)
    starts = [s[0] for s in spans]

    def phase_at(ts: float) -> str:
        i = bisect.bisect_right(starts, ts) - 1
        if i >= 0 and spans[i][0] <= ts <= spans[i][1]:
            return spans[i][2]
        return "outside the step phases"
    return spans, phase_at


def summarize(events: list) -> dict:
    spans, phase_at = phase_lookup(events)
    kernels = [e for e in events if e.get("cat") in ("kernel", "gpu_memcpy", "gpu_memset")]
    ops = [e for e in events if e.get("cat") == "cpu_op"]
    runtime = [e for e in events if e.get("cat") == "cuda_runtime"]
    by_cat = defaultdict(lambda: [0.0, 0])
    by_phase = defaultdict(float)
    if kernels:
        unit = "GPU kernel time"
        op_by_ext = {}
        for e in ops:
            ext = e.get("args", {}).get("External id")
            if ext is not None:
                op_by_ext[ext] = e
        launch_by_corr = {e.get("args", {}).get("correlation"): e for e in runtime}
        for k in kernels:
            args = k.get("args", {})
            op = op_by_ext.get(args.get("External id"))
            launch = launch_by_corr.get(args.get("correlation"))
            phase = phase_at(launch["ts"]) if launch else "outside the step phases"
            c = category(k["name"], op["name"] if op else "", phase)
            by_cat[c][0] += k["dur"]
            by_cat[c][1] += 1
            by_phase[phase] += k["dur"]
        intervals = sorted((k["ts"], k["ts"] + k["dur"]) for k in kernels)
        busy, end = 0.0, -1.0
        for s, t in intervals:
            if s > end:
                busy += t - s
                end = t
            elif t > end:
                busy += t - end
                end = t
        window = (intervals[-1][1] - intervals[0][0]) if intervals else 0.0
    else:
        unit = "CPU operator self time"
        per_thread = defaultdict(list)
        for e in ops:
            per_thread[e.get("tid")].append(e)
        for evs in per_thread.values():
            evs.sort(key=lambda e: (e["ts"], -e["dur"]))
            stack = []
            self_time = {}
            for e in evs:
                while stack and stack[-1]["ts"] + stack[-1]["dur"] <= e["ts"]:
                    stack.pop()
                self_time[id(e)] = e["dur"]
                if stack:
                    self_time[id(stack[-1])] -= e["dur"]
                stack.append(e)
            for e in evs:
                t = max(self_time[id(e)], 0.0)
                phase = phase_at(e["ts"])
                c = category("", e["name"], phase)
                by_cat[c][0] += t
                by_cat[c][1] += 1
                by_phase[phase] += t
        busy = sum(v[0] for v in by_cat.values())
        window = (max(e["ts"] + e["dur"] for e in ops) - min(e["ts"] for e in ops)) if ops else 0.0
    syncs = [e for e in runtime if any(e["name"].startswith(s.strip()) and
                                       (e["name"] != "cudaMemcpyAsync") for s in SYNC_CALLS)]
    total = sum(v[0] for v in by_cat.values()) or 1.0
    return {
        "unit": unit,
        "window_us": window,
        "busy_us": busy,
        "categories": {c: {"us": by_cat[c][0], "share": by_cat[c][0] / total, "count": by_cat[c][1]}
                       for c in CATEGORIES if c in by_cat},
        "phases": {p: by_phase[p] for p in list(PHASES) + ["outside the step phases"] if p in by_phase},
        "phase_spans": len(spans),
        "host_syncs": {"count": len(syncs), "us": sum(e["dur"] for e in syncs),
                       "calls": sorted({e["name"] for e in syncs})},
    }


def render(s: dict, steps: int) -> str:
    per = max(steps, 1)
    lines = [f"profile: {s['unit']} per step (window {s['window_us'] / 1e3 / per:.2f} ms/step, "
             f"busy {s['busy_us'] / max(s['window_us'], 1e-9):.0%})"]
    lines.append(f"  {'category':<28}{'ms/step':>10}{'share':>8}{'count':>9}")
    for c, v in sorted(s["categories"].items(), key=lambda kv: -kv[1]["us"]):
        lines.append(f"  {c:<28}{v['us'] / 1e3 / per:>10.3f}{v['share']:>8.1%}{v['count'] // per:>9}")
    lines.append("  phases: " + ", ".join(f"{p.replace('moe::', '')} {us / 1e3 / per:.2f} ms"
                                          for p, us in s["phases"].items()))
    h = s["host_syncs"]
    lines.append(f"  host syncs: {h['count'] // per} per step, {h['us'] / 1e3 / per:.2f} ms/step"
                 + (f" ({', '.join(h['calls'])})" if h["calls"] else ""))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace")
    parser.add_argument("--json", help="also write the summary as JSON here")
    parser.add_argument("--steps", type=int, default=1, help="steps in the profiled window (for per-step numbers)")
    args = parser.parse_args()
    try:
        events = load(args.trace)
    except (OSError, ValueError, KeyError) as exc:
        print(f"profile_summary: cannot read the trace {args.trace}: {exc}; run moetrain train with "
              "--profile-from-step to write one", file=sys.stderr)
        return 2
    if not events:
        print(f"profile_summary: {args.trace} holds no timed events", file=sys.stderr)
        return 1
    s = summarize(events)
    s["steps"] = args.steps
    if args.json:
        with open(args.json, "w") as f:
            json.dump(s, f, indent=1)
    print(render(s, args.steps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
