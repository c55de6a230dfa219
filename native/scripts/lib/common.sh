# Shared by native/scripts/*.sh: progress/error output and the project-managed
# Python venv that provides LibTorch (and, for the tests, transformers).
# shellcheck shell=bash

# Progress line a GUI can parse: "[build] <phase>: <message>".
say() { printf '[build] %s: %s\n' "$1" "$2"; }

# One-line actionable error, then exit 1: "[build] error: <what> — <fix>".
die() {
  printf '[build] error: %s — %s\n' "$1" "$2" >&2
  exit 1
}

# The managed Python environment: its path, pins and installer.
# shellcheck source=python_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/python_env.sh"
