#!/usr/bin/env bash
# Prepares the Python used by the parity tests, idempotently: the managed venv
# with the pinned torch plus transformers and safetensors from the configured
# package index or local wheel store.
# usage: native/scripts/test_python_env.sh [VENV_DIR]   (default: the managed venv)
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

TRANSFORMERS_VERSION="5.18.0"
VENV="${1:-$(managed_venv_path)}"

ensure_managed_venv "$VENV" test-env
PY="$VENV/bin/python"
has_test_packages() {
  "$PY" - "$TRANSFORMERS_VERSION" <<'PY' >/dev/null 2>&1
import sys
import safetensors  # noqa: F401
import transformers
from transformers import JetMoeForCausalLM  # noqa: F401
sys.exit(0 if transformers.__version__ == sys.argv[1] else 1)
PY
}
if has_test_packages; then
  say test-env "transformers $TRANSFORMERS_VERSION and safetensors present in $VENV"
  exit 0
fi
# Serialise with other builds and test runs that share the venv.
exec {lock_fd}>"$VENV.lock"
command -v flock >/dev/null 2>&1 && flock "$lock_fd"
if has_test_packages; then
  say test-env "transformers $TRANSFORMERS_VERSION and safetensors present in $VENV"
  exit 0
fi
log="$VENV.test-packages.log"
say test-env "installing transformers==$TRANSFORMERS_VERSION and safetensors into $VENV (log: $log)"
if ! "$VENV/bin/pip" install --retries 0 "transformers==$TRANSFORMERS_VERSION" safetensors >"$log" 2>&1; then
  tail -n 5 "$log" >&2
  die "pip could not install transformers==$TRANSFORMERS_VERSION (see $log)" \
    "make the package index or wheel store reachable to pip, then rerun the tests"
fi
has_test_packages || die "transformers $TRANSFORMERS_VERSION is still not importable from $VENV (see $log)" "delete $VENV and rerun"
say test-env "ready: $VENV"
