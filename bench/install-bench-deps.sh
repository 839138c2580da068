#!/usr/bin/env bash
# Installs the Debian 12 packages `make bench` needs (libtorch, OpenBLAS, pkg-config).
# Idempotent: installs only what is missing; `make test` never runs this.
set -euo pipefail

packages=(libtorch-dev libopenblas-dev pkg-config)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-bench-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-bench-deps: installing ${missing[*]} (libtorch-dev is large)"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-bench-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
