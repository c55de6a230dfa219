#!/usr/bin/env bash
# Checks scripts/build.sh's LibTorch and CUDA-toolkit detection with fake
# Pythons, LibTorch trees and toolkits: every failure must be one
# "[build] error: <what> — <fix>" line and a non-zero exit before CMake runs,
# and a complete toolkit must be handed to CMake.
# usage: test_build_script.sh <native-dir>
set -uo pipefail
NATIVE_DIR="$(cd "$1" && pwd)"
BUILD_SH="$NATIVE_DIR/scripts/build.sh"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/moetrain-build-test-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# run_build NAME EXPECTED_RC [env...] -- [build.sh args...]; output in $WORK/NAME.out
run_build() {
  local name="$1" expected="$2"; shift 2
  local envs=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do envs+=("$1"); shift; done
  shift
  env -u CUDACXX -u CUDAToolkit_ROOT -u CUDA_HOME -u CUDA_PATH -u MOETRAIN_LIBTORCH -u MOETRAIN_PYTHON \
    PATH=/usr/bin:/bin "${envs[@]}" bash "$BUILD_SH" --build-dir "$WORK/build-$name" --no-tests "$@" \
    >"$WORK/$name.out" 2>&1
  local rc=$?
  if [[ "$expected" == "nonzero" ]]; then
    [[ $rc -ne 0 ]] || fail "$name: expected a non-zero exit, got 0"
  elif [[ $rc -ne $expected ]]; then
    fail "$name: expected exit $expected, got $rc"
  fi
}

expect_line() {
  local name="$1" pattern="$2"
  grep -Eq -- "$pattern" "$WORK/$name.out" || { fail "$name: no line matching /$pattern/"; sed 's/^/    | /' "$WORK/$name.out"; }
}
expect_no_line() {
  local name="$1" pattern="$2"
  ! grep -Eq -- "$pattern" "$WORK/$name.out" || fail "$name: unexpected line matching /$pattern/"
}
expect_one_error_line() {
  local name="$1"
  local n
  n="$(grep -c '^\[build\] error: .* — .*' "$WORK/$name.out")"
  [[ "$n" == "1" ]] || fail "$name: expected exactly one '[build] error: <what> — <fix>' line, found $n"
}

# --- fake PyTorch installations -------------------------------------------
make_fake_python() {  # make_fake_python DIR CUDA_VERSION(empty for CPU) -> DIR/python
  local dir="$1" cuda="$2"
  mkdir -p "$dir/torch/share/cmake/Torch"
  echo 'message(FATAL_ERROR "fake torch: CUDAToolkit_ROOT=${CUDAToolkit_ROOT}")' >"$dir/torch/share/cmake/Torch/TorchConfig.cmake"
  echo '__version__ = "fake"' >"$dir/torch/version.py"
  cat >"$dir/python" <<PY
#!/bin/bash
cat >/dev/null
echo "version=2.99.0${cuda:++cu}${cuda//./}"
echo "cuda=$cuda"
echo "torch_dir=$dir/torch/share/cmake/Torch"
echo "version_file=$dir/torch/version.py"
PY
  chmod +x "$dir/python"
}

make_fake_toolkit() {  # make_fake_toolkit DIR RELEASE complete|partial
  local dir="$1" release="$2" kind="$3"
  mkdir -p "$dir/bin" "$dir/include" "$dir/lib64"
  cat >"$dir/bin/nvcc" <<SH
#!/bin/bash
if [[ "\$1" == "--version" ]]; then echo "Cuda compilation tools, release $release, V$release.0"; fi
exit 0
SH
  chmod +x "$dir/bin/nvcc"
  touch "$dir/include/cuda_runtime.h" "$dir/lib64/libcudart.so"
  if [[ "$kind" == "complete" ]]; then
    touch "$dir/include/"{cublas_v2.h,cublasLt.h,cusparse.h,cusolverDn.h,cufft.h,curand.h,nvrtc.h}
    touch "$dir/lib64/"{libcublas.so,libcublasLt.so,libcusparse.so,libcufft.so,libcurand.so,libnvrtc.so}
  fi
}

# 1. A CUDA build of PyTorch with no matching toolkit reachable.
make_fake_python "$WORK/py-cuda" 11.8
run_build cuda-missing nonzero -- --python "$WORK/py-cuda/python"
expect_line cuda-missing '^\[build\] libtorch: LibTorch 2\.99\.0\+cu118 \(CUDA 11\.8 build\)'
expect_line cuda-missing '^\[build\] error: .*CUDA 11\.8.* — install the CUDA 11\.8 toolkit .*CUDAToolkit_ROOT='
expect_one_error_line cuda-missing
expect_no_line cuda-missing '^\[build\] configure:'

# 2. A toolkit of the right version that lacks libraries and headers.
make_fake_python "$WORK/py-cuda129" 12.9
make_fake_toolkit "$WORK/cuda-partial" 12.9 partial
run_build cuda-partial nonzero CUDAToolkit_ROOT="$WORK/cuda-partial" -- --python "$WORK/py-cuda129/python"
expect_line cuda-partial "^\[build\] error: .*CUDA toolkit at $WORK/cuda-partial .*incomplete: missing cublas_v2\.h .*libcublas\.so.* — "
expect_one_error_line cuda-partial
expect_no_line cuda-partial '^\[build\] configure:'

# 3. A toolkit whose major version does not match.
make_fake_toolkit "$WORK/cuda-13" 13.0 complete
run_build cuda-mismatch nonzero CUDACXX="$WORK/cuda-13/bin/nvcc" -- --python "$WORK/py-cuda129/python"
expect_line cuda-mismatch '^\[build\] error: LibTorch .* needs CUDA 12\.9 but .* is CUDA 13\.0 — '
expect_one_error_line cuda-mismatch

# 4. A complete toolkit is accepted and handed to CMake.
make_fake_toolkit "$WORK/cuda-ok" 12.9 complete
run_build cuda-ok nonzero CUDAToolkit_ROOT="$WORK/cuda-ok" -- --python "$WORK/py-cuda129/python"
expect_line cuda-ok "^\[build\] libtorch: CUDA toolkit 12\.9 at $WORK/cuda-ok\$"
expect_line cuda-ok '^\[build\] configure: cmake '
grep -q "fake torch: CUDAToolkit_ROOT=$WORK/cuda-ok" "$WORK/build-cuda-ok/configure.log" ||
  fail "cuda-ok: CMake did not receive CUDAToolkit_ROOT=$WORK/cuda-ok"
expect_line cuda-ok '^\[build\] error: CMake configuration failed'

# 4b. nvcc reached through a wrapper script outside the toolkit (as with a
# /usr/local/bin/nvcc shim): the toolkit root comes from nvcc's own TOP.
mkdir -p "$WORK/wrapper"
cat >"$WORK/wrapper/nvcc" <<SH
#!/bin/bash
if [[ "\$1" == "--version" ]]; then echo "Cuda compilation tools, release 12.9, V12.9.0"; fi
if [[ "\$1" == "--dryrun" ]]; then echo "#\\$ TOP=$WORK/cuda-ok/bin/.." >&2; fi
exit 0
SH
chmod +x "$WORK/wrapper/nvcc"
run_build cuda-wrapper nonzero CUDACXX="$WORK/wrapper/nvcc" -- --python "$WORK/py-cuda129/python"
expect_line cuda-wrapper "^\[build\] libtorch: CUDA toolkit 12\.9 at $WORK/cuda-ok\$"

# 5. A CPU build needs no toolkit at all.
make_fake_python "$WORK/py-cpu" ""
run_build cpu nonzero -- --python "$WORK/py-cpu/python"
expect_line cpu '^\[build\] libtorch: LibTorch 2\.99\.0 \(CPU build\)'
expect_no_line cpu 'CUDA toolkit'
expect_line cpu '^\[build\] configure: cmake '

# 6. Pythons without torch, missing interpreters, bad options, bad LibTorch dirs.
cat >"$WORK/no-torch-python" <<'PY'
#!/bin/bash
cat >/dev/null
echo "ModuleNotFoundError: No module named 'torch'" >&2
exit 1
PY
chmod +x "$WORK/no-torch-python"
run_build no-torch 1 -- --python "$WORK/no-torch-python"
expect_line no-torch "^\[build\] error: '.*no-torch-python' cannot import torch .*No module named 'torch'.* — install PyTorch"
expect_one_error_line no-torch

run_build no-python 1 -- --python "$WORK/absent/python"
expect_line no-python "^\[build\] error: Python '.*absent/python' was not found.* — "

run_build bad-jobs 1 -- --jobs many
expect_line bad-jobs '^\[build\] error: --jobs must be a positive integer.* — '
run_build bad-option 1 -- --frobnicate
expect_line bad-option "^\[build\] error: unknown option '--frobnicate' — "
run_build bad-type 1 -- --build-type Fast
expect_line bad-type "^\[build\] error: unknown build type 'Fast' — "

run_build bad-libtorch 1 MOETRAIN_LIBTORCH="$WORK/nowhere" --
expect_line bad-libtorch '^\[build\] error: MOETRAIN_LIBTORCH=.* is not a directory — '

# 7. A LibTorch distribution tree with CUDA libraries: version and CUDA from build-version.
mkdir -p "$WORK/libtorch/share/cmake/Torch" "$WORK/libtorch/lib"
cp "$WORK/py-cpu/torch/share/cmake/Torch/TorchConfig.cmake" "$WORK/libtorch/share/cmake/Torch/"
touch "$WORK/libtorch/lib/libtorch_cuda.so"
echo "2.5.1+cu124" >"$WORK/libtorch/build-version"
run_build libtorch-cuda nonzero MOETRAIN_LIBTORCH="$WORK/libtorch" --
expect_line libtorch-cuda '^\[build\] libtorch: LibTorch 2\.5\.1\+cu124 \(CUDA 12\.4 build\) from MOETRAIN_LIBTORCH'
expect_line libtorch-cuda '^\[build\] error: .*CUDA 12\.4'

# 8. The torch package of a CUDA wheel used as MOETRAIN_LIBTORCH: CUDA version from version.py.
mkdir -p "$WORK/wheel-torch/share/cmake/Torch" "$WORK/wheel-torch/lib" "$WORK/wheel-torch/include/torch/headeronly"
cp "$WORK/py-cpu/torch/share/cmake/Torch/TorchConfig.cmake" "$WORK/wheel-torch/share/cmake/Torch/"
touch "$WORK/wheel-torch/lib/libtorch_cuda.so"
printf '#define TORCH_VERSION_MAJOR 2\n#define TORCH_VERSION_MINOR 14\n#define TORCH_VERSION_PATCH 1\n' \
  >"$WORK/wheel-torch/include/torch/headeronly/version.h"
printf "__version__ = '2.14.1+cu129'\ncuda: Optional[str] = '12.9'\n" >"$WORK/wheel-torch/version.py"
run_build wheel-tree nonzero MOETRAIN_LIBTORCH="$WORK/wheel-torch" CUDAToolkit_ROOT="$WORK/cuda-ok" --
expect_line wheel-tree '^\[build\] libtorch: LibTorch 2\.14\.1 \(CUDA 12\.9 build\) from MOETRAIN_LIBTORCH'
expect_line wheel-tree "^\[build\] libtorch: CUDA toolkit 12\.9 at $WORK/cuda-ok\$"

if (( failures > 0 )); then
  echo "$failures build-script check(s) failed"
  exit 1
fi
echo "all build-script checks passed"
