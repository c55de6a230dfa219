#!/usr/bin/env bash
# Prepares the Python used by the parity tests, idempotently: the managed venv
# with the pinned torch plus transformers and safetensors from the configured
# package index or local wheel store.
# usage: native/scripts/test_python_env.sh [VENV_DIR] [--with-lm-eval]
#   (default VENV_DIR: the managed venv)
#   --with-lm-eval   also lm-evaluation-harness (lm-eval==0.4.13) for the export tests
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

TRANSFORMERS_VERSION="5.18.0"
LM_EVAL_VERSION="0.4.13"
VENV=""
WITH_LM_EVAL=0
for arg in "$@"; do
  case "$arg" in
    --with-lm-eval) WITH_LM_EVAL=1 ;;
    *) VENV="$arg" ;;
  esac
done
VENV="${VENV:-$(managed_venv_path)}"

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
has_lm_eval() {
  "$PY" - "$LM_EVAL_VERSION" <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version
import lm_eval.models.huggingface  # noqa: F401  (pulls accelerate, datasets)
from lm_eval.tasks import TaskManager  # noqa: F401
sys.exit(0 if version("lm_eval") == sys.argv[1] else 1)
PY
}
ready() { has_test_packages && { [[ $WITH_LM_EVAL == 0 ]] || has_lm_eval; }; }
if ready; then
  say test-env "transformers $TRANSFORMERS_VERSION and safetensors present in $VENV"
  [[ $WITH_LM_EVAL == 0 ]] || say test-env "lm-eval $LM_EVAL_VERSION present in $VENV"
  exit 0
fi
# Serialise with other builds and test runs that share the venv.
exec {lock_fd}>"$VENV.lock"
command -v flock >/dev/null 2>&1 && flock "$lock_fd"
if ready; then
  say test-env "transformers $TRANSFORMERS_VERSION and safetensors present in $VENV"
  exit 0
fi
log="$VENV.test-packages.log"
install_test_packages() {
  has_test_packages && return 0
  say test-env "installing transformers==$TRANSFORMERS_VERSION and safetensors into $VENV (log: $log)"
  if ! "$VENV/bin/pip" install --retries 0 "transformers==$TRANSFORMERS_VERSION" safetensors >"$log" 2>&1; then
    tail -n 5 "$log" >&2
    die "pip could not install transformers==$TRANSFORMERS_VERSION (see $log)" \
      "make the package index or wheel store reachable to pip, then rerun the tests"
  fi
  has_test_packages || die "transformers $TRANSFORMERS_VERSION is still not importable from $VENV (see $log)" "delete $VENV and rerun"
}

# lm-eval 0.4.13 declares dependencies that only some of its metrics and its
# command-line table use (evaluate, pytablewriter, rouge-score, sqlitedict,
# word2number). Where the package store lacks them (the offline wheel store of
# the development machines does), install lm-eval without dependencies plus the
# ones its Hugging Face model and multiple-choice tasks import; its Python API
# (scripts/lm_eval_run.py) then works, the `lm_eval` command stops at printing
# its table.
install_lm_eval() {
  has_lm_eval && return 0
  local lm_log="$VENV.lm-eval.log"
  say test-env "installing lm-eval==$LM_EVAL_VERSION into $VENV (log: $lm_log)"
  if "$VENV/bin/pip" install --retries 0 "lm-eval==$LM_EVAL_VERSION" accelerate >"$lm_log" 2>&1; then
    has_lm_eval && return 0
  fi
  local missing
  missing="$(grep -o 'No matching distribution found for [^ ]*' "$lm_log" | awk '{print $NF}' | sort -u | tr '\n' ' ')"
  say test-env "lm-eval's full dependency set is not installable here (missing: ${missing:-see $lm_log}); installing it without evaluate, pytablewriter, rouge-score, sqlitedict and word2number"
  if ! "$VENV/bin/pip" install --retries 0 accelerate datasets sacrebleu scikit-learn dill more_itertools jinja2 \
      tqdm typing_extensions >>"$lm_log" 2>&1 ||
     ! "$VENV/bin/pip" install --retries 0 --no-deps "lm-eval==$LM_EVAL_VERSION" >>"$lm_log" 2>&1; then
    tail -n 5 "$lm_log" >&2
    die "pip could not install lm-eval==$LM_EVAL_VERSION (see $lm_log)" \
      "make lm-eval and accelerate, datasets, sacrebleu, scikit-learn reachable to pip, then rerun"
  fi
  has_lm_eval || die "lm-eval $LM_EVAL_VERSION is still not importable from $VENV (see $lm_log)" "delete $VENV and rerun"
}

install_test_packages
[[ $WITH_LM_EVAL == 0 ]] || install_lm_eval
say test-env "ready: $VENV"
