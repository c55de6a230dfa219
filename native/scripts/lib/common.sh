# Shared by native/scripts/*.sh: progress/error output and the project-managed
# Python venv that provides LibTorch (and, for the tests, transformers).
# shellcheck shell=bash

MOETRAIN_TORCH_VERSION="2.13.0"

# Progress line a GUI can parse: "[build] <phase>: <message>".
say() { printf '[build] %s: %s\n' "$1" "$2"; }

# One-line actionable error, then exit 1: "[build] error: <what> — <fix>".
die() {
  printf '[build] error: %s — %s\n' "$1" "$2" >&2
  exit 1
}

# Path of the managed venv for the pinned torch version.
managed_venv_path() {
  if [[ -n "${MOETRAIN_VENV:-}" ]]; then
    printf '%s\n' "$MOETRAIN_VENV"
  else
    printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/moe-workbench/venv-torch-${MOETRAIN_TORCH_VERSION}"
  fi
}

# True when the venv's python imports torch at the pinned version and numpy.
venv_has_pinned_torch() {
  local py="$1/bin/python"
  [[ -x "$py" ]] || return 1
  "$py" - "$MOETRAIN_TORCH_VERSION" <<'PY' >/dev/null 2>&1
import sys
import numpy  # noqa: F401
import torch
sys.exit(0 if torch.__version__.split("+")[0] == sys.argv[1] else 1)
PY
}

# Creates the venv with the pinned torch (CPU wheel from the configured package
# index or wheel store) plus numpy, once; later calls reuse it. Concurrent
# callers wait on a lock instead of installing twice.
ensure_managed_venv() {
  local venv="$1" phase="${2:-libtorch}"
  if venv_has_pinned_torch "$venv"; then
    return 0
  fi
  mkdir -p "$(dirname "$venv")" || die "cannot create $(dirname "$venv")" "set MOETRAIN_VENV to a writable directory"
  local lock="$venv.lock"
  exec {lock_fd}>"$lock" || die "cannot create lock file $lock" "set MOETRAIN_VENV to a writable directory"
  if command -v flock >/dev/null 2>&1 && ! flock -n "$lock_fd"; then
    say "$phase" "waiting for another process that is setting up $venv"
    flock "$lock_fd"
  fi
  if ! venv_has_pinned_torch "$venv"; then
    local bootstrap="${MOETRAIN_BOOTSTRAP_PYTHON:-python3}"
    command -v "$bootstrap" >/dev/null 2>&1 ||
      die "python3 is not installed" "install Python 3.9+ (apt-get install -y python3 python3-venv) or pass --python/MOETRAIN_LIBTORCH"
    local log="$venv.install.log"
    say "$phase" "creating the managed venv $venv with torch==$MOETRAIN_TORCH_VERSION (one-time, about 1 GB; log: $log)"
    if [[ ! -x "$venv/bin/python" ]]; then
      "$bootstrap" -m venv "$venv" >"$log" 2>&1 ||
        die "could not create a venv with $bootstrap (see $log)" "install the venv module (apt-get install -y python3-venv) or pass --python PATH"
    fi
    # --retries 0: fail fast on unreachable indexes and fall through to the
    # local wheel store when one is configured.
    if ! "$venv/bin/pip" install --retries 0 "torch==$MOETRAIN_TORCH_VERSION" numpy >>"$log" 2>&1; then
      tail -n 5 "$log" >&2
      die "pip could not install torch==$MOETRAIN_TORCH_VERSION into $venv (see $log)" \
        "make a PyTorch wheel reachable to pip, or pass --python PATH / MOETRAIN_LIBTORCH=DIR to use an existing PyTorch"
    fi
    venv_has_pinned_torch "$venv" ||
      die "the managed venv $venv does not import torch $MOETRAIN_TORCH_VERSION after installation (see $log)" \
        "delete $venv and rerun"
  fi
  exec {lock_fd}>&-
}
