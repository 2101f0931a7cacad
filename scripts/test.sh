#!/usr/bin/env bash
# Sets up (scripts/bootstrap.sh), builds and runs the whole test suite (every CTest label but
# `cuda`). Usage: scripts/test.sh [extra ctest arguments]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
build="${SEMDEDUP_BUILD_DIR:-build}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build"
cd "$build"
ctest --output-on-failure -j "$(nproc)" --label-exclude cuda "$@"
