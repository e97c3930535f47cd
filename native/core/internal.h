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
// Chunked attention returns the caching allocator's free blocks to the driver between chunks
// (TRAIN.EMPTY_CACHE: chunk). Process-wide, like the allocator it acts on.
void setEmptyCacheBetweenChunks(bool on);

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
// One parameter. While the parameter is in a bucket (see Optimizer), `param`'s storage and the
// moment tensors are views into that bucket's flat buffers: in-place writes (copy_ from setState)
// reach the optimizer's buffers, and replacing the tensors (set_data, new moments) makes the next
// step rebuild the buckets.
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

// AdamW and SGD over flat buckets. The parameters of one group that take part in a step (they
// require and have a gradient) and share dtype, device and per-parameter step count form a
// bucket: their data, moments and (per step) gathered gradients are contiguous flat buffers, so
// an update is a handful of ops per bucket instead of ~10 per parameter. Results are bit-identical
// to torch.optim's single-tensor loop (elementwise kernels give the same bits on a flat buffer).
// Buckets are rebuilt only when the set of stepping parameters changes (freezing at an epoch
// boundary, a grad that went missing), a parameter's tensor was replaced, or state was imported.
class Optimizer {
 public:
  Optimizer(const OptimSpec& spec, std::vector<GroupState> groups,
            const std::vector<std::pair<std::string, torch::Tensor>>& params);
  // Applies one update with per-group LRs (index = group index). Frozen or grad-less params are skipped.
  void step(const std::vector<double>& lrs);
  // The same update, committed only where `apply` holds: `apply` undefined = always (as above);
  // otherwise a 0-dim bool tensor on the parameters' device, read on the device (no host sync):
  // params and moments keep their bits where it is false. Per-parameter step counts (bias
  // correction, exported `.step`) advance on the host either way: a skipped step still counts.
  void step(const std::vector<double>& lrs, const torch::Tensor& apply);
  std::vector<ParamSlot>& slots() { return slots_; }
  const std::vector<GroupState>& groups() const { return groups_; }
  int groupIndex(const std::string& name) const; // -1 when unknown
  std::vector<NamedTensor> exportState() const;
  void importState(const std::vector<NamedTensor>& entries);
  int64_t stateBytes() const;

 private:
  struct Bucket {
    int group = 0;
    std::vector<size_t> members;  // indices into slots_, in slot order
    int64_t numel = 0;
    torch::Tensor param, expAvg, expAvgSq, momentumBuffer;  // flat; moments undefined until made
  };
  bool bucketsStale() const;
  void rebuildBuckets();
  torch::Tensor gatherGrads(const Bucket& b);
  void stepAdamW(Bucket& b, double lr, const torch::Tensor& apply);
  void stepSgd(Bucket& b, double lr, const torch::Tensor& apply);

  OptimSpec spec_;
  std::vector<GroupState> groups_;
  std::vector<ParamSlot> slots_;
  std::vector<Bucket> buckets_;
  std::vector<int> bucketOf_;         // per slot: its bucket, -1 = none
  std::vector<const void*> viewPtr_;  // per slot in a bucket: where its param's data must be
  bool bucketsValid_ = false;
  torch::Tensor gradScratch_;         // flat gradients, reused by every bucket (max bucket numel)
  int testMask_ = -1;                 // TRAIN_NATIVE_TEST_OPTIMIZER_MASK: -1 off, 0 skip, 1 apply
};

// ---- named tensors <-> host bytes (safetensors dtype names) ----
NamedTensor toNamed(const std::string& name, const torch::Tensor& t);
torch::Tensor fromNamed(const NamedTensor& e); // CPU tensor, owns its memory
std::string dtypeName(c10::ScalarType t);

}  // namespace tn
