#!/usr/bin/env bash
# Installs the Debian 12 packages gradgen needs to build and test (idempotent).
set -euo pipefail

packages=(
  build-essential cmake ninja-build g++ clang   # toolchains: the generated code is tested with both
  libfmt-dev nlohmann-json3-dev libcli11-dev     # generator libraries
  catch2                                         # tests (Catch2 v2)
  graphviz                                       # `dot` renders `gradgen graph` output in tests
  libopenblas-dev                                # tests/e2e: generated code built with --blas (CBLAS)
  python3-torch python3-numpy                    # tests/torch: PyTorch as an independent oracle
  clang-14 llvm-14-dev libclang-14-dev libclang-cpp14-dev  # the C++ front end (GRADGEN_CLANG, LibTooling)
)

exec bash "$(dirname "$0")/install-packages.sh" install-deps "${packages[@]}"
