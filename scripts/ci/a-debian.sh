#!/usr/bin/env bash
# CI part a: Debian's LibTorch 1.13 (libtorch-dev) and Debian's python torch (the numerical
# reference of the native tests), the npm dependencies, dist/ and build/Release/train_native.node
# (scripts/setup.sh), then every test (npm test).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$CI_ROOT"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

echo "-- Debian packages: libtorch-dev libgloo-dev python3-torch cmake g++ make"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  libtorch-dev libgloo-dev python3-torch cmake g++ make >/dev/null

echo "-- set-up (scripts/setup.sh: npm ci, which compiles dist/ and builds the addon)"
# The addon is mandatory in CI: a missing LibTorch must fail the run, not skip the native tests.
export TRAIN_NATIVE_REQUIRE_NATIVE=1
bash scripts/setup.sh

echo "-- tests (npm test)"
npm test
