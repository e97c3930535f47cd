#!/usr/bin/env bash
# CI part c: compile and link against the CUDA build of torch (2.14.1+cu130) with the CUDA 13
# toolkit's nvcc first on PATH, into build-cuda/; then `doctor --json` on that build must report
# LibTorch 2.14.1 with CUDA compiled in, and the gloo and NCCL backends (and pass its CPU smoke step). No GPU is needed: loading
# libtorch_cuda.so needs its libraries, not a device.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$CI_ROOT"

CUDA_HOME="${CUDA_HOME:-/usr/local/cuda}"
[ -x "$CUDA_HOME/bin/nvcc" ] || ci_skip "no CUDA toolkit at $CUDA_HOME (no $CUDA_HOME/bin/nvcc; set CUDA_HOME)"
"$CUDA_HOME/bin/nvcc" --version | tail -2

# torch without its Python dependencies (nothing here imports it), and of the nvidia wheels it
# names only those holding a library in libtorch_cuda.so's / libtorch_cpu.so's DT_NEEDED (readelf -d):
# cudart cupti cusparse(+nvJitLink) cufft cufile cusparseLt nccl curand cublas(Lt) cudnn nvrtc nvshmem.
# Not nvtx. cusolver is linked only by libtorch_cuda_linalg.so (loaded on first use), but its
# headers are needed to compile the NCCL backend: ProcessGroupNCCL.hpp includes
# ATen/cuda/CUDAContext.h, which includes cusolverDn.h (and cuSPARSE's and cuBLAS's headers).
NVIDIA_WHEELS=(nvidia-cuda-runtime nvidia-cuda-cupti nvidia-cusparse nvidia-nvjitlink nvidia-cufft
  nvidia-cufile nvidia-cusparselt-cu13 nvidia-nccl-cu13 nvidia-curand nvidia-cublas nvidia-cudnn-cu13
  nvidia-cuda-nvrtc nvidia-nvshmem-cu13 nvidia-cusolver)
echo "-- venv $CI_CUDA_VENV: $CI_CUDA_TORCH and ${#NVIDIA_WHEELS[@]} nvidia wheels, --no-deps"
ci_venv "$CI_CUDA_VENV" --no-deps "$CI_CUDA_TORCH" "${NVIDIA_WHEELS[@]}"
TORCH="$(ci_torch_dir "$CI_CUDA_VENV")" || exit 1
ls "$TORCH/lib/libtorch_cuda.so" >/dev/null || ci_fail "$CI_CUDA_TORCH in the store is not a CUDA build (no libtorch_cuda.so)"
missing="$(ldd "$TORCH/lib/libtorch_cuda.so" | grep 'not found' || true)"
[ -z "$missing" ] || ci_fail "libtorch_cuda.so cannot find: $missing"

# gloo's headers for the CPU distributed code; NCCL's come with the nvidia-nccl wheel.
ci_gloo_headers

echo "-- build into build-cuda/ (npx train-native build --libtorch $TORCH)"
rm -rf build-cuda
PATH="$CUDA_HOME/bin:$PATH" CUDA_HOME="$CUDA_HOME" CUDA_TOOLKIT_ROOT_DIR="$CUDA_HOME" TRAIN_NATIVE_BUILD_DIR=build-cuda \
  nice -n 5 node dist/cli.js build --libtorch "$TORCH"

echo "-- doctor --json on that build"
ci_doctor_json "$CI_ROOT/build-cuda/Release/train_native.node" >"$CI_WORK/doctor-cuda.json"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const ok = r.ok && r.libtorch && r.libtorch.version === process.argv[2] && r.cuda && r.cuda.compiled === true &&
    r.distributed && r.distributed.backends.includes("gloo") && r.distributed.backends.includes("nccl");
  if (!ok) { console.error("doctor:", JSON.stringify(r)); process.exit(1); }
  console.log(`LibTorch ${r.libtorch.version}, CUDA compiled in: ${r.cuda.compiled}, available: ${r.cuda.available}; distributed: ${r.distributed.backends.join(", ")}; smoke loss ${r.smoke.loss}`);
' "$CI_WORK/doctor-cuda.json" "${CI_CUDA_TORCH#torch==}"
