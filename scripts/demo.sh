#!/usr/bin/env bash
# Sets up (scripts/bootstrap.sh), builds and runs `semdedup demo` in a temporary directory.
# Usage: scripts/demo.sh [extra demo flags]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
build="${SEMDEDUP_BUILD_DIR:-build}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target semdedup
"$build/semdedup" demo "$@"
