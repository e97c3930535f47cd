#!/usr/bin/env bash
# CI part b: the addon built against a pip torch 2.13 CPU (a venv from the local wheel store) into
# a second build folder, build-pip/, with `train-native build --libtorch`; then the native tests
# against that build (TRAIN_NATIVE_ADDON), their PyTorch reference values computed by that same
# torch (TRAIN_NATIVE_REFERENCE_PYTHON). The venv also gets safetensors and tensorboard: part d
# reads the formats with them.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$CI_ROOT"

echo "-- venv $CI_CPU_VENV: $CI_CPU_TORCH numpy safetensors tensorboard"
ci_venv "$CI_CPU_VENV" "$CI_CPU_TORCH" numpy safetensors tensorboard
PY="$CI_CPU_VENV/bin/python"
TORCH="$(ci_torch_dir "$CI_CPU_VENV")" || exit 1
"$PY" -c 'import torch; print("torch", torch.__version__, "at", torch.__file__)'

# pip torch links gloo into libtorch_cpu.so but ships no gloo headers: Debian's compile the
# distributed code, which then runs on pip's gloo (tests/native/ddp.test.ts, below).
ci_gloo_headers

echo "-- build into build-pip/ (npx train-native build --libtorch $TORCH)"
rm -rf build-pip
TRAIN_NATIVE_BUILD_DIR=build-pip nice -n 5 node dist/cli.js build --libtorch "$TORCH"
ADDON="$CI_ROOT/build-pip/Release/train_native.node"

echo "-- doctor on that build"
ci_doctor_json "$ADDON" >"$CI_WORK/doctor-pip.json"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const want = process.argv[2];
  if (!r.ok || !r.libtorch || r.libtorch.version !== want) { console.error("doctor:", JSON.stringify(r)); process.exit(1); }
  if (!r.distributed || !r.distributed.backends.includes("gloo")) { console.error("doctor: gloo not compiled in:", JSON.stringify(r.distributed)); process.exit(1); }
  console.log(`LibTorch ${r.libtorch.version} from ${r.libtorch.source} (${r.libtorch.foundAt}); smoke loss ${r.smoke.loss}`);
' "$CI_WORK/doctor-pip.json" "$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')"

echo "-- native tests on build-pip/, reference: $PY"
TRAIN_NATIVE_ADDON="$ADDON" TRAIN_NATIVE_REFERENCE_PYTHON="$PY" \
  nice -n 5 npx jest tests/native --json --outputFile="$CI_WORK/jest-pip.json"
# The reference comparisons skip themselves without a torch: here they must have run.
node scripts/ci/require-ran.js "$CI_WORK/jest-pip.json" \
  'tests/native/torch-reference.test.ts' 'tests/native/safetensors.test.ts::safetensors cross-check with Python' \
  'tests/native/inference.test.ts::python/train_native_torch.py' \
  'tests/native/ddp.test.ts::distributed data parallel: 2 processes, gloo on loopback'
