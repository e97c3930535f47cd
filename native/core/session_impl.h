// The session's private state, shared by the core's session translation units (session.cc:
// construction, steps, state I/O; inference.cc: predict and generation). Never included by the binding.
#pragma once

#include <map>
#include <memory>

#include <ATen/autocast_mode.h>

#include "core/dist.h"
#include "core/internal.h"

namespace tn {

// One text generation: the sampling options, its own generator (the same seed gives the same
// text whatever else the session did), the key/value cache and the tokens it holds.
struct Generation {
  SampleOptions opts;
  at::Generator rng;
  KvCache cache;
  std::vector<int64_t> window;  // the tokens in the cache, oldest first
  torch::Tensor nextLogits;     // [V] logits for the token after `window`
};

// A split uploaded once (setData): rows are gathered per batch with index_select.
struct DeviceData {
  int64_t count = 0;
  torch::Tensor features, tokens, labels, meta;  // undefined when absent; labels [count] | [count, O]
};

struct Session::Impl {
  SessionOptions opts;
  torch::Device device{torch::kCPU};
  std::shared_ptr<Model> model;
  std::unique_ptr<Optimizer> optim;
  RunCtx ctx;
  int64_t steps = 0;
  std::map<std::string, DeviceData> data;
  // Halt after a non-finite 'halt' step: on CPU a host flag (the norm is read every step, which
  // costs nothing there); on CUDA a 0-dim bool on the device, so queued steps are masked without
  // a sync and the host learns of it at the next readback.
  bool halted = false;
  torch::Tensor haltedOnDevice;
  // Text generation in progress (beginGeneration .. generate), null when none.
  std::unique_ptr<Generation> generation;
  // Distributed (opts.dist): the process group; the stop flag any thread may set (requestStop);
  // once the ranks agreed on a stop, every later step is skipped on every rank alike.
  std::unique_ptr<DistGroup> dist;
  std::shared_ptr<std::atomic<bool>> stopFlag;
  bool stopAgreed = false;
};

// Thread-local torch state for one call on the current thread (trap 3).
struct CallScope {
  c10::optional<torch::AutoGradMode> grad;
  bool autocastCpu = false, autocastGpu = false;
  CallScope(const SessionOptions& o, const torch::Device& dev, bool gradEnabled, bool autocast) {
    // at::set_num_threads is not a cheap setter: in LibTorch 1.13 it also rebuilds the global
    // pthreadpool and clears oneDNN's primitive cache (~5 ms at 2 threads, measured in
    // docs/benchmarks.md). The count is a per-thread OpenMP setting, so apply it only when this
    // worker thread's count differs, and initialise a thread's default state once.
    thread_local bool threadInitialised = false;
    if (o.threads > 0) {
      if (at::get_num_threads() != o.threads) at::set_num_threads(o.threads);
    } else if (!threadInitialised) {
      at::init_num_threads();
    }
    threadInitialised = true;
    grad.emplace(gradEnabled);
    if (autocast && o.precision == "bf16") {
      if (dev.is_cuda()) autocastGpu = true;
      else autocastCpu = true;
      setAutocast(dev.is_cuda(), true);
    }
  }
  static void setAutocast(bool cuda, bool on) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    const auto dt = cuda ? at::kCUDA : at::kCPU;
    if (on) at::autocast::set_autocast_dtype(dt, at::kBFloat16);
    at::autocast::set_autocast_enabled(dt, on);
#else
    if (cuda) {
      if (on) at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(on);
    } else {
      if (on) at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(on);
    }
#endif
  }
  ~CallScope() {
    if (autocastCpu) setAutocast(false, false);
    if (autocastGpu) setAutocast(true, false);
    if (autocastCpu || autocastGpu) at::autocast::clear_cache();
  }
};


// Host batches to device tensors: inline arrays, or rows of an uploaded split (session.cc).
DeviceBatch prepare(const HostBatch& h, const SessionOptions& o, const torch::Device& dev);
DeviceBatch prepareIndexed(const HostBatch& h, const SessionOptions& o, const torch::Device& dev,
                           const std::map<std::string, DeviceData>& splits);

}  // namespace tn
