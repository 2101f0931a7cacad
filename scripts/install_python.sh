#!/usr/bin/env bash
# Builds the Python package `semdedup` (python/, pyproject.toml) from this checkout and installs
# it into the project venv .venv, against the same Debian OpenBLAS as the CLI (so the two give
# the same bits). Incremental: the build stays in build/python-dev. Needs scripts/bootstrap.sh.
# (`pip wheel .` builds the self-contained wheel instead; see docs/python.md.)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
args=(-C build-dir=build/python-dev -C cmake.define.SEMDEDUP_WHEEL=OFF)
if command -v ccache >/dev/null; then
  args+=(-C cmake.define.CMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps \
  "${args[@]}" .
.venv/bin/python -c "import semdedup; print('semdedup', semdedup.__version__, 'installed in .venv')"
