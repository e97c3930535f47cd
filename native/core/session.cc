// The session: owns the model, the optimizer, the device, the RNG and the uploaded data splits;
// turns host or indexed batches into device tensors (gathering rows, applying the caller's mixup,
// meta-mask and token-mask decisions); runs one optimizer step over 1..A micro-batches
// (accumulation, clipping, per-group LRs, a non-finite guard that needs no host sync on CUDA),
// evaluation with metric sums, weight / optimizer state export and import, freezing, memory
// stats. The binding calls it from the one thread the session owns, so the thread-local torch
// state CallScope sets (thread count first of all) is set once, not per call (trap 3).
#include "core/session_impl.h"

#include <ATen/autocast_mode.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>

#ifdef TRAIN_NATIVE_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace tn {

[[noreturn]] void invalidArg(const std::string& msg) { throw NativeError("ERR_NATIVE_INVALID_ARG", msg); }

static const char* kOomAdvice =
    "\nSuggestions: lower DATA.BATCH_SIZE (and raise TRAIN.ACCUMULATION_STEPS to keep the effective "
    "batch), lower MODEL.TOKEN_LIMIT (attention memory grows with its square), set "
    "MODEL.ATTENTION_CHUNK_SIZE (e.g. 128) for query-chunked attention, enable expandable segments "
    "(PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True) to reduce fragmentation, and empty the cache "
    "between phases.";

void rethrowAsNative() {
  try {
    throw;
  } catch (const NativeError&) {
    throw;
  } catch (const c10::OutOfMemoryError& e) {
    throw NativeError("ERR_NATIVE_OOM", std::string("out of memory: ") + e.what_without_backtrace() + kOomAdvice);
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    // CUDA: "CUDA out of memory"; CPU: "DefaultCPUAllocator: can't allocate memory" (1.13) or
    // "not enough memory" (2.x).
    if (msg.find("out of memory") != std::string::npos || msg.find("not enough memory") != std::string::npos ||
        msg.find("can't allocate memory") != std::string::npos)
      throw NativeError("ERR_NATIVE_OOM", "out of memory: " + msg + kOomAdvice);
    throw NativeError("ERR_NATIVE_TORCH", "LibTorch error: " + msg);
  } catch (const std::bad_alloc&) {
    throw NativeError("ERR_NATIVE_OOM", std::string("host out of memory (std::bad_alloc)") + kOomAdvice);
  } catch (const std::exception& e) {
    throw NativeError("ERR_NATIVE_INTERNAL", e.what());
  } catch (...) {
    throw NativeError("ERR_NATIVE_INTERNAL", "unknown native exception");
  }
}


torch::Device resolveDevice(const std::string& d) {
  if (d == "cpu") return torch::kCPU;
  if (d == "cuda") {
    if (!torch::cuda::is_available())
      invalidArg(
          "device 'cuda' requested but CUDA is not available (a CPU-only LibTorch, or no usable GPU / driver; "
          "see `train-native doctor`); use device 'cpu' or 'auto'");
    return torch::Device(torch::kCUDA, 0);
  }
  if (d == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  invalidArg("device must be 'cpu', 'cuda' or 'auto' (got '" + d + "')");
}

namespace {

std::string shapeStr(const std::vector<int64_t>& s) { return c10::str(c10::IntArrayRef(s)); }

c10::ScalarType hostType(ElemType t) {
  switch (t) {
    case ElemType::F32: return torch::kFloat;
    case ElemType::I32: return torch::kInt;
    case ElemType::I64: return torch::kLong;
    case ElemType::U8: return torch::kByte;
  }
  return torch::kFloat;
}

// A view of the host copy (the HostBatch outlives the call), then one conversion to the device.
// `owned`: the result must outlive the host copy (uploaded data), so it is always a copy.
torch::Tensor upload(const HostArray& a, c10::ScalarType dtype, const torch::Device& dev, bool owned = false) {
  auto t = torch::from_blob(const_cast<uint8_t*>(a.bytes.data()), a.shape, torch::TensorOptions().dtype(hostType(a.type)));
  return t.to(dev, dtype, /*non_blocking=*/false, /*copy=*/owned);
}

template <class T>
void checkRange(const HostArray& a, int64_t lo, int64_t hi, int64_t allowed, const char* what) {
  const T* p = reinterpret_cast<const T*>(a.bytes.data());
  const int64_t n = a.numel();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = static_cast<int64_t>(p[i]);
    if ((v < lo || v >= hi) && v != allowed)
      invalidArg(std::string(what) + "[" + std::to_string(i) + "] = " + std::to_string(v) + " is outside [" +
                 std::to_string(lo) + ", " + std::to_string(hi) + ")" +
                 (allowed != INT64_MIN ? " (or " + std::to_string(allowed) + " = ignore)" : ""));
  }
}

// Index checks happen on the host: an out-of-range index on CUDA is a device-side assert that
// poisons the whole context, not an exception.
void checkIndices(const HostArray& a, int64_t hi, int64_t allowed, const char* what) {
  if (a.type == ElemType::I32) checkRange<int32_t>(a, 0, hi, allowed, what);
  else if (a.type == ElemType::I64) checkRange<int64_t>(a, 0, hi, allowed, what);
  else invalidArg(std::string(what) + " must be an Int32Array or BigInt64Array");
}

void expectShape(const HostArray& a, const std::vector<int64_t>& want, const char* what) {
  if (a.shape != want)
    invalidArg(std::string(what) + " has shape " + shapeStr(a.shape) + ", expected " + shapeStr(want));
}

}  // namespace

// Models whose batches carry feature rows (the rest take token sequences).
static bool takesFeatures(const ModelSpec& s) { return s.type == "mlp" || (s.type == "torchscript" && s.input == "features"); }

DeviceBatch prepare(const HostBatch& h, const SessionOptions& o, const torch::Device& dev) {
  const auto& s = o.model;
  DeviceBatch b;
  b.batchSize = h.batchSize;
  b.objective = h.objective;
  const int64_t B = h.batchSize;
  if (B < 1) invalidArg("batch.batchSize must be >= 1");
  if (h.objective != "supervised" && h.objective != "masked_tokens")
    invalidArg("batch.objective must be 'supervised' or 'masked_tokens' (got '" + h.objective + "')");
  if (h.objective == "masked_tokens" && s.type != "transformer")
    invalidArg("objective 'masked_tokens' needs a transformer model");
  const bool supervised = s.type != "gpt" && h.objective == "supervised";
  if (takesFeatures(s)) {
    if (!h.features) invalidArg(s.type + " batches need `features` (Float32Array of batchSize * inputDim)");
    if (h.features->type != ElemType::F32) invalidArg("batch.features must be a Float32Array");
    expectShape(*h.features, {B, s.inputDim}, "batch.features");
    b.features = upload(*h.features, torch::kFloat, dev);
  } else {
    if (!h.tokens) invalidArg(s.type + " batches need `tokens` (Int32Array or BigInt64Array of batchSize * seqLen)");
    if (h.tokens->shape.size() != 2 || h.tokens->shape[0] != B)
      invalidArg("batch.tokens has shape " + shapeStr(h.tokens->shape) + ", expected [" + std::to_string(B) + ", seqLen]");
    const int64_t n = h.tokens->shape[1];
    if (n < 1) invalidArg("batch.tokens: seqLen must be >= 1");
    // gpt without targets feeds tokens[:, :-1] to the model: one extra token is the last target.
    const int64_t limit = s.tokenLimit + (s.type == "gpt" && !h.targets ? 1 : 0);
    if (n > limit)
      invalidArg("sequence length " + std::to_string(n) + " exceeds MODEL.TOKEN_LIMIT (" + std::to_string(s.tokenLimit) +
                 (limit > s.tokenLimit ? " + 1 target token" : "") + "); truncate the sequences or raise TOKEN_LIMIT");
    checkIndices(*h.tokens, s.vocabSize, INT64_MIN, "batch.tokens");
    b.tokens = upload(*h.tokens, torch::kLong, dev);
    if (h.targets) {
      expectShape(*h.targets, {B, n}, "batch.targets");
      checkIndices(*h.targets, s.vocabSize, -100, "batch.targets");
      b.targets = upload(*h.targets, torch::kLong, dev);
    }
    if (h.meta) {
      if (h.meta->type != ElemType::F32) invalidArg("batch.meta must be a Float32Array");
      expectShape(*h.meta, {B, s.metaDim}, "batch.meta");
      b.meta = upload(*h.meta, torch::kFloat, dev);
    }
    if (h.metaMask) {
      if (h.metaMask->type != ElemType::F32) invalidArg("batch.metaMask must be a Float32Array (1 keep, 0 masked)");
      expectShape(*h.metaMask, {B, s.metaDim}, "batch.metaMask");
      b.metaMask = upload(*h.metaMask, torch::kFloat, dev);
    }
  }
  if (supervised && h.labels) {
    if (s.task == "classification") {
      expectShape(*h.labels, {B}, "batch.labels");
      checkIndices(*h.labels, s.numClasses, INT64_MIN, "batch.labels");
      b.labels = upload(*h.labels, torch::kLong, dev);
    } else {
      if (h.labels->type != ElemType::F32) invalidArg("regression batch.labels must be a Float32Array");
      if (h.labels->numel() != B * s.outputDim)
        invalidArg("batch.labels has " + std::to_string(h.labels->numel()) + " values, expected batchSize * outputDim = " +
                   std::to_string(B * s.outputDim));
      b.labels = upload(*h.labels, torch::kFloat, dev);
    }
  }
  return b;
}

// Batch rows `members` become lambda * row + (1 - lambda) * row `partners` (both read before
// mixing), in double precision and rounded once to float32: the TypeScript reference's arithmetic.
void mixRows(torch::Tensor& t, const torch::Tensor& members, const torch::Tensor& partners, double lambda) {
  if (!t.defined() || t.scalar_type() != torch::kFloat) return;
  auto d = t.to(torch::kDouble);
  auto mixed = d.index_select(0, members) * lambda + d.index_select(0, partners) * (1.0 - lambda);
  t = t.index_copy(0, members, mixed.to(torch::kFloat));
}

void checkBatchRows(const HostArray& a, int64_t B, const char* what) {
  if (a.type != ElemType::I32) invalidArg(std::string("batch.") + what + " must be an Int32Array");
  checkRange<int32_t>(a, 0, B, INT64_MIN, (std::string("batch.") + what).c_str());
}

// Rows of an uploaded split plus the caller's decisions, gathered and applied on the device.
DeviceBatch prepareIndexed(const HostBatch& h, const SessionOptions& o, const torch::Device& dev,
                           const std::map<std::string, DeviceData>& splits) {
  const auto& s = o.model;
  auto it = splits.find(h.split);
  if (it == splits.end()) invalidArg("no data was uploaded for split '" + h.split + "' (setData first)");
  const DeviceData& d = it->second;
  if (!h.indices) invalidArg("an indexed batch needs `indices` (Int32Array of row numbers)");
  if (h.indices->type != ElemType::I32) invalidArg("batch.indices must be an Int32Array");
  const int64_t B = h.indices->numel();
  if (B < 1) invalidArg("batch.indices must hold at least one row");
  checkRange<int32_t>(*h.indices, 0, d.count, INT64_MIN, "batch.indices");
  if (h.objective != "supervised" && h.objective != "masked_tokens")
    invalidArg("batch.objective must be 'supervised' or 'masked_tokens' (got '" + h.objective + "')");
  if (h.objective == "masked_tokens" && s.type != "transformer") invalidArg("objective 'masked_tokens' needs a transformer model");
  auto rows = upload(*h.indices, torch::kLong, dev);
  auto pick = [&](const torch::Tensor& t) { return t.defined() ? t.index_select(0, rows) : torch::Tensor(); };
  DeviceBatch b;
  b.batchSize = B;
  b.objective = h.objective;
  b.features = pick(d.features);
  b.tokens = pick(d.tokens);
  b.meta = pick(d.meta);
  const bool supervised = s.type != "gpt" && h.objective == "supervised";
  if (supervised) b.labels = pick(d.labels);
  if (takesFeatures(s) && !b.features.defined()) invalidArg("split '" + h.split + "' has no features for the " + s.type);
  if (!takesFeatures(s) && !b.tokens.defined()) invalidArg("split '" + h.split + "' has no tokens for the " + s.type);
  if (h.mixupMembers || h.mixupPartners) {
    if (!h.mixupMembers || !h.mixupPartners || h.mixupMembers->numel() != h.mixupPartners->numel())
      invalidArg("batch.mixup needs members and partners of the same length");
    checkBatchRows(*h.mixupMembers, B, "mixup.members");
    checkBatchRows(*h.mixupPartners, B, "mixup.partners");
    if (!std::isfinite(h.mixupLambda)) invalidArg("batch.mixup.lambda must be finite");
    if (h.mixupMembers->numel() > 0) {
      auto members = upload(*h.mixupMembers, torch::kLong, dev);
      auto partners = upload(*h.mixupPartners, torch::kLong, dev);
      mixRows(b.features, members, partners, h.mixupLambda);
      mixRows(b.meta, members, partners, h.mixupLambda);
      mixRows(b.labels, members, partners, h.mixupLambda);  // regression targets only (float)
    }
  }
  if (h.metaMask) {
    if (h.metaMask->type != ElemType::F32) invalidArg("batch.metaMask must be a Float32Array (1 keep, 0 masked)");
    expectShape(*h.metaMask, {B, s.metaDim}, "batch.metaMask");
    b.metaMask = upload(*h.metaMask, torch::kFloat, dev);
  }
  if (h.tokenMask) {
    if (h.objective != "masked_tokens") invalidArg("batch.tokenMask needs objective 'masked_tokens'");
    if (h.tokenMask->type != ElemType::U8) invalidArg("batch.tokenMask must be a Uint8Array");
    expectShape(*h.tokenMask, {B, b.tokens.size(1)}, "batch.tokenMask");
    if (h.maskTokenId < 0 || h.maskTokenId >= s.vocabSize)
      invalidArg("batch.maskTokenId " + std::to_string(h.maskTokenId) + " is outside [0, " + std::to_string(s.vocabSize) + ")");
    auto mask = upload(*h.tokenMask, torch::kBool, dev);
    b.targets = b.tokens.masked_fill(mask.logical_not(), -100);
    b.tokens = b.tokens.masked_fill(mask, h.maskTokenId);
  } else if (h.objective == "masked_tokens") {
    invalidArg("an indexed masked_tokens batch needs `tokenMask`");
  }
  return b;
}

namespace {

// One upload of a split: range checks on the host once, so indexed batches need only row checks.
DeviceData uploadData(const HostData& h, const SessionOptions& o, const torch::Device& dev) {
  const auto& s = o.model;
  const int64_t n = h.count;
  if (n < 1) invalidArg("data.count must be >= 1");
  auto rowsOf = [&](const HostArray& a, const char* what) {
    if (a.shape.empty() || a.shape[0] != n)
      invalidArg(std::string("data.") + what + " has shape " + shapeStr(a.shape) + ", expected [" + std::to_string(n) + ", ...]");
  };
  DeviceData d;
  d.count = n;
  if (h.features) {
    if (h.features->type != ElemType::F32) invalidArg("data.features must be a Float32Array");
    rowsOf(*h.features, "features");
    if (takesFeatures(s)) expectShape(*h.features, {n, s.inputDim}, "data.features");
    d.features = upload(*h.features, torch::kFloat, dev, true);
  }
  if (h.tokens) {
    rowsOf(*h.tokens, "tokens");
    checkIndices(*h.tokens, s.vocabSize, INT64_MIN, "data.tokens");
    const int64_t len = h.tokens->shape.size() > 1 ? h.tokens->shape[1] : 0;
    const int64_t limit = s.tokenLimit + (s.type == "gpt" ? 1 : 0);
    if (len > limit)
      invalidArg("sequence length " + std::to_string(len) + " exceeds MODEL.TOKEN_LIMIT (" + std::to_string(s.tokenLimit) +
                 "); truncate the sequences or raise TOKEN_LIMIT");
    d.tokens = upload(*h.tokens, torch::kLong, dev, true);
  }
  if (h.meta) {
    if (h.meta->type != ElemType::F32) invalidArg("data.meta must be a Float32Array");
    expectShape(*h.meta, {n, s.metaDim}, "data.meta");
    d.meta = upload(*h.meta, torch::kFloat, dev, true);
  }
  if (h.labels && s.type != "gpt") {
    if (s.task == "classification") {
      expectShape(*h.labels, {n}, "data.labels");
      checkIndices(*h.labels, s.numClasses, INT64_MIN, "data.labels");
      d.labels = upload(*h.labels, torch::kLong, dev, true);
    } else {
      if (h.labels->type != ElemType::F32) invalidArg("regression data.labels must be a Float32Array");
      if (h.labels->numel() != n * s.outputDim)
        invalidArg("data.labels has " + std::to_string(h.labels->numel()) + " values, expected count * outputDim = " +
                   std::to_string(n * s.outputDim));
      d.labels = upload(*h.labels, torch::kFloat, dev, true).reshape({n, s.outputDim});
    }
  }
  return d;
}

// Mean loss of a prediction (fp32 even under bf16 autocast).
torch::Tensor lossOf(const Prediction& p) {
  if (!p.target.defined())
    invalidArg(p.kind == "tokens" ? "this batch needs `targets`" : "this batch needs `labels`");
  auto out = p.out.to(torch::kFloat);
  if (p.kind == "loss") return out;  // the module computed it (MODEL.LOSS model)
  if (p.kind == "classification") return torch::nn::functional::cross_entropy(out, p.target);
  if (p.kind == "regression") return torch::mse_loss(out, p.target);
  auto flat = out.reshape({-1, out.size(-1)});
  auto opts = torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100);
  return torch::nn::functional::cross_entropy(flat, p.target.reshape({-1}), opts);
}

}  // namespace

// ---- construction ----
Session::Session(const SessionOptions& opts, std::shared_ptr<std::atomic<bool>> stopFlag) : impl_(std::make_unique<Impl>()) {
  guarded([&] {
    auto& im = *impl_;
    im.opts = opts;
    im.stopFlag = stopFlag ? std::move(stopFlag) : std::make_shared<std::atomic<bool>>(false);
    if (opts.precision != "fp32" && opts.precision != "bf16")
      invalidArg("precision must be 'fp32' or 'bf16' (got '" + opts.precision + "')");
    if (opts.threads < 0) invalidArg("threads must be >= 0");
    if (!(opts.gradClip >= 0 && std::isfinite(opts.gradClip))) invalidArg("gradClip must be >= 0 (0 = off)");
    im.device = resolveDevice(opts.device);
    // One GPU per process: rank r of a node takes device LOCAL_RANK (torchrun's convention).
    if (opts.dist && im.device.is_cuda() && torch::cuda::device_count() > 0)
      im.device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(opts.dist->localRank % torch::cuda::device_count()));
    if (im.device.is_cuda() && opts.expandableSegments) {
      // Read by the caching allocator at its first allocation; an existing setting wins.
      setenv("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True", 0);
    }
    CallScope scope(opts, im.device, false, false);
    torch::manual_seed(opts.seed);  // initial weights come from the global generator
    // Dropout masks: each rank its own stream (seed + rank), so the ranks do not drop the same units.
    const uint64_t rank = opts.dist ? static_cast<uint64_t>(opts.dist->rank) : 0;
    im.ctx.cpuGen = at::make_generator<at::CPUGeneratorImpl>((opts.seed + rank) ^ 0x9E3779B97F4A7C15ULL);
    // Joining the group blocks until every rank has (or DIST.TIMEOUT_S passed): on this thread.
    if (opts.dist && opts.dist->worldSize > 1) im.dist = DistGroup::create(*opts.dist, im.device);
    im.model = buildModel(opts.model);
    im.model->to(im.device);

    std::vector<GroupState> groups;
    std::set<std::string> names;
    for (auto& g : opts.groups) {
      if (g.name.empty()) invalidArg("parameter group names must be non-empty");
      if (!names.insert(g.name).second) invalidArg("duplicate parameter group '" + g.name + "'");
      if (!std::isfinite(g.weightDecay)) invalidArg("group '" + g.name + "': weightDecay must be finite");
      groups.push_back(GroupState{g.name, g.patterns, g.weightDecay});
    }
    if (!names.count("default")) groups.push_back(GroupState{"default", {"*"}, opts.optim.weightDecay});
    std::vector<std::pair<std::string, torch::Tensor>> params;
    for (auto& kv : im.model->named_parameters(true)) params.emplace_back(kv.key(), kv.value());
    im.optim = std::make_unique<Optimizer>(opts.optim, groups, params);
    return 0;
  });
}

Session::~Session() {
  std::lock_guard<std::mutex> lock(mu_);
  impl_.reset();
}

Session::Impl& Session::live() {
  if (!impl_) throw NativeError("ERR_NATIVE_DISPOSED", "this session has been disposed");
  return *impl_;
}

bool Session::disposed() {
  std::lock_guard<std::mutex> lock(mu_);
  return !impl_;
}

void Session::dispose() {
  std::lock_guard<std::mutex> lock(mu_);  // waits for a running call
  if (!impl_) return;
  const bool cuda = impl_->device.is_cuda();
  impl_.reset();
#ifdef TRAIN_NATIVE_WITH_CUDA
  if (cuda) c10::cuda::CUDACachingAllocator::emptyCache();
#else
  (void)cuda;
#endif
}

std::string Session::device() {
  std::lock_guard<std::mutex> lock(mu_);
  return live().device.str();
}

// DDP: averages the gradients over the ranks, so clipping and the non-finite guard see the global
// gradient and decide alike on every rank. This rank's mean loss and stop request ride in the last
// bucket: the logged loss is the global mean, and a stop is agreed at the same step everywhere
// without a collective of its own. Returns the global mean loss; sets r.stopAgreed.
static torch::Tensor averageOverRanks(Session::Impl& im, const torch::Tensor& localLoss, StepResult& r) {
  std::vector<torch::Tensor> grads;
  for (auto& s : im.optim->slots())
    if (s.param.requires_grad() && s.param.grad().defined()) grads.push_back(s.param.grad());
  const float stop = im.stopFlag->load() ? 1.0f : 0.0f;
  auto extras = torch::stack({localLoss.to(torch::kFloat).reshape({}), torch::full({}, stop, torch::TensorOptions().device(im.device))});
  auto averaged = im.dist->averageGradients(grads, extras);
  // A read of one number (a sync on CUDA): the loop must know at once to stop queueing.
  r.stopAgreed = averaged[1].item<float>() > 0.0f;
  im.stopAgreed = r.stopAgreed;
  return averaged[0];
}

// ---- step ----
StepResult Session::step(const StepRequest& req) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  return guarded([&] {
    setEmptyCacheAfterChunk(im.opts.emptyCacheAfterChunk);
    const auto& groups = im.optim->groups();
    std::vector<double> lrs(groups.size(), std::nan(""));
    for (auto& [name, lr] : req.lrs) {
      const int g = im.optim->groupIndex(name);
      if (g < 0) {
        std::string known;
        for (auto& gs : groups) known += (known.empty() ? "" : ", ") + gs.name;
        invalidArg("unknown parameter group '" + name + "' in lrs (groups: " + known + ")");
      }
      if (!std::isfinite(lr) || lr < 0) invalidArg("lrs['" + name + "'] must be a finite number >= 0 (got " + std::to_string(lr) + ")");
      lrs[g] = lr;
    }
    for (size_t g = 0; g < groups.size(); ++g)
      if (std::isnan(lrs[g])) invalidArg("lrs is missing parameter group '" + groups[g].name + "'");
    if (req.micro.empty()) invalidArg("step needs at least one batch");

    // Validate and upload every micro-batch before touching any gradient.
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    std::vector<DeviceBatch> batches;
    for (auto& h : req.micro)
      batches.push_back(h.split.empty() ? prepare(h, im.opts, im.device) : prepareIndexed(h, im.opts, im.device, im.data));
    const auto t1 = clock::now();

    StepResult r;
    if (im.stopAgreed) {  // the ranks stopped at an earlier step: this queued one runs nowhere
      r.stopSkipped = true;
      r.step = im.steps;
      return r;
    }
    if (im.halted) {  // CPU halt: the queued step changes nothing
      r.halted = true;
      r.step = im.steps;
      return r;
    }
    CallScope scope(im.opts, im.device, true, true);
    im.model->train();
    im.ctx.training = true;
    for (auto& s : im.optim->slots()) s.param.mutable_grad() = torch::Tensor();  // zero_grad(set_to_none)
    const double scale = 1.0 / static_cast<double>(batches.size());
    torch::Tensor lossSum;
    for (auto& b : batches) {
      auto loss = lossOf(im.model->forward(b, im.ctx));
      (loss * scale).backward();
      auto d = loss.detach();
      lossSum = lossSum.defined() ? lossSum + d : d;
    }
    // Total L2 norm over trainable gradients, as clip_grad_norm_. Norm and clipping build no graph
    // (clip_grad_norm_ runs under no_grad too).
    torch::NoGradGuard noGrad;
    // Distributed: the gradients averaged over the ranks before the norm (and the loss with them).
    torch::Tensor lossMean = im.dist ? averageOverRanks(im, lossSum * scale, r) : lossSum * scale;
    std::vector<torch::Tensor> grads;
    bool allFloat = true;
    for (auto& s : im.optim->slots())
      if (s.param.requires_grad() && s.param.grad().defined()) {
        grads.push_back(s.param.grad());
        allFloat = allFloat && grads.back().scalar_type() == torch::kFloat;
      }
    // clip_grad_norm_'s per-tensor norms, one dispatch for all of them (the same kernel per tensor).
    std::vector<torch::Tensor> norms;
    if (allFloat) {
      norms = at::_foreach_norm(grads, 2);
    } else {
      for (auto& g : grads) norms.push_back(g.norm(2).to(torch::kFloat));
    }
    torch::Tensor total = norms.empty() ? torch::zeros({}, torch::TensorOptions().device(im.device))
                                        : torch::stack(norms).norm(2);
    auto clip = [&] {
      if (im.opts.gradClip <= 0 || grads.empty()) return;
      auto coef = (im.opts.gradClip / (total + 1e-6)).clamp_max(1.0);
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
      at::_foreach_mul_(grads, coef);
#else
      for (auto& g : grads) g.mul_(coef);
#endif
    };
    if (!im.device.is_cuda()) {
      // CPU: reading the norm costs nothing, so the guard is exact and on the host.
      const double norm = total.item<double>();
      r.nonFinite = !std::isfinite(norm);
      if (*r.nonFinite) {
        if (req.haltOnNonFinite) im.halted = true;
      } else {
        clip();
        im.optim->step(lrs);
        ++im.steps;
      }
      r.loss = lossMean.item<double>();
      r.gradNorm = norm;
    } else {
      // CUDA: the guard stays on the device; the update is committed only where it is finite and
      // the session is not halted, and nothing is read back unless asked (trap 7).
      auto finite = torch::isfinite(total);
      if (!im.haltedOnDevice.defined()) im.haltedOnDevice = torch::zeros({}, torch::TensorOptions().dtype(torch::kBool).device(im.device));
      auto apply = finite.logical_and(im.haltedOnDevice.logical_not());
      if (req.haltOnNonFinite) im.haltedOnDevice.logical_or_(finite.logical_not());
      clip();
      im.optim->step(lrs, apply);
      ++im.steps;  // counted on the host either way: the documented cost of not syncing
      if (req.readLoss) {
        r.loss = lossMean.item<double>();
        r.gradNorm = total.item<double>();
        r.nonFinite = !std::isfinite(*r.gradNorm);
        r.halted = im.haltedOnDevice.item<bool>() && !*r.nonFinite;
      }
    }
    r.step = im.steps;
    im.ctx.training = false;
    r.prepareMs = std::chrono::duration<double, std::milli>(t1 - t0).count();
    r.computeMs = std::chrono::duration<double, std::milli>(clock::now() - t1).count();
#ifdef TRAIN_NATIVE_WITH_CUDA
    if (im.opts.emptyCacheAfterStep && im.device.is_cuda()) c10::cuda::CUDACachingAllocator::emptyCache();
#endif
    return r;
  });
}

// ---- data ----
void Session::setData(const std::string& split, const HostData& data) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  guarded([&] {
    if (split.empty()) invalidArg("setData: the split name must be non-empty");
    im.data.erase(split);  // free the old copy before uploading the new one
    im.data[split] = uploadData(data, im.opts, im.device);
    return 0;
  });
}

void Session::clearHalt() {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  guarded([&] {
    im.halted = false;
    if (im.haltedOnDevice.defined()) im.haltedOnDevice.fill_(false);
    return 0;
  });
}

// ---- evaluate ----
EvalResult Session::evaluate(const HostBatch& h, bool confusion) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  return guarded([&] {
    auto b = h.split.empty() ? prepare(h, im.opts, im.device) : prepareIndexed(h, im.opts, im.device, im.data);
    CallScope scope(im.opts, im.device, false, true);
    im.model->eval();
    im.ctx.training = false;
    auto p = im.model->forward(b, im.ctx);
    if (!p.target.defined()) invalidArg(p.kind == "tokens" ? "evaluate needs `targets`" : "evaluate needs `labels`");
    auto out = p.out.to(torch::kFloat);
    EvalResult r;
    r.kind = p.kind;
    if (p.kind == "loss") {
      // The module's mean loss over the batch: summed per sample like the others.
      r.count = b.batchSize;
      r.lossSum = out.item<double>() * static_cast<double>(b.batchSize);
    } else if (p.kind == "classification") {
      auto opts = torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum);
      r.lossSum = torch::nn::functional::cross_entropy(out, p.target, opts).item<double>();
      auto predicted = out.argmax(-1);
      r.correct = predicted.eq(p.target).sum().item<double>();
      r.count = b.batchSize;
      if (confusion) {
        const int64_t c = out.size(1);
        auto counts = torch::bincount(p.target * c + predicted, {}, c * c).to(torch::kCPU, torch::kLong).contiguous();
        r.confusion.assign(counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + c * c);
      }
    } else if (p.kind == "regression") {
      auto diff = out - p.target;
      // Loss per sample = mean over outputs of the squared error (matches the training MSE).
      r.sqErrorSum = diff.pow(2).sum().item<double>();
      r.absErrorSum = diff.abs().sum().item<double>();
      r.targetSum = p.target.sum().item<double>();
      r.targetSqSum = p.target.pow(2).sum().item<double>();
      r.valueCount = p.target.numel();
      r.count = b.batchSize;
      r.lossSum = r.sqErrorSum / static_cast<double>(p.target.size(1));
    } else {
      auto flat = out.reshape({-1, out.size(-1)});
      auto tgt = p.target.reshape({-1});
      auto opts = torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kSum);
      r.lossSum = torch::nn::functional::cross_entropy(flat, tgt, opts).item<double>();
      auto valid = tgt.ne(-100);
      r.count = valid.sum().item<int64_t>();
      r.correct = flat.argmax(-1).eq(tgt).logical_and(valid).sum().item<double>();
    }
    r.loss = r.count > 0 ? r.lossSum / static_cast<double>(r.count) : 0.0;
    return r;
  });
}

void Session::exportTorchScript(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  guarded([&] {
    saveTorchScriptModel(*im.model, path);
    return 0;
  });
}

// ---- state ----
std::vector<NamedTensor> Session::getState(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  return guarded([&] {
    std::vector<NamedTensor> out;
    for (auto& kv : im.model->named_parameters(true))
      if (kv.key().rfind(prefix, 0) == 0) out.push_back(toNamed(kv.key(), kv.value()));
    for (auto& kv : im.model->named_buffers(true))
      if (kv.key().rfind(prefix, 0) == 0) out.push_back(toNamed(kv.key(), kv.value()));
    return out;
  });
}

std::vector<NamedTensor> Session::getGradients(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  return guarded([&] {
    std::vector<NamedTensor> out;
    for (auto& kv : im.model->named_parameters(true))
      if (kv.key().rfind(prefix, 0) == 0 && kv.value().grad().defined()) out.push_back(toNamed(kv.key(), kv.value().grad()));
    return out;
  });
}

std::vector<std::string> Session::setState(const std::vector<NamedTensor>& entries, const std::string& prefix, bool strict) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  return guarded([&] {
    std::map<std::string, torch::Tensor> targets;
    for (auto& kv : im.model->named_parameters(true)) targets[kv.key()] = kv.value();
    for (auto& kv : im.model->named_buffers(true)) targets[kv.key()] = kv.value();
    // Check everything first: a failed load leaves the model untouched.
    std::vector<std::pair<torch::Tensor, torch::Tensor>> plan;
    std::vector<std::string> loaded;
    std::set<std::string> seen;
    for (auto& e : entries) {
      if (e.name.rfind(prefix, 0) != 0) continue;
      if (!seen.insert(e.name).second) invalidArg("state: duplicate entry '" + e.name + "'");
      auto it = targets.find(e.name);
      if (it == targets.end()) {
        if (strict) invalidArg("state: unexpected entry '" + e.name + "' (the model has no such parameter)");
        continue;
      }
      auto src = fromNamed(e);
      if (src.sizes() != it->second.sizes())
        invalidArg("state: '" + e.name + "' has shape " + c10::str(src.sizes()) + ", the model's is " +
                   c10::str(it->second.sizes()));
      plan.emplace_back(it->second, src);
      loaded.push_back(e.name);
    }
    if (strict) {
      for (auto& [name, t] : targets)
        if (name.rfind(prefix, 0) == 0 && !seen.count(name)) invalidArg("state: missing entry '" + name + "'");
    }
    torch::NoGradGuard ng;
    for (auto& [dst, src] : plan) dst.copy_(src);
    return loaded;
  });
}

std::vector<NamedTensor> Session::getOptimizerState() {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  return guarded([&] {
    auto out = im.optim->exportState();
    out.push_back(toNamed("__step__", torch::tensor(im.steps, torch::kLong).reshape({})));
    return out;
  });
}

void Session::setOptimizerState(const std::vector<NamedTensor>& entries) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  guarded([&] {
    std::vector<NamedTensor> rest;
    int64_t steps = -1;
    for (auto& e : entries) {
      if (e.name == "__step__") steps = fromNamed(e).to(torch::kLong).item<int64_t>();
      else rest.push_back(e);
    }
    im.optim->importState(rest);
    if (steps >= 0) im.steps = steps;
    return 0;
  });
}

int64_t Session::setTrainable(const std::vector<std::string>& patterns, bool trainable) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  return guarded([&] {
    int64_t n = 0;
    for (auto& s : im.optim->slots()) {
      bool match = false;
      for (auto& p : patterns) match = match || globMatch(p, s.name);
      if (!match) continue;
      s.param.requires_grad_(trainable);
      if (!trainable) s.param.mutable_grad() = torch::Tensor();
      ++n;
    }
    if (n == 0) {
      std::string pats;
      for (auto& p : patterns) pats += (pats.empty() ? "" : ", ") + p;
      invalidArg("setTrainable: no parameter matches [" + pats + "]");
    }
    return n;
  });
}

std::vector<ParamInfo> Session::parameters() {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  return guarded([&] {
    std::vector<ParamInfo> out;
    for (auto& s : im.optim->slots()) {
      ParamInfo p;
      p.name = s.name;
      p.shape.assign(s.param.sizes().begin(), s.param.sizes().end());
      p.numel = s.param.numel();
      p.trainable = s.param.requires_grad();
      p.group = im.optim->groups()[s.group].name;
      out.push_back(std::move(p));
    }
    return out;
  });
}

MemoryStats Session::memoryStats() {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  return guarded([&] {
    MemoryStats m;
    m.device = im.device.str();
    for (auto& s : im.optim->slots()) {
      m.parameterBytes += s.param.numel() * static_cast<int64_t>(s.param.element_size());
      if (s.param.grad().defined()) m.gradientBytes += s.param.grad().numel() * static_cast<int64_t>(s.param.grad().element_size());
    }
    m.optimizerStateBytes = im.optim->stateBytes();
#ifdef TRAIN_NATIVE_WITH_CUDA
    if (im.device.is_cuda()) {
      auto st = c10::cuda::CUDACachingAllocator::getDeviceStats(im.device.index());
      m.hasAllocatorStats = true;
      m.allocatedBytes = st.allocated_bytes[0].current;  // [0] = StatType::AGGREGATE
      m.reservedBytes = st.reserved_bytes[0].current;
      m.peakAllocatedBytes = st.allocated_bytes[0].peak;
    }
#endif
    return m;
  });
}

void Session::emptyCache() {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
#ifdef TRAIN_NATIVE_WITH_CUDA
  if (im.device.is_cuda()) guarded([&] { c10::cuda::CUDACachingAllocator::emptyCache(); return 0; });
#else
  (void)im;
#endif
}

// ---- collectives (identity without a process group) ----
std::vector<double> Session::allReduceSum(const std::vector<double>& values) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  return guarded([&] {
    if (!im.dist || values.empty()) return values;
    auto t = torch::tensor(values, torch::TensorOptions().dtype(torch::kDouble)).to(im.device);
    im.dist->allReduceSum(t, "all-reduce");
    t = t.to(torch::kCPU).contiguous();
    return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
  });
}

static torch::Tensor bytesTensor(const std::vector<uint8_t>& b, const torch::Device& dev) {
  auto t = torch::empty({static_cast<int64_t>(b.size())}, torch::kUInt8);
  if (!b.empty()) std::memcpy(t.data_ptr<uint8_t>(), b.data(), b.size());
  return t.to(dev);
}

static std::vector<uint8_t> tensorBytes(const torch::Tensor& t, int64_t n) {
  auto c = t.to(torch::kCPU).contiguous();
  return std::vector<uint8_t>(c.data_ptr<uint8_t>(), c.data_ptr<uint8_t>() + n);
}

std::vector<uint8_t> Session::broadcastBytes(const std::vector<uint8_t>& bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  return guarded([&] {
    if (!im.dist) return bytes;
    // The length first, then the bytes.
    std::vector<torch::Tensor> len{torch::full({1}, static_cast<int64_t>(bytes.size()), torch::TensorOptions().dtype(torch::kLong).device(im.device))};
    im.dist->broadcast(len, "broadcast");
    const int64_t n = len[0].to(torch::kCPU).item<int64_t>();
    std::vector<torch::Tensor> data{im.dist->rank() == 0 ? bytesTensor(bytes, im.device)
                                                          : torch::empty({n}, torch::TensorOptions().dtype(torch::kUInt8).device(im.device))};
    if (n > 0) im.dist->broadcast(data, "broadcast");
    return tensorBytes(data[0], n);
  });
}

std::vector<std::vector<uint8_t>> Session::allGatherBytes(const std::vector<uint8_t>& bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  return guarded([&] {
    if (!im.dist) return std::vector<std::vector<uint8_t>>{bytes};
    // Lengths first; every rank then sends a buffer of the longest length.
    auto lens = im.dist->allGather(torch::full({1}, static_cast<int64_t>(bytes.size()), torch::TensorOptions().dtype(torch::kLong).device(im.device)), "all-gather");
    int64_t longest = 1;
    std::vector<int64_t> n;
    for (auto& l : lens) {
      n.push_back(l.to(torch::kCPU).item<int64_t>());
      longest = std::max(longest, n.back());
    }
    auto mine = torch::zeros({longest}, torch::kUInt8);
    if (!bytes.empty()) std::memcpy(mine.data_ptr<uint8_t>(), bytes.data(), bytes.size());
    auto all = im.dist->allGather(mine.to(im.device), "all-gather");
    std::vector<std::vector<uint8_t>> out;
    for (size_t r = 0; r < all.size(); ++r) out.push_back(tensorBytes(all[r], n[r]));
    return out;
  });
}

void Session::barrier() {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  guarded([&] {
    if (im.dist) im.dist->barrier("barrier");
    return 0;
  });
}

void Session::broadcastState() {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  guarded([&] {
    if (!im.dist) return 0;
    torch::NoGradGuard ng;
    std::vector<torch::Tensor> ts;
    for (auto& kv : im.model->named_parameters(true)) ts.push_back(kv.value().detach());
    for (auto& kv : im.model->named_buffers(true)) ts.push_back(kv.value());
    // c10d broadcasts in place; a non-contiguous tensor goes through a contiguous copy.
    std::vector<torch::Tensor> wire;
    for (auto& t : ts) wire.push_back(t.is_contiguous() ? t : t.contiguous());
    im.dist->broadcast(wire, "parameter broadcast");
    for (size_t i = 0; i < ts.size(); ++i)
      if (!wire[i].is_same(ts[i])) ts[i].copy_(wire[i]);
    return 0;
  });
}

std::vector<uint8_t> Session::getRngState() {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  return guarded([&] {
    std::lock_guard<std::mutex> g(im.ctx.cpuGen.mutex());
    auto st = im.ctx.cpuGen.get_state();
    auto e = toNamed("rng", st);
    return e.data;
  });
}

void Session::setRngState(const std::vector<uint8_t>& state) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  guarded([&] {
    NamedTensor e{"rng", "U8", {static_cast<int64_t>(state.size())}, state};
    auto t = fromNamed(e);
    std::lock_guard<std::mutex> g(im.ctx.cpuGen.mutex());
    im.ctx.cpuGen.set_state(t);
    return 0;
  });
}

}  // namespace tn
