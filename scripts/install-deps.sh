#!/usr/bin/env bash
# Installs the Debian 12 packages gradgen needs to build and test. Idempotent: installs
# only what is missing, and runs apt-get update only when something is.
set -euo pipefail

packages=(
  build-essential cmake ninja-build g++ clang   # toolchains: the generated code is tested with both
  libfmt-dev nlohmann-json3-dev libcli11-dev     # generator libraries
  catch2                                         # tests (Catch2 v2)
  graphviz                                       # `dot` renders `gradgen graph` output in tests
  python3-torch python3-numpy                    # tests/torch: PyTorch as an independent oracle
  clang-14 llvm-14-dev libclang-14-dev libclang-cpp14-dev  # the C++ front end (GRADGEN_CLANG, LibTooling)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
