#!/usr/bin/env bash
# Installs the Debian packages tapegrad needs, only those missing. Idempotent.
# Usage: scripts/install-deps.sh            (build + test dependencies)
#        scripts/install-deps.sh --fuzz     (those, and clang with libFuzzer for `make fuzz`)
#        scripts/install-deps.sh --docs     (those, and Doxygen for `make docs`)
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libxtensor-dev xtl-dev libxsimd-dev libxtensor-blas-dev libopenblas-dev
  libzip-dev zlib1g-dev googletest libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev
  gnuplot-nox graphviz python3-numpy python3-sklearn python3-torch
  libtsan2 libopenmpi-dev openmpi-bin
)
# python3-torch (PyTorch 1.13, ~45 s to install): the examples' side-by-side ctests train
# the same models in PyTorch and compare the losses (skipped when it is missing).
# `make fuzz` (CI): clang 14 and its runtime libraries (libFuzzer, ASan, UBSan; only
# recommended by clang, so listed), and llvm-14 for llvm-symbolizer (readable reports).
fuzz_packages=(clang libclang-rt-14-dev llvm-14)
# `make docs`: the API reference of the public headers.
docs_packages=(doxygen)
if [ "${1:-}" = "--fuzz" ]; then
  packages+=("${fuzz_packages[@]}")
elif [ "${1:-}" = "--docs" ]; then
  packages+=("${docs_packages[@]}")
elif [ $# -gt 0 ]; then
  echo "usage: scripts/install-deps.sh [--fuzz | --docs]" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "tapegrad: installing missing Debian packages: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
    echo "tapegrad: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
