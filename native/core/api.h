// The plain C++ interface of the core (no torch, no napi): options, host batches, results,
// named tensors, errors, and the Session facade (pimpl). The N-API binding only sees this file,
// so its translation units stay cheap to compile and it cannot do tensor maths by accident.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tn {

// Every failure the core reports: `code` becomes the JS Error's `code`.
//   ERR_NATIVE_INVALID_ARG  bad input (shape, dtype, unknown group, non-finite lr, ...)
//   ERR_NATIVE_OOM          device out of memory (message carries suggestions)
//   ERR_NATIVE_DISPOSED     use after dispose()
//   ERR_NATIVE_TORCH        any other c10::Error (message from what_without_backtrace())
//   ERR_NATIVE_DIST         a collective failed: a peer exited or hung (message names the rank)
//   ERR_NATIVE_INTERNAL     anything else
struct NativeError : std::runtime_error {
  std::string code;
  NativeError(std::string c, const std::string& msg) : std::runtime_error(msg), code(std::move(c)) {}
};
[[noreturn]] void invalidArg(const std::string& msg);

struct ModelSpec {
  std::string type = "mlp";            // mlp | transformer | gpt | torchscript
  std::string task = "classification"; // classification | regression (gpt: language modelling)
  int64_t inputDim = 0;                // mlp
  int64_t numClasses = 0;              // classification
  int64_t outputDim = 1;               // regression targets per sample
  std::vector<int64_t> hiddenSizes;    // mlp
  int64_t vocabSize = 0;               // transformer / gpt
  int64_t dModel = 128;
  int64_t numHeads = 4;
  int64_t numLayers = 2;
  int64_t ffDim = 0;                   // 0 = 4 * dModel
  double dropout = 0.0;
  int64_t tokenLimit = 1024;
  int64_t attentionChunkSize = 0;      // 0 = full attention
  bool attentionRecompute = true;      // chunked: recompute chunk probabilities in backward (false: plain
                                       // autograd per chunk, which keeps every chunk's N x chunk probs)
  int64_t metaDim = 0;                 // transformer: metadata floats per sample (0 = none)
  bool maskedTokenHead = true;         // transformer: build the stage-1 masked-token head
  int64_t padTokenId = -1;             // transformer: keys with this id are ignored (-1 = none)
  // torchscript: a module saved by torch.jit.script / trace, trained on its state_dict names.
  std::string scriptPath;
  std::string input = "features";      // torchscript: features | tokens
  std::string loss = "auto";           // torchscript: auto (cross-entropy / MSE by task) | model (forward(x, y) returns the loss)
  std::vector<int64_t> inputShape;     // torchscript features: per-sample shape ([] = flat [inputDim])
};

struct OptimSpec {
  std::string name = "adamw"; // adamw | sgd
  double weightDecay = 0.01;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double momentum = 0.9;
  bool nesterov = false;
};

struct GroupSpec {
  std::string name;
  std::vector<std::string> patterns; // globs over parameter names; first matching group wins
  double weightDecay = 0.0;
};

// Data-parallel training (torchrun's contract): one process per rank, a c10d process group per
// session (TCPStore hosted by rank 0, then gloo or NCCL). Absent = a single process.
struct DistOptions {
  int rank = 0, worldSize = 1, localRank = 0;
  std::string masterAddr = "127.0.0.1";
  int masterPort = 29500;
  std::string backend = "gloo";  // gloo | nccl (TypeScript resolves 'auto')
  double timeoutS = 300;         // rendezvous and every collective
  // Rank 0 hosts the TCPStore, unless a launcher's agent already does (torchrun:
  // TORCHELASTIC_USE_AGENT_STORE); keys go under storePrefix (torchrun's store outlives restarts).
  bool hostStore = true;
  std::string storePrefix = "train-native";
};

struct SessionOptions {
  ModelSpec model;
  OptimSpec optim;
  std::vector<GroupSpec> groups; // parameters matching no group land in group "default"
  std::string device = "cpu";    // cpu | cuda | auto
  std::string precision = "fp32"; // fp32 | bf16 (autocast; weights and optimizer stay fp32)
  uint64_t seed = 42;
  int threads = 0;               // intra-op threads; 0 = LibTorch's choice
  double gradClip = 1.0;         // 0 = off
  bool expandableSegments = false; // CUDA: PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
  bool emptyCacheAfterStep = false;
  bool emptyCacheAfterChunk = false; // CUDA: also after every query chunk of chunked attention
  std::optional<DistOptions> dist;
};

enum class ElemType { F32, I32, I64, U8 };

// A copy of one JS TypedArray, with the shape the binding checked it against.
struct HostArray {
  ElemType type = ElemType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
  int64_t numel() const {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
};

// A split's arrays, uploaded once to the session's device (Session::setData).
struct HostData {
  int64_t count = 0;
  std::optional<HostArray> features; // F32 [count, inputDim]
  std::optional<HostArray> tokens;   // I32|I64 [count, N]
  std::optional<HostArray> labels;   // I32|I64 [count] | F32 [count] or [count, outputDim]
  std::optional<HostArray> meta;     // F32 [count, metaDim]
};

// A batch: either its arrays inline, or `split` + `indices` naming rows of uploaded data plus
// the random decisions the caller made for them (the session gathers and applies them).
struct HostBatch {
  int64_t batchSize = 0;
  std::string split;                      // indexed: the uploaded split ("" = arrays inline)
  std::optional<HostArray> indices;       // indexed: I32 [B] rows of the split
  std::optional<HostArray> mixupMembers;  // I32 [m] batch rows mixed with ...
  std::optional<HostArray> mixupPartners; // I32 [m] ... these batch rows (values read before mixing)
  double mixupLambda = 1.0;
  std::optional<HostArray> tokenMask;     // U8 [B, N]: 1 = replaced by maskTokenId and a target
  int64_t maskTokenId = -1;
  std::optional<HostArray> features; // mlp: F32 [B, inputDim]
  std::optional<HostArray> tokens;   // transformer / gpt: I32|I64 [B, N]
  std::optional<HostArray> labels;   // classification I32|I64 [B]; regression F32 [B] or [B, outputDim]
  std::optional<HostArray> targets;  // token targets I32|I64 [B, N], -100 = ignore (masked tokens, LM)
  std::optional<HostArray> meta;     // transformer: F32 [B, metaDim]
  std::optional<HostArray> metaMask; // transformer: F32 [B, metaDim], 1 = keep, 0 = masked
  std::string objective = "supervised"; // supervised | masked_tokens (transformer)
};

struct StepRequest {
  std::vector<HostBatch> micro;        // 1..A micro-batches; loss of each scaled by 1/A
  std::map<std::string, double> lrs;   // one LR per group name
  bool readLoss = true;                // reading the loss (and grad norm) back syncs the device (CUDA)
  bool haltOnNonFinite = false;        // a non-finite step also masks every later step until clearHalt()
};

struct StepResult {
  std::optional<double> loss;     // mean over micro-batches (present when readLoss)
  std::optional<double> gradNorm; // total L2 norm before clipping (present when readLoss)
  std::optional<bool> nonFinite;  // the grad norm was not finite, so the update was masked (when read)
  bool halted = false;            // the session was halted before this step: nothing changed
  // Distributed: every rank agreed, in this step's gradient all-reduce, that a stop was requested
  // (requestStop on any rank): this step was applied, every later one is skipped (stopSkipped).
  bool stopAgreed = false;
  bool stopSkipped = false;
  int64_t step = 0;               // optimizer steps taken so far
  // Wall-clock split of the call (host clock; on CUDA computeMs covers queued work only unless
  // readLoss synchronised): prepareMs = checks + host->tensor copies, computeMs = the rest.
  double unpackMs = 0;            // set by the binding: TypedArray copies on the JS thread
  double prepareMs = 0, computeMs = 0;
};

struct EvalResult {
  std::string kind;     // classification | regression | tokens
  double loss = 0;      // mean loss over `count`
  double lossSum = 0;   // sum of per-sample (per-token) losses
  int64_t count = 0;    // samples (tokens for LM / masked tokens)
  double correct = 0;   // classification / tokens: correct argmax predictions
  double absErrorSum = 0, sqErrorSum = 0, targetSum = 0, targetSqSum = 0; // regression, over all outputs
  int64_t valueCount = 0; // regression: count * outputDim
  std::vector<int64_t> confusion; // classification, when asked: [C * C], row = true class, column = predicted
};

// predict(): one row per sample, in eval mode without gradients.
struct PredictResult {
  std::string kind;            // classification (softmax probabilities) | regression (values)
  std::vector<int64_t> shape;  // [B, C] | [B, O]
  std::vector<float> values;   // row-major
};

// Sampling for generate(): temperature 0 = greedy; topK 0 and topP 1 = off.
struct SampleOptions {
  double temperature = 1.0;
  int64_t topK = 0;
  double topP = 1.0;
  uint64_t seed = 0;
  int64_t contextLength = 0;  // positions the model attends to (<= tokenLimit; 0 = tokenLimit)
};

struct NamedTensor {
  std::string name;
  std::string dtype; // safetensors dtype string (F32, BF16, I64, U8, ...)
  std::vector<int64_t> shape;
  std::vector<uint8_t> data; // little-endian, row-major
};

struct ParamInfo {
  std::string name;
  std::vector<int64_t> shape;
  int64_t numel = 0;
  bool trainable = true;
  std::string group;
};

struct MemoryStats {
  std::string device;
  int64_t parameterBytes = 0;
  int64_t gradientBytes = 0;
  int64_t optimizerStateBytes = 0;
  bool hasAllocatorStats = false; // CUDA only
  int64_t allocatedBytes = 0, reservedBytes = 0, peakAllocatedBytes = 0;
};

struct BuildInfo {
  std::string torchVersion, torchFoundAt, torchSource, torchLibDir, buildType;
  bool cudaCompiled = false, cudaAvailable = false;
  int cudaDeviceCount = 0;
  std::vector<std::string> deviceNames;
  int intraOpThreads = 0, interOpThreads = 0;
  std::string parallelInfo;
  std::vector<std::string> distBackends;  // compiled-in c10d backends (gloo, nccl); empty = none
};
BuildInfo buildInfo();

struct AttentionCheckOptions {
  int64_t batch = 2, heads = 2, seqLen = 64, headDim = 16, chunkSize = 16;
  bool causal = false;
  int64_t paddedKeys = 0; // the last k keys of sample 0 are padding
  uint64_t seed = 0;
};
struct AttentionCheckResult {
  double outRelErr = 0, dqRelErr = 0, dkRelErr = 0, dvRelErr = 0;
};
// Compares chunked (recomputing) attention with full attention in fp32: values and gradients.
AttentionCheckResult attentionCheck(const AttentionCheckOptions& o);

struct AttentionBenchOptions {
  int64_t batch = 1, heads = 1, seqLen = 0, headDim = 0;
  int64_t chunkSize = 0;   // 0 (or >= seqLen) = full attention
  bool recompute = true;   // chunked: recompute chunk probabilities in backward
  bool causal = false;
  int threads = 0;         // intra-op threads; 0 = LibTorch's choice
  int64_t iters = 1;
  uint64_t seed = 0;
  std::string device = "cpu"; // cpu | cuda | auto
};
struct AttentionBenchResult {
  std::vector<double> forwardMs, backwardMs; // one per iteration
  bool hasPeakBytes = false;                 // CUDA only
  int64_t peakBytes = 0;                     // CUDA allocator peak over the timed iterations
};
// attention() alone (the models' code path), forward then backward(g) on random fp32 q, k, v,
// `iters` times; nothing else runs in the call, so callers can read the process's peak memory.
AttentionBenchResult attentionBench(const AttentionBenchOptions& o);

// One model, its optimizer, RNG and uploaded data. The binding calls every method from the one
// thread the session owns (TaskThread), in the order JS called them; the mutex only guards
// against misuse from elsewhere (native tests).
class Session {
 public:
  // Builds the model (and with opts.dist joins the process group): run it on the session thread.
  // `stopFlag` is set from any thread (requestStop) and read by the next distributed step.
  explicit Session(const SessionOptions& opts, std::shared_ptr<std::atomic<bool>> stopFlag = nullptr);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // All methods throw NativeError.
  void setData(const std::string& split, const HostData& data);
  StepResult step(const StepRequest& req);
  EvalResult evaluate(const HostBatch& batch, bool confusion = false);
  PredictResult predict(const HostBatch& batch);
  // gpt: starts a generation from `prompt` (replacing any in progress), then hands out `count`
  // sampled tokens per call, continuing where the last call stopped.
  void beginGeneration(const std::vector<int64_t>& prompt, const SampleOptions& opts);
  std::vector<int64_t> generate(int64_t count);
  std::vector<NamedTensor> getState(const std::string& prefix);
  // The gradients left by the last step (after clipping), for histograms; frozen parameters have none.
  std::vector<NamedTensor> getGradients(const std::string& prefix);
  // Returns the names that were loaded.
  std::vector<std::string> setState(const std::vector<NamedTensor>& entries, const std::string& prefix, bool strict);
  std::vector<NamedTensor> getOptimizerState();
  void setOptimizerState(const std::vector<NamedTensor>& entries);
  int64_t setTrainable(const std::vector<std::string>& patterns, bool trainable);
  std::vector<ParamInfo> parameters();
  MemoryStats memoryStats();
  void emptyCache();
  // torchscript: writes the module with the current weights (torch.jit.load reads it).
  void exportTorchScript(const std::string& path);
  std::vector<uint8_t> getRngState();
  void setRngState(const std::vector<uint8_t>& state);
  void clearHalt();
  // Collectives over the session's process group (identity without one), in the order every rank
  // calls them; a failed peer becomes ERR_NATIVE_DIST naming the rank.
  std::vector<double> allReduceSum(const std::vector<double>& values);
  std::vector<uint8_t> broadcastBytes(const std::vector<uint8_t>& bytes);  // rank 0's bytes to all
  std::vector<std::vector<uint8_t>> allGatherBytes(const std::vector<uint8_t>& bytes);
  void barrier();
  void broadcastState();  // parameters and buffers from rank 0
  std::string device();
  void dispose(); // frees every tensor (model, optimizer, data)
  bool disposed();

  struct Impl;

 private:
  std::mutex mu_;
  std::unique_ptr<Impl> impl_;
  Impl& live(); // throws ERR_NATIVE_DISPOSED
};

}  // namespace tn
