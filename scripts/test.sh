#!/usr/bin/env bash
# Sets up (scripts/bootstrap.sh), builds and runs the whole test suite (every CTest label but
# `cuda`; `slow` holds the bounded libFuzzer runs, which build their own clang build), installs
# the Python package into .venv and runs its tests (pytest, python/tests), then
# builds the suite again with AddressSanitizer + UndefinedBehaviorSanitizer and runs it there.
# Usage: scripts/test.sh [extra ctest arguments]
# Environment: SEMDEDUP_BUILD_DIR (default build), SEMDEDUP_ASAN_BUILD_DIR (default
# build-asan), SEMDEDUP_SANITIZE=0 skips the sanitizer pass.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
build="${SEMDEDUP_BUILD_DIR:-build}"
# Warnings are errors here: a clean build prints none.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEMDEDUP_WERROR=ON >/dev/null
cmake --build "$build"
(cd "$build" && ctest --output-on-failure -j "$(nproc)" --label-exclude cuda "$@")
# The Python package into .venv, then its tests (pytest; they also build the self-contained
# wheel, check what it links and run these tests again from a fresh venv).
bash scripts/install_python.sh
SEMDEDUP_BINARY="$root/$build/semdedup" SEMDEDUP_WHEEL_TEST=1 .venv/bin/python -m pytest -q python/tests

if [ "${SEMDEDUP_SANITIZE:-1}" != 0 ]; then
  # Every test again, on binaries built with -fsanitize=address,undefined (OpenBLAS and Arrow
  # are not instrumented). The fuzz smoke runs are left out: their targets are sanitized anyway.
  asan="${SEMDEDUP_ASAN_BUILD_DIR:-build-asan}"
  cmake -S . -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEMDEDUP_SANITIZE=ON -DSEMDEDUP_WERROR=ON \
    -DSEMDEDUP_BUILD_BENCH=OFF >/dev/null
  cmake --build "$asan"
  # The s3 tests are left out too: the AWS SDK they drive lives inside the uninstrumented
  # libarrow, so the sanitizers would only see its allocations; they run in the plain pass.
  (cd "$asan" && ctest --output-on-failure -j "$(nproc)" --label-exclude 'cuda|slow|mpi|s3' "$@")
  # Under mpirun, Open MPI's plugins (and, at their teardown, Arrow's dataset registry) leave
  # allocations LeakSanitizer reports from those uninstrumented libraries, none from ours: leak
  # checking is off for the `mpi` tests only; every other sanitizer check stays on.
  (cd "$asan" && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -j "$(nproc)" \
    --label-regex mpi "$@")
fi
