#!/usr/bin/env bash
# Rewrites the golden files beside this script from the current gradgen; reviewers read the
# diff. Usage: tests/golden/regenerate.sh [PATH/TO/gradgen]   (default: build/gradgen)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
gradgen="$(realpath "${1:-$root/build/gradgen}")"
cd "$root"  # paths inside golden files are relative to the repository root

# explain: every example as text; the seed also as markdown and LaTeX.
for grad in examples/*.grad; do
  name="$(basename "$grad" .grad)"
  "$gradgen" explain "$grad" > "$here/explain_$name.txt"
done
"$gradgen" explain examples/seed.grad --format markdown > "$here/explain_seed.md"
"$gradgen" explain examples/seed.grad --format latex > "$here/explain_seed.tex"

# graph: the seed forward and backward, and every example's backward graph.
"$gradgen" graph examples/seed.grad -o "$here/graph_seed.dot"
for grad in examples/*.grad; do
  name="$(basename "$grad" .grad)"
  "$gradgen" graph "$grad" --backward -o "$here/graph_${name}_backward.dot"
done
echo "regenerated explain_* and graph_* goldens in tests/golden"

# generate: the C++ for the seed network (banner names seed.grad as given), as golden/cpp_seed.*.
tmp="$(mktemp -d)"; (cd examples && "$gradgen" generate seed.grad -o "$tmp")
for ext in hpp cpp h; do cp "$tmp/seed.$ext" "$here/cpp_seed.$ext"; done; rm -rf "$tmp"
echo "regenerated cpp_seed.* goldens in tests/golden"

# generate --fuse-step --report: the seed's memory plan (with train_step) and its C header.
tmp="$(mktemp -d)"; (cd examples && "$gradgen" generate seed.grad --fuse-step --report -o "$tmp" > "$here/report_seed_fuse.txt")
cp "$tmp/seed.h" "$here/cpp_seed_fuse.h"; rm -rf "$tmp"
echo "regenerated report_seed_fuse.txt and cpp_seed_fuse.h goldens in tests/golden"
