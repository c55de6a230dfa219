#!/usr/bin/env bash
# The GPU check script, rehearsed on the CPU: every stage runs (parity, the profiled run, transformers'
# step, the deepest run plan fits) and the summary carries each stage's numbers. Then two failure
# paths: no GPU (exit 2, one line naming what is missing) and a parity failure (exit 1).
# usage: test_gpu_check_rehearsal.sh NATIVE_DIR BUILD_DIR VENV_PYTHON WORK_DIR
set -euo pipefail
native="$1" build="$2" python="$3" work="$4"
script="$native/bench/gpu_check.sh"
rm -rf "$work" && mkdir -p "$work"

bash "$script" --rehearse --python "$python" --moetrain "$build/moetrain" \
  --parity-runner "$build/tests/jetmoe_parity_runner" --out "$work/ok" --layers 2 --steps 12 \
  --grad-accum-steps 2 --max-layers 3 | tee "$work/ok.txt"
"$python" - "$work/ok/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for stage in ("build", "parity", "train", "profile", "hf", "deep"):
    assert s[stage]["status"] == "ok", (stage, s[stage])
for stage in ("train", "deep"):
    assert s[stage]["tokens_per_s"] > 0 and s[stage]["plan_mem_gib"] > 0, s[stage]
    assert s[stage]["grad_accum"] == 2, s[stage]
assert s["hf"]["tokens_per_s"] > 0 and s["hf"]["grad_accum"] == 2, s["hf"]
assert s["ratio_vs_transformers"] > 0
cats = s["profile"]["top"]
assert cats and all(0 < share <= 1 for _, share in cats), cats
print("summary ok:", {k: s[k]["status"] for k in ("parity", "train", "profile", "hf", "deep")})
PY
grep -q "moetrain/transformers" "$work/ok/summary.txt"
[[ -s "$work/ok/trace.json.gz" ]]

# No GPU: exit 2 before anything runs.
set +e
PATH="/usr/bin:/bin" bash "$script" --python "$python" --out "$work/nogpu" >"$work/nogpu.txt" 2>&1
rc=$?
set -e
if command -v nvidia-smi >/dev/null 2>&1; then
  echo "note: this machine has nvidia-smi; the no-GPU path is not checked here"
else
  [[ $rc -eq 2 ]] || { echo "expected exit 2 without a GPU, got $rc"; cat "$work/nogpu.txt"; exit 1; }
  grep -q "no NVIDIA GPU" "$work/nogpu.txt" || { cat "$work/nogpu.txt"; exit 1; }
fi

# A parity failure (a runner that writes nothing) fails the check with exit 1 and says which variant.
printf '#!/bin/sh\nexit 0\n' >"$work/bad-runner" && chmod +x "$work/bad-runner"
set +e
bash "$script" --rehearse --python "$python" --moetrain "$build/moetrain" --parity-runner "$work/bad-runner" \
  --out "$work/bad" --layers 1 --steps 12 --max-layers 0 --skip-hf >"$work/bad.txt" 2>&1
rc=$?
set -e
[[ $rc -eq 1 ]] || { echo "expected exit 1 on a parity failure, got $rc"; cat "$work/bad.txt"; exit 1; }
grep -q "parity  failed: sdpa" "$work/bad/summary.txt" || { cat "$work/bad/summary.txt"; exit 1; }
echo "gpu_check rehearsal: ok"
