# The managed Python environment (a venv holding the pinned PyTorch the trainer builds against, and the
# packages that the tests, evaluation and data preparation use). One resolution of its path and one
# installer, used by scripts/build.sh, scripts/python_env.sh, CMake (tests), and the workbench.
# Sourced by scripts/lib/common.sh (which defines say/die).
# shellcheck shell=bash

PYTHON_PINS_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/python-pins.txt"

# Prints the pinned version of a package from python-pins.txt (empty when unpinned).
pinned_version() {
  sed -n "s/^$1==\\([^ #]*\\).*/\\1/p" "$PYTHON_PINS_FILE" | head -n1
}

MOETRAIN_TORCH_VERSION="$(pinned_version torch)"
[[ -n "$MOETRAIN_TORCH_VERSION" ]] || {
  printf '[build] error: %s has no torch==VERSION line — restore it from the repository\n' "$PYTHON_PINS_FILE" >&2
  exit 1
}

# The packages of each purpose (versions come from python-pins.txt):
#   build: what the trainer compiles against;
#   test:  parity with transformers, export (safetensors), tokenizers, data preparation (zstandard);
#   eval:  lm-evaluation-harness and the parts of its dependencies that its Python API uses.
python_env_packages() {
  case "$1" in
    build) echo "torch numpy" ;;
    test) echo "torch numpy transformers safetensors tokenizers zstandard" ;;
    eval) echo "lm-eval accelerate datasets" ;;
    *) return 1 ;;
  esac
}

# Path of the managed venv for the pinned torch version.
managed_venv_path() {
  if [[ -n "${MOETRAIN_VENV:-}" ]]; then
    printf '%s\n' "$MOETRAIN_VENV"
  else
    printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/moe-workbench/venv-torch-${MOETRAIN_TORCH_VERSION}"
  fi
}

# The stamp that records a verified purpose: the pins file's content plus the package list. A matching stamp
# makes the check a few milliseconds; anything else re-verifies by importing.
python_env_stamp_value() {
  printf '%s\n%s\n' "$(python_env_packages "$1")" "$(grep -v '^#' "$PYTHON_PINS_FILE")" | cksum | awk '{print $1}'
}

# Verifies a purpose by installed versions and imports (slow path); prints what is missing on failure.
python_env_verify() {
  local venv="$1" purpose="$2" py="$1/bin/python"
  [[ -x "$py" ]] || { echo "no venv at $venv"; return 1; }
  local specs=() p v
  for p in $(python_env_packages "$purpose"); do
    v="$(pinned_version "$p")"
    specs+=("$p=${v}")
  done
  "$py" - "$purpose" "${specs[@]}" <<'PY'
import importlib, sys
from importlib.metadata import version, PackageNotFoundError
purpose, specs = sys.argv[1], sys.argv[2:]
problems = []
for spec in specs:
    name, _, want = spec.partition("=")
    try:
        have = version(name)
    except PackageNotFoundError:
        problems.append(f"{name} is not installed")
        continue
    if want and have.split("+")[0] != want:
        problems.append(f"{name} {have} is installed, {want} is pinned")
# Imports that prove the packages work, not just that their metadata exists.
imports = {
    "build": ["torch", "numpy"],
    "test": ["torch", "numpy", "safetensors", "tokenizers", "zstandard", "transformers"],
    "eval": ["lm_eval.models.huggingface", "lm_eval.tasks"],
}[purpose]
if not problems:
    for module in imports:
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - any import failure means not ready
            problems.append(f"import {module} failed: {type(exc).__name__}: {exc}"[:300])
    if purpose == "test" and not problems:
        try:
            from transformers import JetMoeForCausalLM  # noqa: F401
        except Exception as exc:  # noqa: BLE001
            problems.append(f"transformers has no JetMoeForCausalLM: {exc}"[:300])
print("; ".join(problems))
sys.exit(1 if problems else 0)
PY
}

# True when the purpose is ready: the fast stamp check, else a full verification (which then writes the stamp).
python_env_ready() {
  local venv="$1" purpose="$2"
  local stamp="$venv/.moe-workbench-$purpose.ok"
  [[ -x "$venv/bin/python" ]] || return 1
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$(python_env_stamp_value "$purpose")" ]]; then
    return 0
  fi
  python_env_verify "$venv" "$purpose" >/dev/null 2>&1 || return 1
  python_env_stamp_value "$purpose" >"$stamp"
}

# Runs pip with the pins as constraints, printing pip's "Collecting"/"Installing" lines as progress.
python_env_pip() {
  local venv="$1" phase="$2" log="$3"
  shift 3
  local status
  set +e
  "$venv/bin/pip" install --retries 0 --progress-bar off --disable-pip-version-check \
    -c "$PYTHON_PINS_FILE" "$@" 2>&1 | tee -a "$log" | while IFS= read -r line; do
    case "$line" in
      Collecting\ *) say "$phase" "  ${line%% (*}" ;;
      Installing\ collected*) say "$phase" "  installing $(echo "$line" | wc -w | awk '{print $1 - 3}') packages" ;;
      Successfully\ installed*) say "$phase" "  done" ;;
    esac
  done
  status=${PIPESTATUS[0]}
  set -e
  return "$status"
}

# lm-eval 0.4.x declares dependencies that only some of its metrics and its command-line table use (evaluate,
# pytablewriter, rouge-score, sqlitedict, word2number). Where the package store lacks them (offline wheel stores
# often do), install lm-eval without dependencies plus the ones its Hugging Face model and multiple-choice tasks
# import; its Python API (scripts/lm_eval_run.py) then works.
python_env_install_eval() {
  local venv="$1" phase="$2" log="$3"
  python_env_pip "$venv" "$phase" "$log" lm-eval accelerate datasets && return 0
  local missing
  missing="$(grep -o 'No matching distribution found for [^ ]*' "$log" | awk '{print $NF}' | sort -u | tr '\n' ' ')"
  say "$phase" "lm-eval's full dependency set is not installable here (missing: ${missing:-see $log}); installing it \
without evaluate, pytablewriter, rouge-score, sqlitedict and word2number"
  python_env_pip "$venv" "$phase" "$log" accelerate datasets sacrebleu scikit-learn dill more_itertools jinja2 \
    tqdm typing_extensions && python_env_pip "$venv" "$phase" "$log" --no-deps lm-eval
}

# Creates or completes the managed venv for a purpose (build, test or eval), once; later calls take
# milliseconds. Concurrent callers wait on a lock instead of installing twice.
ensure_python_env() {
  local venv="$1" purpose="$2" phase="${3:-env}"
  python_env_packages "$purpose" >/dev/null || die "unknown purpose '$purpose'" "use build, test or eval"
  python_env_ready "$venv" "$purpose" && return 0
  mkdir -p "$(dirname "$venv")" || die "cannot create $(dirname "$venv")" "set MOETRAIN_VENV to a writable directory"
  local lock="$venv.lock" lock_fd
  exec {lock_fd}>"$lock" || die "cannot create lock file $lock" "set MOETRAIN_VENV to a writable directory"
  if command -v flock >/dev/null 2>&1 && ! flock -n "$lock_fd"; then
    say "$phase" "waiting for another process that is setting up $venv"
    flock "$lock_fd"
  fi
  if ! python_env_ready "$venv" "$purpose"; then
    local log="$venv.install.log"
    if [[ ! -x "$venv/bin/python" ]]; then
      local bootstrap="${MOETRAIN_BOOTSTRAP_PYTHON:-python3}"
      command -v "$bootstrap" >/dev/null 2>&1 ||
        die "python3 is not installed" "install Python 3.10+ (apt-get install -y python3 python3-venv) or pass --python/MOETRAIN_LIBTORCH"
      say "$phase" "creating the managed venv $venv (one-time; log: $log)"
      "$bootstrap" -m venv "$venv" >"$log" 2>&1 ||
        die "could not create a venv with $bootstrap (see $log)" "install the venv module (apt-get install -y python3-venv) or pass --python PATH"
    fi
    local packages
    packages="$(python_env_packages "$purpose")"
    say "$phase" "installing the $purpose packages into $venv: $packages (pins: scripts/python-pins.txt; log: $log)"
    local ok=0
    if [[ "$purpose" == eval ]]; then
      python_env_install_eval "$venv" "$phase" "$log" || ok=1
    else
      # shellcheck disable=SC2086
      python_env_pip "$venv" "$phase" "$log" $packages || ok=1
    fi
    if [[ $ok != 0 ]]; then
      tail -n 5 "$log" >&2
      die "pip could not install the $purpose packages ($packages) into $venv (see $log)" \
        "make the package index or a wheel store reachable to pip, or pass --python PATH / MOETRAIN_LIBTORCH=DIR for the build"
    fi
    local problems
    if ! problems="$(python_env_verify "$venv" "$purpose" 2>&1)"; then
      die "the managed venv $venv is not ready for $purpose after installing: $problems (see $log)" "delete $venv and rerun"
    fi
    python_env_stamp_value "$purpose" >"$venv/.moe-workbench-$purpose.ok"
    say "$phase" "the $purpose packages are ready in $venv"
  fi
  exec {lock_fd}>&-
}

# Kept for scripts that ask for the build purpose only.
ensure_managed_venv() { ensure_python_env "$1" build "${2:-libtorch}"; }
venv_has_pinned_torch() { python_env_ready "$1" build; }
