#!/usr/bin/env bash
# Installs the Debian 12 packages `make bench` needs (libtorch, OpenBLAS, pkg-config; libtorch-dev
# is large). Idempotent; `make test` never runs this.
set -euo pipefail
exec bash "$(dirname "$0")/../scripts/install-packages.sh" install-bench-deps libtorch-dev libopenblas-dev pkg-config
