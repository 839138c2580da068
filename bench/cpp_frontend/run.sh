#!/usr/bin/env bash
# C++ front-end bench: generates seed_arrays_grad with GRADGEN, compiles it with the plain
# function and a hand-written gradient (-O2), runs it and prints the timing table.
#   usage: bench/cpp_frontend/run.sh path/to/gradgen [out-dir]
set -euo pipefail
gradgen=${1:?usage: run.sh GRADGEN [OUT_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${2:-$(mktemp -d)}
mkdir -p "$out"
"$gradgen" generate "$here/seed_arrays.cpp" -o "$out"
${CXX:-c++} -std=c++17 -O2 -I"$root/runtime/include" -I"$here" -I"$out" \
  "$here/main.cpp" "$out/seed_arrays_grad.cpp" -o "$out/cpp_frontend_bench"
"$out/cpp_frontend_bench"
