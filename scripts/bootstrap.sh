#!/usr/bin/env bash
# Installs everything semdedup needs on a fresh Debian 12 machine. Idempotent: a second run
# only checks. Usage: scripts/bootstrap.sh [--bench]   (--bench adds the benchmark peers)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

want_bench=0
for arg in "$@"; do
  case "$arg" in
    --bench) want_bench=1 ;;
    *) echo "bootstrap.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

apt_packages=(
  build-essential cmake ninja-build pkg-config
  libopenblas-openmp-dev       # BLAS built for OpenMP callers (single-threaded inside our regions)
  libcli11-dev libspdlog-dev libfmt-dev libyaml-cpp-dev rapidjson-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenmpi-dev openmpi-bin
  python3-venv
  clang libclang-rt-14-dev     # libFuzzer and the sanitizer runtimes for fuzz/ (scripts/test.sh)
  chromium chromium-driver     # the report page's test in a real headless browser
)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Section of requirements.txt between "# [name]" and the next "# [" header.
pins() { awk -v want="# [$1]" '/^# \[/{on=($0==want); next} on && NF && !/^#/' requirements.txt; }

venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
  echo "bootstrap: creating $venv"
  python3 -m venv "$venv"
fi
# install_set SET [VENV]: the pins of section SET into VENV (default .venv).
install_set() {
  local target="${2:-$venv}"
  local need=()
  while read -r pin; do
    [ -n "$pin" ] || continue
    local name="${pin%%==*}" have
    have=$("$target/bin/python" -m pip show "${name%%[*}" 2>/dev/null </dev/null || true)
    grep -qx "Version: ${pin##*==}" <<<"$have" || need+=("$pin")
  done < <(pins "$1")
  if ((${#need[@]})); then
    echo "bootstrap: pip installing ${need[*]} into $target"
    "$target/bin/python" -m pip install -q --disable-pip-version-check --only-binary=:all: "${need[@]}"
  fi
}
install_set core
# moto's S3 server for the s3 tests, in a venv of its own (see requirements.txt).
moto_venv="$root/.venv-moto"
if [ ! -x "$moto_venv/bin/python" ]; then
  echo "bootstrap: creating $moto_venv"
  python3 -m venv "$moto_venv"
fi
install_set s3-server "$moto_venv"
((want_bench)) && install_set bench
echo "bootstrap: ok"
