#!/usr/bin/env bash
# The trainer's GPU check, in one call of a few minutes on a machine with an NVIDIA GPU and a CUDA
# build of PyTorch. Stages, most important first; each writes its results to files as it ends, and
# summary.json / summary.txt are rewritten after every stage, so a run cut short still reports
# what it measured:
#   1. build   moetrain and the parity program against that PyTorch (no GoogleTest needed);
#   2. parity  with transformers' JetMoeForCausalLM on CUDA in bf16: logits, losses, gradients,
#              routing (tests/parity/jetmoe_parity.py, its stated relative tolerances);
#   3. train   a JetMoE-8B-width model (H=2048, 16 x 128 attention, I=5632, E=8, k=2, V=32000,
#              seq 4096) with --layers layers: tokens/s, MFU, peak memory against `moetrain plan`,
#              and a Kineto profile of its last steps grouped by kernel category;
#   4. hf      transformers' JetMoE training step on the same shapes and GPU, and the ratio;
#   5. deep    the same width with as many layers as `moetrain plan` fits in the GPU's memory.
# --rehearse runs the same stages on the CPU with the tiny preset, from an existing build, so that
# the script itself is tested where there is no GPU (ctest gpu_check_rehearsal).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NATIVE_DIR="$(cd "$HERE/.." && pwd)"
REPO_DIR="$(cd "$NATIVE_DIR/.." && pwd)"
MFU_TARGET="0.45"
HF_RATIO_TARGET="3"

usage() {
  cat <<EOF
usage: native/bench/gpu_check.sh [options]

options:
  --python PATH         Python whose CUDA PyTorch the trainer is built against (default: \$MOETRAIN_PYTHON or python3)
  --build-dir DIR       build directory (default: native/build-gpu)
  --out DIR             results directory (default: <build-dir>/gpu-check)
  --jobs N              compile jobs (default: the number of CPUs)
  --layers N            layers of the side-by-side run (default 4)
  --micro-batch-size N  sequences per micro-batch (default 2)
  --grad-accum-steps N  micro-batches per optimizer step, both sides (default 4; JetMoE-8B's recipe uses 32)
  --steps N             optimizer steps of the side-by-side run (default 40; the last 2 are profiled)
  --max-layers N        most layers the deep run tries (default 24); 0 skips it
  --memory-fraction F   share of the GPU's memory the deep run may plan for (default 0.8)
  --time-budget S       seconds for the whole check; a stage that would not fit is skipped (default 540)
  --skip-parity         no parity stage
  --skip-hf             no transformers stage
  --rehearse            run every stage on the CPU (tiny preset, float32 parity) from an existing build:
                        needs --moetrain and --parity-runner, and no GPU
  --moetrain PATH       with --rehearse: the moetrain binary
  --parity-runner PATH  with --rehearse: the jetmoe_parity_runner binary
  -h, --help            show this help

Results in <out>: summary.json, summary.txt, env.txt, build.log, parity.log, train.log, train-metrics.jsonl,
profile.txt, profile.json, trace.json.gz, hf.json, hf.log, deep.log, deep-metrics.jsonl.
Exit status: 0 = every stage that ran passed; 1 = a stage failed (parity outside its tolerances included);
2 = no usable GPU or CUDA PyTorch, or bad options (nothing was run).
EOF
}

PYTHON="${MOETRAIN_PYTHON:-python3}"
BUILD_DIR="$NATIVE_DIR/build-gpu"
OUT_DIR=""
JOBS=""
LAYERS=4
MICRO_BATCH=2
ACCUM=4
STEPS=40
MAX_LAYERS=24
MEMORY_FRACTION="0.8"
TIME_BUDGET=540
PARITY=1
HF=1
REHEARSE=0
MOETRAIN=""
RUNNER=""

need_value() { [[ $# -ge 2 && -n "$2" ]] || { echo "gpu_check: option $1 needs a value (see --help)" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --python) need_value "$@"; PYTHON="$2"; shift 2 ;;
    --build-dir) need_value "$@"; BUILD_DIR="$2"; shift 2 ;;
    --out) need_value "$@"; OUT_DIR="$2"; shift 2 ;;
    --jobs) need_value "$@"; JOBS="$2"; shift 2 ;;
    --layers) need_value "$@"; LAYERS="$2"; shift 2 ;;
    --micro-batch-size) need_value "$@"; MICRO_BATCH="$2"; shift 2 ;;
    --grad-accum-steps) need_value "$@"; ACCUM="$2"; shift 2 ;;
    --steps) need_value "$@"; STEPS="$2"; shift 2 ;;
    --max-layers) need_value "$@"; MAX_LAYERS="$2"; shift 2 ;;
    --memory-fraction) need_value "$@"; MEMORY_FRACTION="$2"; shift 2 ;;
    --time-budget) need_value "$@"; TIME_BUDGET="$2"; shift 2 ;;
    --skip-parity) PARITY=0; shift ;;
    --skip-hf) HF=0; shift ;;
    --rehearse) REHEARSE=1; shift ;;
    --moetrain) need_value "$@"; MOETRAIN="$2"; shift 2 ;;
    --parity-runner) need_value "$@"; RUNNER="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu_check: unknown option '$1' (see native/bench/gpu_check.sh --help)" >&2; exit 2 ;;
  esac
done
for v in LAYERS MICRO_BATCH ACCUM STEPS TIME_BUDGET; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "gpu_check: ${v,,} must be a positive integer, got '${!v}'" >&2; exit 2; }
done
[[ "$MAX_LAYERS" =~ ^[0-9]+$ ]] || { echo "gpu_check: --max-layers must be a whole number, got '$MAX_LAYERS'" >&2; exit 2; }
[[ "$MEMORY_FRACTION" =~ ^0?\.[0-9]+$|^1(\.0*)?$ ]] ||
  { echo "gpu_check: --memory-fraction must lie in (0, 1], got '$MEMORY_FRACTION'" >&2; exit 2; }
(( STEPS >= 12 )) || { echo "gpu_check: --steps must be at least 12 (warm-up, timed intervals, profile)" >&2; exit 2; }

missing() {
  echo "gpu_check: $1 — $2" >&2
  exit 2
}

# --- 0. What runs where ----------------------------------------------------------
if (( REHEARSE )); then
  [[ -n "$MOETRAIN" && -x "$MOETRAIN" ]] || missing "--rehearse needs --moetrain PATH of a built moetrain" "build with native/scripts/build.sh"
  [[ -n "$RUNNER" && -x "$RUNNER" ]] || missing "--rehearse needs --parity-runner PATH of a built jetmoe_parity_runner" "build with native/scripts/build.sh"
  command -v "$PYTHON" >/dev/null 2>&1 || missing "Python '$PYTHON' not found" "pass --python PATH (the managed venv: native/scripts/python_env.sh path)"
  DEVICE=cpu DTYPE=float32 PRESET=jetmoe-tiny SEQ=128 PEAK_FLOPS=1e12
  gpu_name="CPU (rehearsal)"
  gpu_mem_mib=2048
  torch_version="$("$PYTHON" -c 'import torch; print(torch.__version__)' 2>/dev/null)" ||
    missing "'$PYTHON' cannot import torch" "pass --python PATH of the managed venv's python"
  torch_cuda="none"
else
  command -v nvidia-smi >/dev/null 2>&1 ||
    missing "no NVIDIA GPU: nvidia-smi is not installed" "run this on a GPU node with the NVIDIA driver, or pass --rehearse"
  gpu_name="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n1 || true)"
  [[ -n "$gpu_name" ]] || missing "no NVIDIA GPU: nvidia-smi lists no device" "run this on a GPU node with a working NVIDIA driver"
  gpu_mem_mib="$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits 2>/dev/null | head -n1 | tr -dc '0-9')"
  command -v "$PYTHON" >/dev/null 2>&1 || missing "Python '$PYTHON' not found" "pass --python PATH of the Python with CUDA PyTorch"
  torch_probe="$("$PYTHON" -c 'import torch; print(torch.__version__, torch.version.cuda or "none", int(torch.cuda.is_available()))' 2>&1 | tail -n1)" ||
    missing "'$PYTHON' cannot import torch ($torch_probe)" "pass --python PATH of the Python with CUDA PyTorch"
  read -r torch_version torch_cuda cuda_ok <<<"$torch_probe"
  [[ "$torch_cuda" != "none" ]] ||
    missing "PyTorch $torch_version of '$PYTHON' is a CPU build" "pass --python PATH of a Python with a CUDA build of PyTorch"
  [[ "$cuda_ok" == "1" ]] ||
    missing "PyTorch $torch_version (CUDA $torch_cuda) sees no usable GPU" "check the driver (nvidia-smi) and CUDA_VISIBLE_DEVICES"
  # Dense bf16 peak of an H100/H200 SXM, the same figure moetrain's built-in table uses, passed to both sides.
  DEVICE=cuda DTYPE=bfloat16 PRESET=jetmoe-8b SEQ=4096 PEAK_FLOPS=9.89e14
fi
PRESET_FILE="$REPO_DIR/resources/presets/$PRESET.flags"

OUT_DIR="${OUT_DIR:-$BUILD_DIR/gpu-check}"
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
rm -f "$OUT_DIR"/stage-*.json
echo "gpu_check: $gpu_name, PyTorch $torch_version (CUDA $torch_cuda); results in $OUT_DIR"
start_s=$SECONDS
# Seconds left of --time-budget, at least 1 (timeout 0 would mean no limit).
left() { local l=$(( TIME_BUDGET - (SECONDS - start_s) )); echo $(( l > 1 ? l : 1 )); }

{
  echo "date: $(date -u +%FT%TZ)"
  echo "gpu: $gpu_name ($gpu_mem_mib MiB)"
  echo "torch: $torch_version (CUDA $torch_cuda)"
  "$PYTHON" -c 'import transformers; print("transformers:", transformers.__version__)' 2>&1 || true
  command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi 2>&1 || true
  command -v nvcc >/dev/null 2>&1 && nvcc --version 2>&1 | tail -n2 || true
  echo "cpus: $(getconf _NPROCESSORS_ONLN)"
} >"$OUT_DIR/env.txt" 2>&1

# One JSON file per stage (stage-<name>.json); summarize() folds them into summary.json and summary.txt.
stage() {  # stage NAME KEY=VALUE... (values are JSON when they parse as JSON, else strings)
  local name="$1"; shift
  "$PYTHON" - "$OUT_DIR/stage-$name.json" "$@" <<'PY'
import json, sys
path, pairs = sys.argv[1], sys.argv[2:]
out = {}
for p in pairs:
    k, v = p.split("=", 1)
    try:
        out[k] = json.loads(v)
    except ValueError:
        out[k] = v
json.dump(out, open(path, "w"), indent=1)
PY
}

summarize() {
  "$PYTHON" - "$OUT_DIR" "$gpu_name" "$torch_version" "$MFU_TARGET" "$HF_RATIO_TARGET" "$((SECONDS - start_s))" <<'PY'
import glob, json, os, sys
out, gpu, torch_version, mfu_target, ratio_target, seconds = sys.argv[1:]
summary = {"gpu": gpu, "torch": torch_version, "seconds": int(seconds), "mfu_target": float(mfu_target),
           "hf_ratio_target": float(ratio_target)}
for path in sorted(glob.glob(os.path.join(out, "stage-*.json"))):
    name = os.path.basename(path)[len("stage-"):-len(".json")]
    with open(path) as f:
        summary[name] = json.load(f)
hf = summary.get("hf", {})
train = summary.get("train", {})
if hf.get("tokens_per_s") and train.get("tokens_per_s"):
    summary["ratio_vs_transformers"] = train["tokens_per_s"] / hf["tokens_per_s"]
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)
lines = [f"gpu_check: {gpu}, PyTorch {torch_version}, {seconds} s"]
for name in ("build", "parity", "train", "profile", "hf", "deep"):
    s = summary.get(name)
    if s is None:
        lines.append(f"  {name:<7} not reached")
        continue
    status = s.get("status", "?")
    detail = ""
    if name in ("train", "deep") and "tokens_per_s" in s:
        mfu = s.get("mfu")
        mfu_text = f"MFU {mfu:.1%}" if mfu is not None else "MFU unknown"
        detail = (f"{s['layers']} layers x {s['micro_batch']} x {s['seq_len']} x {s.get('grad_accum', 1)} accum: "
                  f"{s['tokens_per_s']:.0f} tokens/s, "
                  f"{mfu_text}, peak {s.get('peak_mem_gib', 0):.1f} GiB (plan {s.get('plan_mem_gib', 0):.1f} GiB)")
        if name == "train" and mfu is not None:
            detail += f"; MFU target {float(mfu_target):.0%} {'met' if mfu >= float(mfu_target) else 'not met'}"
    elif name == "hf" and "tokens_per_s" in s:
        detail = f"{s['tokens_per_s']:.0f} tokens/s, peak {s.get('peak_mem_gib', 0):.1f} GiB"
        if "ratio_vs_transformers" in summary:
            r = summary["ratio_vs_transformers"]
            detail += (f"; moetrain/transformers {r:.2f}x (target {float(ratio_target):.0f}x "
                       f"{'met' if r >= float(ratio_target) else 'not met'})")
    elif name == "profile" and "top" in s:
        detail = ", ".join(f"{c} {share:.0%}" for c, share in s["top"])
    elif "detail" in s:
        detail = str(s["detail"])
    lines.append(f"  {name:<7} {status}" + (f": {detail}" if detail else ""))
text = "\n".join(lines) + "\n"
with open(os.path.join(out, "summary.txt"), "w") as f:
    f.write(text)
print(text, end="")
PY
}

failed=0
fail() { failed=1; }

# --- 1. Build --------------------------------------------------------------------
if (( REHEARSE )); then
  stage build status=ok detail="rehearsal: using $MOETRAIN"
else
  JOBS="${JOBS:-$(getconf _NPROCESSORS_ONLN)}"
  echo "gpu_check: building with $JOBS jobs (log: $OUT_DIR/build.log)"
  b0=$SECONDS
  if timeout "$(left)" bash "$NATIVE_DIR/scripts/build.sh" --python "$PYTHON" --build-dir "$BUILD_DIR" --no-tests \
       --parity-runner --jobs "$JOBS" >"$OUT_DIR/build.log" 2>&1; then
    stage build status=ok seconds=$((SECONDS - b0)) detail="built in $((SECONDS - b0)) s"
  else
    tail -n 30 "$OUT_DIR/build.log" >&2
    stage build status=failed seconds=$((SECONDS - b0)) detail="see build.log"
    summarize
    exit 1
  fi
  MOETRAIN="$BUILD_DIR/moetrain"
  RUNNER="$BUILD_DIR/tests/jetmoe_parity_runner"
fi
summarize >/dev/null

# --- 2. Parity with transformers ---------------------------------------------------
(( PARITY )) || stage parity status=skipped detail="--skip-parity"
if (( PARITY )); then
  : >"$OUT_DIR/parity.log"
  if ! "$PYTHON" -c 'from transformers import JetMoeForCausalLM' >>"$OUT_DIR/parity.log" 2>&1; then
    stage parity status=failed detail="transformers with JetMoe is not importable in $PYTHON (bring the wheel)"
    fail
  else
    if (( REHEARSE )); then variants=(sdpa); else variants=(sdpa sdpa-grouped eager-untied); fi
    parity_status=ok
    parity_detail="${variants[*]} on $DEVICE in bfloat16 within the stated relative tolerances"
    for variant in "${variants[@]}"; do
      if (( $(left) < 30 )); then parity_status="incomplete"; parity_detail="out of time before $variant"; break; fi
      echo "== $variant" >>"$OUT_DIR/parity.log"
      if ! timeout "$(left)" "$PYTHON" "$NATIVE_DIR/tests/parity/jetmoe_parity.py" --runner "$RUNNER" \
           --variant "$variant" --device "$DEVICE" --dtype bfloat16 --work-dir "$OUT_DIR/parity-$variant" \
           >>"$OUT_DIR/parity.log" 2>&1; then
        parity_status=failed
        parity_detail="$variant is outside the tolerances or failed; see parity.log"
        break
      fi
    done
    stage parity status="$parity_status" detail="$parity_detail"
    [[ "$parity_status" == "ok" ]] || fail
  fi
  summarize >/dev/null
fi

# --- 3. Side-by-side run with a profile of its last two steps ----------------------------
# train_stage NAME LAYERS STEPS PROFILE(0|1): trains, then reads tokens/s, MFU and peak memory
# from the step records after the first (warm-up) interval and before the profiled steps.
train_stage() {
  local name="$1" layers="$2" steps="$3" profile="$4"
  local run_dir="$OUT_DIR/run-$name" log_every=$(( steps / 8 > 1 ? steps / 8 : 1 ))
  local profile_from=0
  (( profile )) && profile_from=$(( steps - 1 ))
  local flags=(--preset "$PRESET" --num-layers="$layers" --micro-batch-size="$MICRO_BATCH" --grad-accum-steps="$ACCUM"
    --seq-len="$SEQ" --device="$DEVICE" --dtype="$DTYPE" --peak-flops="$PEAK_FLOPS")
  local plan_json="$OUT_DIR/plan-$name.json"
  "$MOETRAIN" plan "${flags[@]}" --max-steps="$steps" --train-tokens=0 --warmup-tokens=0 --decay-tokens=0 \
    --warmup-steps=0 --decay-steps=0 --json >"$plan_json" 2>/dev/null || true
  rm -rf "$run_dir"
  local cmd=("$MOETRAIN" train --run-dir "$run_dir" "${flags[@]}" --max-steps="$steps" --train-tokens=0
    --warmup-tokens=0 --decay-tokens=0 --warmup-steps=0 --decay-steps=0 --val-every=0 --router-stats-every=0
    --checkpoint-every=0 --final-checkpoint=false --log-every="$log_every" --data=synthetic
    --profile-from-step="$profile_from" --profile-steps=2)
  echo "${cmd[*]}" >"$OUT_DIR/$name.log"
  local status=ok
  if ! timeout "$(left)" "${cmd[@]}" >>"$OUT_DIR/$name.log" 2>&1; then
    status=failed
    tail -n 15 "$OUT_DIR/$name.log" >&2
  fi
  [[ -f "$run_dir/metrics.jsonl" ]] && cp "$run_dir/metrics.jsonl" "$OUT_DIR/$name-metrics.jsonl"
  if "$PYTHON" - "$OUT_DIR" "$name" "$status" "$layers" "$MICRO_BATCH" "$SEQ" "$profile_from" "$plan_json" "$ACCUM" <<'PY'
import json, os, statistics, sys
out, name, status, layers, mb, seq, profile_from, plan_json, accum = sys.argv[1:]
profile_from = int(profile_from)
steps = []
path = os.path.join(out, f"{name}-metrics.jsonl")
if os.path.exists(path):
    for line in open(path):
        rec = json.loads(line)
        if rec.get("type") == "step":
            steps.append(rec)
# The first interval holds start-up and allocator warm-up; intervals that reach the profiled steps are slowed.
timed = [r for r in steps[1:] if profile_from == 0 or r["step"] < profile_from]
res = {"status": status, "layers": int(layers), "micro_batch": int(mb), "grad_accum": int(accum), "seq_len": int(seq),
       "intervals": len(timed)}
try:
    plan = json.load(open(plan_json))
    res["plan_mem_gib"] = plan["memory"]["total"] / 2**30
    fpt = plan["flops_per_token"]
    res["flops_per_token"] = fpt["total"] if isinstance(fpt, dict) else fpt
    res["params_active"] = plan["params"]["active_with_embedding"]
except (OSError, ValueError, KeyError):
    pass
if timed:
    res["tokens_per_s"] = statistics.median(r["tokens_per_s"] for r in timed)
    mfus = [r["mfu"] for r in timed if r.get("mfu") is not None]
    res["mfu"] = statistics.median(mfus) if mfus else None
    res["peak_mem_gib"] = max((r.get("mem_bytes") or 0) for r in timed) / 2**30
    res["loss_last"] = steps[-1].get("loss")
elif status == "ok":
    res["status"] = "failed"
    res["detail"] = "no timed step records"
json.dump(res, open(os.path.join(out, f"stage-{name}.json"), "w"), indent=1)
PY
  then :; else
    stage "$name" status=failed detail="could not read the run's step records; see $name.log"
    status=failed
  fi
  [[ "$status" == "ok" ]] || fail
}

if (( $(left) > 60 )); then
  echo "gpu_check: side-by-side run, $LAYERS layers"
  train_stage train "$LAYERS" "$STEPS" 1
  trace="$OUT_DIR/run-train/profile/trace.json"
  if [[ -f "$trace" ]]; then
    if "$PYTHON" "$HERE/profile_summary.py" "$trace" --steps 2 --json "$OUT_DIR/profile.json" >"$OUT_DIR/profile.txt" 2>&1; then
      top="$("$PYTHON" -c 'import json,sys; s=json.load(open(sys.argv[1])); c=sorted(s["categories"].items(), key=lambda kv:-kv[1]["share"])[:4]; print(json.dumps([[k, v["share"]] for k, v in c]))' "$OUT_DIR/profile.json")"
      stage profile status=ok top="$top" detail="profile.txt"
    else
      stage profile status=failed detail="profile_summary.py failed; see profile.txt"
      fail
    fi
    gzip -c "$trace" >"$OUT_DIR/trace.json.gz"
  else
    stage profile status=failed detail="the run wrote no trace"
    fail
  fi
else
  stage train status="not run" detail="out of time"
fi
summarize >/dev/null

# --- 4. transformers' training step on the same shapes ----------------------------------
(( HF )) || stage hf status=skipped detail="--skip-hf"
if (( HF )); then
  if (( $(left) > 60 )); then
    echo "gpu_check: transformers' JetMoE step, $LAYERS layers"
    fpt="$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("flops_per_token", 0))' "$OUT_DIR/stage-train.json" 2>/dev/null || echo 0)"
    if timeout "$(left)" "$PYTHON" "$HERE/hf_train_step.py" --preset-file "$PRESET_FILE" --num-layers "$LAYERS" \
         --micro-batch-size "$MICRO_BATCH" --grad-accum "$ACCUM" --seq-len "$SEQ" --steps 6 --warmup 2 --device "$DEVICE" --dtype "$DTYPE" \
         --flops-per-token "$fpt" --peak-flops "$PEAK_FLOPS" --out "$OUT_DIR/hf.json" >"$OUT_DIR/hf.log" 2>&1; then
      cp "$OUT_DIR/hf.json" "$OUT_DIR/stage-hf.json"
    else
      if [[ -f "$OUT_DIR/hf.json" ]]; then cp "$OUT_DIR/hf.json" "$OUT_DIR/stage-hf.json"; else stage hf status=failed detail="see hf.log"; fi
      fail
    fi
  else
    stage hf status="not run" detail="out of time"
  fi
  summarize >/dev/null
fi

# --- 5. As many layers as memory allows -----------------------------------------------
if (( MAX_LAYERS > 0 )); then
  budget_bytes="$("$PYTHON" -c "print(int($gpu_mem_mib * 2**20 * $MEMORY_FRACTION))")"
  deep_layers=0
  for (( l = MAX_LAYERS; l >= 1; l-- )); do
    need="$("$MOETRAIN" plan --preset "$PRESET" --num-layers="$l" --micro-batch-size="$MICRO_BATCH" \
      --grad-accum-steps="$ACCUM" --seq-len="$SEQ" \
      --device="$DEVICE" --dtype="$DTYPE" --json 2>/dev/null |
      "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["memory"]["total"])' 2>/dev/null || echo 0)"
    if [[ "$need" =~ ^[0-9]+$ ]] && (( need > 0 && need <= budget_bytes )); then deep_layers=$l; break; fi
  done
  if (( deep_layers == 0 )); then
    stage deep status=failed detail="moetrain plan fits no layer count in $MEMORY_FRACTION of $gpu_mem_mib MiB"
    fail
  elif (( $(left) > 90 )); then
    echo "gpu_check: deep run, $deep_layers layers (the most moetrain plan fits in $MEMORY_FRACTION of the memory)"
    train_stage deep "$deep_layers" 16 0
  else
    stage deep status="not run" layers="$deep_layers" detail="out of time ($deep_layers layers would fit)"
  fi
  summarize >/dev/null
fi

# The runs' own files (checkpoints are off; the trace is kept compressed).
rm -rf "$OUT_DIR"/run-*/profile
summarize
exit "$failed"
