#!/usr/bin/env bash
# GPU check of the trainer in one call of a few minutes, on a machine with an
# NVIDIA GPU and a CUDA build of PyTorch:
#   1. builds moetrain (and the parity test program) against that PyTorch;
#   2. runs the Hugging Face parity test on CUDA in bf16 (loose, relative tolerances);
#   3. trains a JetMoE-8B-width model (H=2048, E=8, k=2, I=5632, G=16, D=128,
#      V=32000, seq 4096) with fewer layers on one GPU and reads tokens/s and MFU
#      from its metrics stream;
# then prints one summary line and writes everything to the results directory.
# Without a GPU it stops at once with one line naming what is missing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NATIVE_DIR="$(cd "$HERE/.." && pwd)"
MFU_TARGET="0.40"

usage() {
  cat <<EOF
usage: native/bench/gpu_check.sh [options]

options:
  --python PATH         Python whose CUDA PyTorch the trainer is built against (default: \$MOETRAIN_PYTHON or python3)
  --build-dir DIR       build directory (default: native/build-gpu)
  --out DIR             results directory (default: <build-dir>/gpu-check)
  --layers N            layers of the JetMoE-8B-width model (default 4)
  --micro-batch-size N  sequences of 4096 tokens per step (default 2)
  --steps N             optimizer steps; the first logged interval is warm-up (default 60)
  --skip-parity         only build and benchmark
  -h, --help            show this help

Results: <out>/summary.json, summary.txt, build.log, parity.log, train.log, metrics.jsonl.
Exit status: 0 = built, parity ok and benchmark ran; 1 = something failed (see the summary);
2 = no usable GPU or CUDA PyTorch (nothing was run).
EOF
}

PYTHON="${MOETRAIN_PYTHON:-python3}"
BUILD_DIR="$NATIVE_DIR/build-gpu"
OUT_DIR=""
LAYERS=4
MICRO_BATCH=2
STEPS=60
PARITY=1

need_value() { [[ $# -ge 2 && -n "$2" ]] || { echo "gpu_check: option $1 needs a value (see --help)" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --python) need_value "$@"; PYTHON="$2"; shift 2 ;;
    --build-dir) need_value "$@"; BUILD_DIR="$2"; shift 2 ;;
    --out) need_value "$@"; OUT_DIR="$2"; shift 2 ;;
    --layers) need_value "$@"; LAYERS="$2"; shift 2 ;;
    --micro-batch-size) need_value "$@"; MICRO_BATCH="$2"; shift 2 ;;
    --steps) need_value "$@"; STEPS="$2"; shift 2 ;;
    --skip-parity) PARITY=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu_check: unknown option '$1' (see native/bench/gpu_check.sh --help)" >&2; exit 2 ;;
  esac
done
for v in LAYERS MICRO_BATCH STEPS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "gpu_check: ${v,,} must be a positive integer, got '${!v}'" >&2; exit 2; }
done
(( STEPS >= 20 )) || { echo "gpu_check: --steps must be at least 20 (the first 10 are warm-up)" >&2; exit 2; }

missing() {
  echo "gpu_check: $1 — $2" >&2
  exit 2
}

# --- 0. Is there a GPU and a CUDA PyTorch? (fails fast, runs nothing) ------------
command -v nvidia-smi >/dev/null 2>&1 ||
  missing "no NVIDIA GPU: nvidia-smi is not installed" "run this on a GPU node with the NVIDIA driver"
gpu_name="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n1 || true)"
[[ -n "$gpu_name" ]] || missing "no NVIDIA GPU: nvidia-smi lists no device" "run this on a GPU node with a working NVIDIA driver"
command -v "$PYTHON" >/dev/null 2>&1 || missing "Python '$PYTHON' not found" "pass --python PATH of the Python with CUDA PyTorch"
torch_probe="$("$PYTHON" -c 'import torch; print(torch.__version__, torch.version.cuda or "none", int(torch.cuda.is_available()))' 2>&1 | tail -n1)" ||
  missing "'$PYTHON' cannot import torch ($torch_probe)" "pass --python PATH of the Python with CUDA PyTorch"
read -r torch_version torch_cuda cuda_ok <<<"$torch_probe"
[[ "$torch_cuda" != "none" ]] ||
  missing "PyTorch $torch_version of '$PYTHON' is a CPU build" "pass --python PATH of a Python with a CUDA build of PyTorch"
[[ "$cuda_ok" == "1" ]] ||
  missing "PyTorch $torch_version (CUDA $torch_cuda) sees no usable GPU" "check the driver (nvidia-smi) and CUDA_VISIBLE_DEVICES"

OUT_DIR="${OUT_DIR:-$BUILD_DIR/gpu-check}"
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
echo "gpu_check: $gpu_name, PyTorch $torch_version (CUDA $torch_cuda); results in $OUT_DIR"
start_s=$SECONDS

# --- 1. Build against this PyTorch ----------------------------------------------
build_status="ok"
if ! bash "$NATIVE_DIR/scripts/build.sh" --python "$PYTHON" --build-dir "$BUILD_DIR" >"$OUT_DIR/build.log" 2>&1; then
  build_status="failed"
  tail -n 20 "$OUT_DIR/build.log" >&2
  echo "gpu_check: build failed; see $OUT_DIR/build.log" >&2
  printf '{"gpu": "%s", "torch": "%s", "build": "failed"}\n' "$gpu_name" "$torch_version" >"$OUT_DIR/summary.json"
  exit 1
fi
MOETRAIN="$BUILD_DIR/moetrain"
echo "gpu_check: built $MOETRAIN in $((SECONDS - start_s)) s"

# --- 2. Parity with transformers on CUDA, bf16 ----------------------------------
parity_status="skipped"
if (( PARITY )); then
  runner="$BUILD_DIR/tests/jetmoe_parity_runner"
  if ! "$PYTHON" -c 'from transformers import JetMoeForCausalLM' >/dev/null 2>&1; then
    parity_status="not run: transformers with JetMoe is not importable in $PYTHON (pip install transformers>=5)"
  elif [[ ! -x "$runner" ]]; then
    parity_status="not run: $runner was not built (GoogleTest or the test build is off)"
  else
    # Expert loop and at::_grouped_mm (its bf16 fast path on sm90/sm100), tied and untied.
    parity_status="ok"
    : >"$OUT_DIR/parity.log"
    for variant in sdpa sdpa-grouped eager-untied; do
      if ! "$PYTHON" "$NATIVE_DIR/tests/parity/jetmoe_parity.py" --runner "$runner" --variant "$variant" \
           --device cuda --dtype bfloat16 --work-dir "$OUT_DIR/parity-$variant" >>"$OUT_DIR/parity.log" 2>&1; then
        parity_status="failed ($variant; see $OUT_DIR/parity.log)"
        break
      fi
    done
  fi
  echo "gpu_check: parity (CUDA, bf16): $parity_status"
fi

# --- 3. Throughput and MFU of a JetMoE-8B-width slice ---------------------------
RUN_DIR="$OUT_DIR/run"
rm -rf "$RUN_DIR"
train_cmd=("$MOETRAIN" train --run-dir "$RUN_DIR" --preset jetmoe-8b --num-layers="$LAYERS"
  --micro-batch-size="$MICRO_BATCH" --grad-accum-steps=1 --seq-len=4096 --max-steps="$STEPS" --train-tokens=0
  --warmup-tokens=0 --decay-tokens=0 --val-every=0 --router-stats-every=0 --checkpoint-every=0 --keep-checkpoints=1
  --log-every=10 --device=cuda --dtype=bfloat16 --data=synthetic)
echo "${train_cmd[*]}" >"$OUT_DIR/train.log"
train_status="ok"
if ! "${train_cmd[@]}" >>"$OUT_DIR/train.log" 2>&1; then
  train_status="failed"
  tail -n 20 "$OUT_DIR/train.log" >&2
fi
[[ -f "$RUN_DIR/metrics.jsonl" ]] && cp "$RUN_DIR/metrics.jsonl" "$OUT_DIR/metrics.jsonl"
# The final checkpoint (weights and AdamW moments, ~12 bytes per parameter) is not needed here.
rm -rf "$RUN_DIR/checkpoints"

"$PYTHON" - "$OUT_DIR" "$gpu_name" "$torch_version" "$LAYERS" "$MICRO_BATCH" "$MFU_TARGET" "$parity_status" \
  "$train_status" "$((SECONDS - start_s))" <<'PY'
import json, os, statistics, sys
out, gpu, torch_version, layers, mb, target, parity, train, seconds = sys.argv[1:]
steps = []
path = os.path.join(out, "metrics.jsonl")
if os.path.exists(path):
    with open(path) as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("type") == "step":
                steps.append(rec)
timed = steps[1:]  # the first interval holds start-up and allocator warm-up
summary = {"gpu": gpu, "torch": torch_version, "model": "JetMoE-8B width (H=2048 E=8 k=2 I=5632 G=16 D=128 V=32000)",
           "layers": int(layers), "micro_batch": int(mb), "seq_len": 4096, "parity_cuda_bf16": parity, "train": train,
           "mfu_target": float(target), "seconds": int(seconds)}
if timed:
    summary["tokens_per_s"] = statistics.median(r["tokens_per_s"] for r in timed)
    mfus = [r["mfu"] for r in timed if r.get("mfu") is not None]
    summary["mfu"] = statistics.median(mfus) if mfus else None
    summary["peak_mem_gib"] = max((r.get("mem_bytes") or 0) for r in timed) / 2**30
    summary["intervals"] = len(timed)
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)
if "tokens_per_s" in summary:
    mfu = summary["mfu"]
    mfu_text = f"MFU {mfu:.1%} (target {float(target):.0%}: {'met' if mfu >= float(target) else 'not met'})" \
        if mfu is not None else "MFU unknown (pass --peak-flops)"
    line = (f"gpu_check: {gpu}, {layers} layers x JetMoE-8B width, {mb} x 4096 tokens/step: "
            f"{summary['tokens_per_s']:.0f} tokens/s, {mfu_text}, peak memory {summary['peak_mem_gib']:.1f} GiB; "
            f"parity (CUDA, bf16): {parity}")
else:
    line = f"gpu_check: {gpu}: training produced no step records (train {train}); parity (CUDA, bf16): {parity}"
with open(os.path.join(out, "summary.txt"), "w") as f:
    f.write(line + "\n")
print(line)
PY

[[ "$train_status" == "ok" && ( "$parity_status" == "ok" || "$PARITY" == "0" ) ]] || exit 1
