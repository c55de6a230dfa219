#!/usr/bin/env bash
# Builds moetrain: finds LibTorch, configures CMake, compiles, prints the binary path.
# The one entry point for local builds, tests, CI and remote GPU nodes.
# Output protocol (docs/trainer-build.md):
#   [build] <phase>: <message>        phases: libtorch, configure, compile, done
#   [build] compile: <pct>% ...       when the build tool reports progress
#   [build] error: <what> — <fix>     then a non-zero exit
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NATIVE_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

usage() {
  cat <<EOF
usage: native/scripts/build.sh [options]

Builds the moetrain binary into <build-dir>/moetrain.

options:
  --python PATH       use the PyTorch installed for this Python (also: MOETRAIN_PYTHON)
  --build-dir DIR     build directory (default: native/build)
  --build-type TYPE   Release (default), RelWithDebInfo or Debug
  --jobs N            parallel compile jobs (default: number of CPUs, at most 2 per 3 GB of RAM)
  --no-tests          do not build the tests
  --parity-runner     also build tests/jetmoe_parity_runner when the tests are off (needs no GoogleTest)
  -h, --help          show this help

LibTorch is found in this order:
  1. MOETRAIN_LIBTORCH=DIR   a LibTorch root or a Torch_DIR (directory of TorchConfig.cmake)
  2. --python PATH or MOETRAIN_PYTHON=PATH: the torch package of that Python
  3. the managed venv \${MOETRAIN_VENV:-\${XDG_CACHE_HOME:-~/.cache}/moe-workbench/venv-torch-$MOETRAIN_TORCH_VERSION},
     created once with torch==$MOETRAIN_TORCH_VERSION and numpy
CUDA builds of PyTorch need a matching CUDA toolkit: CUDAToolkit_ROOT, CUDACXX or CUDA_HOME.
EOF
}

PYTHON="${MOETRAIN_PYTHON:-}"
BUILD_DIR="$NATIVE_DIR/build"
BUILD_TYPE="Release"
JOBS=""
BUILD_TESTS="ON"
PARITY_RUNNER="OFF"

need_value() {
  [[ $# -ge 2 && -n "$2" ]] || die "option $1 needs a value" "see native/scripts/build.sh --help"
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --python) need_value "$@"; PYTHON="$2"; shift 2 ;;
    --python=*) PYTHON="${1#*=}"; shift ;;
    --build-dir) need_value "$@"; BUILD_DIR="$2"; shift 2 ;;
    --build-dir=*) BUILD_DIR="${1#*=}"; shift ;;
    --build-type) need_value "$@"; BUILD_TYPE="$2"; shift 2 ;;
    --build-type=*) BUILD_TYPE="${1#*=}"; shift ;;
    --jobs|-j) need_value "$@"; JOBS="$2"; shift 2 ;;
    --jobs=*) JOBS="${1#*=}"; shift ;;
    --no-tests) BUILD_TESTS="OFF"; shift ;;
    --parity-runner) PARITY_RUNNER="ON"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1'" "see native/scripts/build.sh --help" ;;
  esac
done

case "$BUILD_TYPE" in
  Release|RelWithDebInfo|Debug|MinSizeRel) ;;
  *) die "unknown build type '$BUILD_TYPE'" "use Release, RelWithDebInfo or Debug" ;;
esac
if [[ -z "$JOBS" ]]; then
  cpus="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
  mem_kb="$(awk '/MemAvailable/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)"
  # A LibTorch translation unit needs about 1.5 GB of RAM to compile.
  by_mem=$(( mem_kb / 1500000 ))
  JOBS=$(( cpus < by_mem ? cpus : by_mem ))
  (( JOBS >= 1 )) || JOBS=1
fi
[[ "$JOBS" =~ ^[0-9]+$ && "$JOBS" -ge 1 ]] || die "--jobs must be a positive integer, got '$JOBS'" "pass e.g. --jobs 2"

command -v cmake >/dev/null 2>&1 || die "cmake is not installed" "install CMake 3.25 or newer (apt-get install -y cmake)"
cmake_version="$(cmake --version | awk 'NR==1 {print $3}')"
if [[ "$(printf '%s\n' "3.25" "$cmake_version" | sort -V | head -n1)" != "3.25" ]]; then
  die "CMake $cmake_version is too old" "install CMake 3.25 or newer"
fi
command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 ||
  die "no C++ compiler found" "install g++ 11 or newer (apt-get install -y g++)"

mkdir -p "$BUILD_DIR" || die "cannot create build directory $BUILD_DIR" "pass a writable --build-dir"
BUILD_DIR="$(cd "$BUILD_DIR" && pwd)"
PROBE_CACHE="$BUILD_DIR/.moetrain-libtorch.cache"

# ---------------------------------------------------------------------------
# libtorch: find it and learn its version and whether it is a CUDA build.
# Sets TORCH_DIR, TORCH_VERSION, TORCH_CUDA (CUDA version or empty), TORCH_ORIGIN.
# ---------------------------------------------------------------------------
TORCH_DIR="" TORCH_VERSION="" TORCH_CUDA="" TORCH_ORIGIN=""

file_stamp() { stat -c '%Y:%s' "$1" 2>/dev/null || echo missing; }

absolute_path() {
  # Absolute but not symlink-resolved: a venv's bin/python is a symlink whose
  # target would lose the venv's site-packages.
  local p="$1"
  if [[ "$p" != */* ]]; then p="$(command -v "$p" 2>/dev/null || true)"; fi
  [[ -z "$p" || "$p" == /* ]] || p="$PWD/$p"
  printf '%s\n' "$p"
}

# Loads the probe results cached for this Python if its torch is unchanged.
probe_cache_hit() {
  local real="$1"
  [[ -f "$PROBE_CACHE" ]] || return 1
  local cached_python cached_version_file cached_stamp
  cached_python="$(sed -n 's/^python=//p' "$PROBE_CACHE")"
  cached_version_file="$(sed -n 's/^version_file=//p' "$PROBE_CACHE")"
  cached_stamp="$(sed -n 's/^stamp=//p' "$PROBE_CACHE")"
  [[ "$cached_python" == "$real" && -n "$cached_version_file" &&
     "$cached_stamp" == "$(file_stamp "$cached_version_file")" ]] || return 1
  TORCH_DIR="$(sed -n 's/^torch_dir=//p' "$PROBE_CACHE")"
  TORCH_VERSION="$(sed -n 's/^version=//p' "$PROBE_CACHE")"
  TORCH_CUDA="$(sed -n 's/^cuda=//p' "$PROBE_CACHE")"
}

# Imports torch once per Python/torch installation; later runs read the cache.
probe_python() {
  local real
  real="$(absolute_path "$1")"
  [[ -n "$real" && -x "$real" ]] || die "Python '$1' was not found or is not executable" "pass an existing interpreter to --python"
  probe_cache_hit "$real" && return 0
  local out
  if ! out="$("$real" - 2>&1 <<'PY'
import os
import torch
import torch.utils
print("version=" + torch.__version__)
print("cuda=" + (torch.version.cuda or ""))
print("torch_dir=" + os.path.join(torch.utils.cmake_prefix_path, "Torch"))
print("version_file=" + os.path.join(os.path.dirname(torch.__file__), "version.py"))
PY
)"; then
    die "'$real' cannot import torch ($(printf '%s' "$out" | tail -n 1))" \
      "install PyTorch for that Python (pip install torch==$MOETRAIN_TORCH_VERSION), or drop --python/MOETRAIN_PYTHON to use the managed venv"
  fi
  TORCH_VERSION="$(printf '%s\n' "$out" | sed -n 's/^version=//p')"
  TORCH_CUDA="$(printf '%s\n' "$out" | sed -n 's/^cuda=//p')"
  TORCH_DIR="$(printf '%s\n' "$out" | sed -n 's/^torch_dir=//p')"
  local version_file
  version_file="$(printf '%s\n' "$out" | sed -n 's/^version_file=//p')"
  {
    echo "python=$real"
    echo "version_file=$version_file"
    echo "stamp=$(file_stamp "$version_file")"
    echo "version=$TORCH_VERSION"
    echo "cuda=$TORCH_CUDA"
    echo "torch_dir=$TORCH_DIR"
  } >"$PROBE_CACHE"
}

# LibTorch distribution (zip) or any directory holding TorchConfig.cmake.
probe_libtorch_dir() {
  local dir="$1" root=""
  [[ -d "$dir" ]] || die "MOETRAIN_LIBTORCH='$dir' is not a directory" "point it at a LibTorch root or at its share/cmake/Torch"
  dir="$(cd "$dir" && pwd)"
  if [[ -f "$dir/TorchConfig.cmake" ]]; then
    TORCH_DIR="$dir"
    root="$(cd "$dir/../../.." && pwd)"
  elif [[ -f "$dir/share/cmake/Torch/TorchConfig.cmake" ]]; then
    TORCH_DIR="$dir/share/cmake/Torch"
    root="$dir"
  else
    die "MOETRAIN_LIBTORCH='$dir' holds no TorchConfig.cmake" "point it at a LibTorch root (with share/cmake/Torch) or at the directory of TorchConfig.cmake"
  fi
  local header=""
  for candidate in "$root/include/torch/headeronly/version.h" "$root/include/torch/csrc/api/include/torch/version.h"; do
    if [[ -f "$candidate" ]] && grep -q 'TORCH_VERSION_MAJOR' "$candidate"; then header="$candidate"; break; fi
  done
  if [[ -n "$header" ]]; then
    TORCH_VERSION="$(awk '/#define TORCH_VERSION_(MAJOR|MINOR|PATCH) / {v[$2]=$3} END {print v["TORCH_VERSION_MAJOR"] "." v["TORCH_VERSION_MINOR"] "." v["TORCH_VERSION_PATCH"]}' "$header")"
  elif [[ -f "$root/build-version" ]]; then
    TORCH_VERSION="$(head -n1 "$root/build-version")"
  else
    TORCH_VERSION="unknown"
  fi
  TORCH_CUDA=""
  if compgen -G "$root/lib/libtorch_cuda*.so*" >/dev/null; then
    TORCH_CUDA="unknown"
    if [[ -f "$root/build-version" ]] && grep -Eq '\+cu[0-9]+' "$root/build-version"; then
      # LibTorch zip: "2.5.1+cu124"
      local cu
      cu="$(grep -Eo '\+cu[0-9]+' "$root/build-version" | head -n1 | tr -d '+cu')"
      TORCH_CUDA="${cu%?}.${cu: -1}"
    elif [[ -f "$root/version.py" ]]; then
      # The torch package of a wheel: "cuda: Optional[str] = '13.0'"
      local cu
      cu="$(sed -n "s/^cuda[^=]*= *'\([0-9.]*\)'.*/\1/p" "$root/version.py" | head -n1)"
      [[ -n "$cu" ]] && TORCH_CUDA="$cu"
    fi
  fi
}

if [[ -n "${MOETRAIN_LIBTORCH:-}" ]]; then
  probe_libtorch_dir "$MOETRAIN_LIBTORCH"
  TORCH_ORIGIN="MOETRAIN_LIBTORCH"
elif [[ -n "$PYTHON" ]]; then
  probe_python "$PYTHON"
  TORCH_ORIGIN="python $PYTHON"
else
  VENV="$(managed_venv_path)"
  if ! probe_cache_hit "$VENV/bin/python"; then
    ensure_managed_venv "$VENV" libtorch
    probe_python "$VENV/bin/python"
  fi
  TORCH_ORIGIN="managed venv $VENV"
fi
[[ -f "$TORCH_DIR/TorchConfig.cmake" ]] ||
  die "LibTorch at $TORCH_DIR has no TorchConfig.cmake" "reinstall PyTorch or point MOETRAIN_LIBTORCH at a complete LibTorch"

if [[ -n "$TORCH_CUDA" ]]; then
  say libtorch "LibTorch $TORCH_VERSION (CUDA $TORCH_CUDA build) from $TORCH_ORIGIN"
else
  say libtorch "LibTorch $TORCH_VERSION (CPU build) from $TORCH_ORIGIN"
fi

# ---------------------------------------------------------------------------
# CUDA toolkit: a CUDA build of LibTorch needs a matching toolkit at configure
# time (its CMake config enables the CUDA language and looks up cudart, cuBLAS,
# cuFFT, cuRAND and NVRTC; ATen's CUDA headers also include cuSPARSE and
# cuSOLVER). Check up front and say exactly what is missing.
# ---------------------------------------------------------------------------
CUDA_CMAKE_ARGS=()
check_cuda_toolkit() {
  local want="$TORCH_CUDA" want_major="${TORCH_CUDA%%.*}"
  local nvcc="" root=""
  local candidates=()
  [[ -n "${CUDACXX:-}" ]] && candidates+=("$CUDACXX")
  [[ -n "${CUDAToolkit_ROOT:-}" ]] && candidates+=("$CUDAToolkit_ROOT/bin/nvcc")
  [[ -n "${CUDA_HOME:-}" ]] && candidates+=("$CUDA_HOME/bin/nvcc")
  [[ -n "${CUDA_PATH:-}" ]] && candidates+=("$CUDA_PATH/bin/nvcc")
  [[ "$want" != "unknown" ]] && candidates+=("/usr/local/cuda-$want/bin/nvcc")
  candidates+=("$(command -v nvcc 2>/dev/null || true)" "/usr/local/cuda/bin/nvcc")
  for c in "${candidates[@]}"; do
    if [[ -n "$c" && -x "$c" ]]; then nvcc="$c"; break; fi
  done
  local toolkit_hint="the CUDA $want toolkit"
  [[ "$want" == "unknown" ]] && toolkit_hint="the CUDA toolkit this LibTorch was built with"
  local fix="install $toolkit_hint (nvcc plus headers and libraries of cudart, cuBLAS/cuBLASLt, cuSPARSE, cuSOLVER, cuFFT, cuRAND and NVRTC) and point at it with CUDAToolkit_ROOT=/usr/local/cuda-${want/unknown/X.Y} (or CUDACXX=/path/to/nvcc), or build against a CPU PyTorch with --python"
  if [[ -z "$nvcc" ]]; then
    die "LibTorch $TORCH_VERSION is a CUDA $want build but no nvcc was found (looked at CUDACXX, CUDAToolkit_ROOT, CUDA_HOME, CUDA_PATH, PATH, /usr/local/cuda)" "$fix"
  fi
  local have
  have="$("$nvcc" --version 2>/dev/null | sed -n 's/.*release \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n1)"
  [[ -n "$have" ]] || die "'$nvcc --version' did not report a CUDA release" "$fix"
  if [[ -n "${CUDAToolkit_ROOT:-}" ]]; then
    # An explicit toolkit root wins over where nvcc happens to live.
    [[ -d "$CUDAToolkit_ROOT" ]] || die "CUDAToolkit_ROOT='$CUDAToolkit_ROOT' is not a directory" "$fix"
    root="$(cd "$CUDAToolkit_ROOT" && pwd)"
  else
    # nvcc may be a wrapper script; ask it where its toolkit lives. TOP is the
    # toolkit root as nvcc sees it (e.g. /usr/local/cuda-13.0/bin/..).
    root="$(cd "$(dirname "$nvcc")/.." && pwd)"
    local top
    top="$(cd /tmp && "$nvcc" --dryrun -c /dev/null -x cu 2>&1 | sed -n 's/^#\$ TOP=//p' | head -n1 || true)"
    [[ -n "$top" && -d "$top" ]] && root="$(cd "$top" && pwd)"
  fi
  if [[ "$want" != "unknown" && "${have%%.*}" != "$want_major" ]]; then
    die "LibTorch $TORCH_VERSION needs CUDA $want but $nvcc is CUDA $have" "$fix"
  fi
  local missing=() inc_dirs=("$root/include" "$root/targets/x86_64-linux/include" "$root/targets/sbsa-linux/include")
  local lib_dirs=("$root/lib64" "$root/lib" "$root/targets/x86_64-linux/lib" "$root/targets/sbsa-linux/lib")
  for h in cuda_runtime.h cublas_v2.h cublasLt.h cusparse.h cusolverDn.h cufft.h curand.h nvrtc.h; do
    local found=""
    for d in "${inc_dirs[@]}"; do [[ -f "$d/$h" ]] && found=1; done
    [[ -n "$found" ]] || missing+=("$h")
  done
  for l in cudart cublas cublasLt cusparse cufft curand nvrtc; do
    local found=""
    for d in "${lib_dirs[@]}"; do compgen -G "$d/lib$l.so*" >/dev/null && found=1; done
    [[ -n "$found" ]] || missing+=("lib$l.so")
  done
  if (( ${#missing[@]} > 0 )); then
    die "LibTorch $TORCH_VERSION is a CUDA $want build, but the CUDA toolkit at $root (nvcc $have) is incomplete: missing ${missing[*]}" "$fix"
  fi
  if [[ "$want" != "unknown" && "$have" != "$want" ]]; then
    say libtorch "note: CUDA toolkit $have at $root differs from LibTorch's CUDA $want in the minor version"
  fi
  say libtorch "CUDA toolkit $have at $root"
  CUDA_CMAKE_ARGS=("-DCUDAToolkit_ROOT=$root" "-DCUDA_TOOLKIT_ROOT_DIR=$root" "-DCMAKE_CUDA_COMPILER=$nvcc")
}
if [[ -n "$TORCH_CUDA" ]]; then
  check_cuda_toolkit
fi

# ---------------------------------------------------------------------------
# configure
# ---------------------------------------------------------------------------
GENERATOR=""
if [[ -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  GENERATOR="$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$BUILD_DIR/CMakeCache.txt")"
fi
if [[ -z "$GENERATOR" ]]; then
  if command -v ninja >/dev/null 2>&1; then GENERATOR="Ninja"; else GENERATOR="Unix Makefiles"; fi
fi

TEST_VENV="$(managed_venv_path)"
CONFIGURE_ARGS=(
  -S "$NATIVE_DIR" -B "$BUILD_DIR" -G "$GENERATOR"
  "-DTorch_DIR=$TORCH_DIR"
  "-DCMAKE_BUILD_TYPE=$BUILD_TYPE"
  "-DMOETRAIN_BUILD_TESTS=$BUILD_TESTS"
  "-DMOETRAIN_BUILD_PARITY_RUNNER=$PARITY_RUNNER"
  "-DMOETRAIN_TEST_VENV=$TEST_VENV"
  ${CUDA_CMAKE_ARGS[@]+"${CUDA_CMAKE_ARGS[@]}"}
)
CONFIG_STAMP="$BUILD_DIR/.moetrain-configure.args"
wanted_stamp="$(printf '%s\n' "${CONFIGURE_ARGS[@]}")"
# LibTorch's CMake package caches the absolute paths of its libraries (c10, torch_cpu, ...). When LibTorch moves
# (another venv, a recreated cache folder), a reconfigure would keep linking the old, possibly deleted, files:
# start the configuration afresh instead.
stale_torch=""
if [[ -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  cached_torch_dir="$(sed -n 's/^Torch_DIR:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")"
  cached_torch_lib="$(sed -n 's/^TORCH_LIBRARY:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")"
  torch_root="${TORCH_DIR%/share/cmake/Torch}"
  if [[ -n "$cached_torch_dir" && "$cached_torch_dir" != "$TORCH_DIR" ]]; then
    stale_torch="$cached_torch_dir"
  elif [[ -n "$cached_torch_lib" && ! -e "$cached_torch_lib" ]]; then
    stale_torch="$cached_torch_lib"
  elif [[ -n "$cached_torch_lib" && "$torch_root" != "$TORCH_DIR" && "$cached_torch_lib" != "$torch_root/"* ]]; then
    stale_torch="$cached_torch_lib"
  fi
fi
if [[ -n "$stale_torch" ]]; then
  say configure "LibTorch moved (the build folder still names $stale_torch): configuring $BUILD_DIR afresh"
  rm -rf "$BUILD_DIR/CMakeCache.txt" "$BUILD_DIR/CMakeFiles" "$CONFIG_STAMP"
fi
if [[ -f "$BUILD_DIR/CMakeCache.txt" && -f "$CONFIG_STAMP" && "$(cat "$CONFIG_STAMP")" == "$wanted_stamp" ]]; then
  say configure "up to date ($BUILD_DIR, $GENERATOR, $BUILD_TYPE)"
else
  say configure "cmake ($GENERATOR, $BUILD_TYPE, tests $BUILD_TESTS) in $BUILD_DIR"
  configure_log="$BUILD_DIR/configure.log"
  if ! cmake "${CONFIGURE_ARGS[@]}" >"$configure_log" 2>&1; then
    rm -f "$CONFIG_STAMP"
    grep -E 'CMake Error|error|Error' -A4 "$configure_log" | head -n 30 >&2 || tail -n 30 "$configure_log" >&2
    die "CMake configuration failed (full log: $configure_log)" "fix the error above; for CUDA builds check CUDAToolkit_ROOT"
  fi
  printf '%s\n' "$wanted_stamp" >"$CONFIG_STAMP"
  say configure "done"
fi

# ---------------------------------------------------------------------------
# compile, with a percentage parsed from Ninja's [n/m] or Make's [ p%]
# ---------------------------------------------------------------------------
say compile "building with $JOBS job(s)"
start=$SECONDS
set +e
cmake --build "$BUILD_DIR" --parallel "$JOBS" 2>&1 | while IFS= read -r line; do
  if [[ "$line" =~ ^\[([0-9]+)/([0-9]+)\]\ (.*)$ ]]; then
    done_n="${BASH_REMATCH[1]}" total_n="${BASH_REMATCH[2]}" what="${BASH_REMATCH[3]}"
    pct=$(( total_n > 0 ? done_n * 100 / total_n : 100 ))
    printf '[build] compile: %d%% [%s/%s] %s\n' "$pct" "$done_n" "$total_n" "$what"
  elif [[ "$line" =~ ^\[\ *([0-9]+)%\]\ (.*)$ ]]; then
    printf '[build] compile: %d%% %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  elif [[ "$line" =~ ^--\ (.*)$ ]]; then
    # CMake re-runs itself when a CMakeLists.txt changed.
    printf '[build] configure: %s\n' "${BASH_REMATCH[1]}"
  elif [[ "$line" == "ninja: no work to do." ]]; then
    printf '[build] compile: 100%% up to date\n'
  else
    printf '%s\n' "$line"
  fi
done
status=${PIPESTATUS[0]}
set -e
if (( status != 0 )); then
  die "compilation failed (compiler messages above)" "fix the first error shown; rerun with --jobs 1 for unmixed output"
fi
say compile "100% finished in $(( SECONDS - start )) s"

BINARY="$BUILD_DIR/moetrain"
[[ -x "$BINARY" ]] || die "the build finished but $BINARY is missing" "delete $BUILD_DIR and rerun"
say done "$BINARY"
