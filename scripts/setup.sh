#!/usr/bin/env bash
# One-shot set-up on a fresh Debian 12 machine: Debian's LibTorch (CPU, 1.13) and gloo's headers, the npm
# dependencies, the TypeScript build (npm's `prepare`) and the native addon (npm's `install`).
# Safe to run again: each step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# LibTorch: skip when one is already reachable (Debian's package, or LIBTORCH / Torch_DIR set);
# gloo's headers (libgloo-dev) come with it: the distributed code compiles only where they are.
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if [ -z "${LIBTORCH:-}${Torch_DIR:-}" ] && ! dpkg -s libtorch-dev >/dev/null 2>&1; then
  as_root bash scripts/setup-libtorch.sh
elif command -v apt-get >/dev/null 2>&1 && ! dpkg -s libgloo-dev >/dev/null 2>&1; then
  as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libgloo-dev
fi

if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
