#!/usr/bin/env bash
# The managed Python environment from the command line: where it is, whether it is ready, and preparing it.
# `npm test` runs `ensure --for all` before any test step; the tests themselves never install anything.
#
# usage: native/scripts/python_env.sh path
#        native/scripts/python_env.sh check  [--for build|test|eval|all] [--venv DIR]
#        native/scripts/python_env.sh ensure [--for build|test|eval|all] [--venv DIR]
# The venv is ${MOETRAIN_VENV:-${XDG_CACHE_HOME:-~/.cache}/moe-workbench/venv-torch-<pinned torch>}; the pinned
# versions are in native/scripts/python-pins.txt. `check` exits 1 naming what is missing and the command that
# installs it.
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

command="${1:-}"
[[ $# -gt 0 ]] && shift
purpose="all"
venv=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --for) [[ $# -ge 2 ]] || die "--for needs a value" "use --for build|test|eval|all"; purpose="$2"; shift 2 ;;
    --for=*) purpose="${1#*=}"; shift ;;
    --venv) [[ $# -ge 2 ]] || die "--venv needs a directory" "pass --venv DIR"; venv="$2"; shift 2 ;;
    --venv=*) venv="${1#*=}"; shift ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1'" "see native/scripts/python_env.sh --help" ;;
  esac
done
venv="${venv:-$(managed_venv_path)}"
case "$purpose" in
  all) purposes=(build test eval) ;;
  build|test|eval) purposes=("$purpose") ;;
  *) die "unknown purpose '$purpose'" "use --for build, test, eval or all" ;;
esac

case "$command" in
  path)
    printf '%s\n' "$venv"
    ;;
  check)
    for p in "${purposes[@]}"; do
      if ! python_env_ready "$venv" "$p"; then
        problems="$(python_env_verify "$venv" "$p" 2>&1 || true)"
        die "the managed Python environment $venv is not ready for $p (${problems:-missing})" \
          "run: bash native/scripts/python_env.sh ensure --for $purpose (npm test does this first)"
      fi
    done
    say env "ready for ${purposes[*]}: $venv"
    ;;
  ensure)
    total=${#purposes[@]} n=0
    for p in "${purposes[@]}"; do
      n=$((n + 1))
      if python_env_ready "$venv" "$p"; then
        say env "[$n/$total] $p: ready"
      else
        say env "[$n/$total] $p: preparing"
        ensure_python_env "$venv" "$p" env
      fi
    done
    say env "ready: $venv"
    ;;
  *)
    die "unknown command '${command}'" "use: python_env.sh path | check [--for P] | ensure [--for P]"
    ;;
esac
