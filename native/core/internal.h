// Torch-side declarations shared by the core's translation units: models, attention,
// the optimizer, and the c10::Error -> NativeError translation. Never included by the binding.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>

#include <functional>
#include <string>
#include <vector>

#include "core/api.h"

namespace tn {

// Run `f`, turning every c10 / std exception into a NativeError with a clear code (trap 4).
[[noreturn]] void rethrowAsNative();  // call inside a catch(...) block
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (...) {
    rethrowAsNative();
  }
}

// Per-call run context: dropout randomness comes from the trainer's own generator on CPU, so
// the same seed gives the same losses regardless of other trainers (and can be saved / restored).
struct RunCtx {
  at::Generator cpuGen;
  bool training = false;
};

torch::Tensor dropout(const torch::Tensor& x, double p, const RunCtx& ctx);

// "cpu" | "cuda" | "auto" -> a device; ERR_NATIVE_INVALID_ARG when CUDA is asked for but absent.
torch::Device resolveDevice(const std::string& d);

// Attention over [B, H, N, Dh] q/k/v. keyPad: bool [B, N], true = padding key (never attended).
// chunk > 0 && chunk < N: query-chunked attention that recomputes each chunk's probabilities in
// backward (memory O(N * chunk) per head instead of O(N^2)); otherwise full attention
// (scaled_dot_product_attention on CUDA with LibTorch >= 2.0).
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& keyPad, bool causal, int64_t chunk, bool recompute = true);
torch::Tensor fullAttentionReference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     const torch::Tensor& keyPad, bool causal);
torch::Tensor chunkedAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& keyPad, bool causal, int64_t chunk);

// What a model hands the trainer: predictions and the matching target, loss computed outside.
struct Prediction {
  std::string kind;      // classification | regression | tokens
  torch::Tensor out;     // [B, C] | [B, O] | [B, N, V]
  torch::Tensor target;  // [B] long | [B, O] float | [B, N] long (-100 = ignore)
};

struct DeviceBatch {
  int64_t batchSize = 0;
  torch::Tensor features, tokens, labels, targets, meta, metaMask; // undefined when absent
  std::string objective;
};

struct Model : torch::nn::Module {
  virtual Prediction forward(const DeviceBatch& b, const RunCtx& ctx) = 0;
};

std::shared_ptr<Model> buildModel(const ModelSpec& spec);

// ---- optimizer (own AdamW / SGD, torch.optim formulas, named groups) ----
struct ParamSlot {
  std::string name;
  torch::Tensor param;
  int group = 0;
  int64_t step = 0;
  torch::Tensor expAvg, expAvgSq, momentumBuffer;
};

struct GroupState {
  std::string name;
  std::vector<std::string> patterns;
  double weightDecay = 0;
};

bool globMatch(const std::string& pattern, const std::string& name);

class Optimizer {
 public:
  Optimizer(const OptimSpec& spec, std::vector<GroupState> groups,
            const std::vector<std::pair<std::string, torch::Tensor>>& params);
  // Applies one update with per-group LRs (index = group index). Frozen or grad-less params are skipped.
  void step(const std::vector<double>& lrs);
  // The same update, committed only where `apply` (a 0-dim bool on the parameters' device) is true.
  void step(const std::vector<double>& lrs, const torch::Tensor& apply);
  std::vector<ParamSlot>& slots() { return slots_; }
  const std::vector<GroupState>& groups() const { return groups_; }
  int groupIndex(const std::string& name) const; // -1 when unknown
  std::vector<NamedTensor> exportState() const;
  void importState(const std::vector<NamedTensor>& entries);
  int64_t stateBytes() const;

 private:
  OptimSpec spec_;
  std::vector<GroupState> groups_;
  std::vector<ParamSlot> slots_;
};

// ---- named tensors <-> host bytes (safetensors dtype names) ----
NamedTensor toNamed(const std::string& name, const torch::Tensor& t);
torch::Tensor fromNamed(const NamedTensor& e); // CPU tensor, owns its memory
std::string dtypeName(c10::ScalarType t);

}  // namespace tn
