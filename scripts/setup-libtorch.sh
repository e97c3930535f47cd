#!/bin/sh
# Installs a LibTorch the addon can build against: Debian/Ubuntu's libtorch-dev (CPU, 1.13), and
# libgloo-dev, the gloo headers the distributed (train-native launch) code compiles against.
# Run as root (or through sudo). For CUDA, install a Python torch instead (pip install torch) or
# unpack a LibTorch zip from pytorch.org and run `npx train-native build --libtorch /path/to/libtorch`;
# CMakeLists.txt finds either.
set -eu
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-libtorch.sh: run as root, e.g. sudo $0" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-libtorch.sh: apt-get not found; install LibTorch yourself and set LIBTORCH" >&2
  exit 1
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libtorch-dev libgloo-dev cmake g++ make
echo "setup-libtorch.sh: installed libtorch-dev and libgloo-dev; now run: npx train-native build"
