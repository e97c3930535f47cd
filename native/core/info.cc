// buildInfo(): what `train-native doctor` reports about the native side: the LibTorch version
// and where CMake found it (baked in at build time), CUDA compiled / available, device names,
// intra- and inter-op threads, and the addon's build type.
#include "core/dist.h"
#include "core/internal.h"

#include <ATen/Parallel.h>

#if defined(TRAIN_NATIVE_WITH_CUDA) && __has_include(<cuda_runtime_api.h>)
#include <cuda_runtime_api.h>
#define TN_HAVE_CUDART 1
#endif

#ifndef TRAIN_NATIVE_TORCH_FOUND_AT
#define TRAIN_NATIVE_TORCH_FOUND_AT "unknown"
#endif
#ifndef TRAIN_NATIVE_TORCH_SOURCE
#define TRAIN_NATIVE_TORCH_SOURCE "unknown"
#endif
#ifndef TRAIN_NATIVE_TORCH_LIB_DIR
#define TRAIN_NATIVE_TORCH_LIB_DIR "unknown"
#endif
#ifndef TRAIN_NATIVE_BUILD_TYPE
#define TRAIN_NATIVE_BUILD_TYPE "unknown"
#endif

namespace tn {

BuildInfo buildInfo() {
  return guarded([] {
    BuildInfo b;
    b.torchVersion = TORCH_VERSION;
    b.torchFoundAt = TRAIN_NATIVE_TORCH_FOUND_AT;
    b.torchSource = TRAIN_NATIVE_TORCH_SOURCE;
    b.torchLibDir = TRAIN_NATIVE_TORCH_LIB_DIR;
    b.buildType = TRAIN_NATIVE_BUILD_TYPE;
#ifdef TRAIN_NATIVE_WITH_CUDA
    b.cudaCompiled = true;
#endif
    b.cudaAvailable = torch::cuda::is_available();
    b.cudaDeviceCount = static_cast<int>(torch::cuda::device_count());
#ifdef TN_HAVE_CUDART
    for (int i = 0; i < b.cudaDeviceCount; ++i) {
      cudaDeviceProp prop;
      if (cudaGetDeviceProperties(&prop, i) == cudaSuccess) b.deviceNames.push_back(prop.name);
    }
#endif
    b.intraOpThreads = at::get_num_threads();
    b.interOpThreads = at::get_num_interop_threads();
    b.parallelInfo = at::get_parallel_info();
    b.distBackends = compiledDistBackends();
    return b;
  });
}

}  // namespace tn
