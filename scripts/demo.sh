#!/usr/bin/env bash
# `make demo`: a short tour of gradgen on the seed [2, 3, 1] network.
# Usage: scripts/demo.sh PATH/TO/gradgen
set -euo pipefail
gradgen="$(realpath "${1:?usage: scripts/demo.sh PATH/TO/gradgen}")"
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "the network" cat examples/seed.grad
step "forward and backward equations" "$gradgen" explain examples/seed.grad
step "loss, output and gradients on XOR (reference interpreter)" \
  "$gradgen" eval examples/seed.grad --feed examples/seed.feed.json --interp
step "every gradient against finite differences" "$gradgen" check examples/seed.grad --interp
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
step "the graph with its backward equations, as DOT" "$gradgen" graph examples/seed.grad --backward -o "$out/seed.dot"
if command -v dot >/dev/null; then
  dot -Tsvg "$out/seed.dot" -o "$out/seed.svg"
  echo "rendered $(wc -c < "$out/seed.svg") bytes of SVG (try: gradgen graph examples/seed.grad --backward | dot -Tsvg > seed.svg)"
fi

# Generated C++: write it, compile it with the runtime, and train the seed network on XOR.
step "specialised C++ for the network (NAME.hpp, NAME.cpp, NAME.h)" "$gradgen" generate examples/seed.grad -o "$out/gen" --bind n=4
step "the backward pass as generated, with its equations" sed -n '/^Status loss_and_grad_impl/,/^}/p' "$out/gen/seed.cpp"
inc="$(dirname "$gradgen")/../include"; [ -f "$inc/gradgen/matmul.hpp" ] || inc="runtime/include"
step "compile it with a small training program" "${CXX:-c++}" -std=c++17 -O2 -Wall -Wextra -Werror -I "$inc" -I "$out/gen" \
  examples/xor/train.cpp "$out/gen/seed.cpp" -o "$out/xor_train"
step "train on XOR until the loss is below 0.01" "$out/xor_train"
step "the same network evaluated by compiled code (the default mode)" \
  "$gradgen" eval examples/seed.grad --feed examples/seed.feed.json
