// JS values <-> plain core structs: the options bag, batches (TypedArrays copied once into host
// buffers, no per-sample JS work), named-tensor entries (Buffers), and result objects (copies).
#include <cmath>
#include <cstring>

#include "binding/binding.h"

namespace tnb {
namespace {

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw tn::NativeError("ERR_NATIVE_INVALID_ARG", path + " " + what);
}

Napi::Object asObject(const Napi::Value& v, const std::string& path) {
  if (!v.IsObject() || v.IsArray()) bad(path, "must be an object");
  return v.As<Napi::Object>();
}

bool has(const Napi::Object& o, const char* k) {
  if (!o.Has(k)) return false;
  auto v = o.Get(k);
  return !v.IsUndefined() && !v.IsNull();
}

double num(const Napi::Object& o, const char* k, double def, const std::string& path) {
  if (!has(o, k)) return def;
  auto v = o.Get(k);
  if (!v.IsNumber()) bad(path + "." + k, "must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) bad(path + "." + k, "must be finite");
  return d;
}

int64_t integer(const Napi::Object& o, const char* k, int64_t def, const std::string& path) {
  double d = num(o, k, static_cast<double>(def), path);
  if (std::floor(d) != d || std::fabs(d) > 9007199254740991.0) bad(path + "." + k, "must be an integer");
  return static_cast<int64_t>(d);
}

std::string str(const Napi::Object& o, const char* k, const std::string& def, const std::string& path) {
  if (!has(o, k)) return def;
  auto v = o.Get(k);
  if (!v.IsString()) bad(path + "." + k, "must be a string");
  return v.As<Napi::String>().Utf8Value();
}

bool boolean(const Napi::Object& o, const char* k, bool def, const std::string& path) {
  if (!has(o, k)) return def;
  auto v = o.Get(k);
  if (!v.IsBoolean()) bad(path + "." + k, "must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

// An optional array of integers (each >= min); absent = empty.
std::vector<int64_t> integers(const Napi::Object& o, const char* k, const std::string& path, int64_t min) {
  std::vector<int64_t> out;
  if (!has(o, k)) return out;
  auto arr = o.Get(k);
  if (!arr.IsArray()) bad(path + "." + k, "must be an array of integers");
  auto a = arr.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    auto e = a.Get(i);
    if (!e.IsNumber() || e.As<Napi::Number>().Int64Value() < min)
      bad(path + "." + k + "[" + std::to_string(i) + "]", min > INT64_MIN ? "must be an integer >= " + std::to_string(min) : "must be an integer");
    out.push_back(e.As<Napi::Number>().Int64Value());
  }
  return out;
}

// One copy of a TypedArray into a host buffer; `cols` < 0: 1-D, else [B, numel / B].
tn::HostArray typed(const Napi::Value& v, const std::string& path, int64_t batch, bool twoD) {
  if (!v.IsTypedArray()) bad(path, "must be a TypedArray (Float32Array, Int32Array, BigInt64Array or Uint8Array)");
  auto ta = v.As<Napi::TypedArray>();
  tn::HostArray a;
  switch (ta.TypedArrayType()) {
    case napi_float32_array: a.type = tn::ElemType::F32; break;
    case napi_int32_array: a.type = tn::ElemType::I32; break;
    case napi_bigint64_array: a.type = tn::ElemType::I64; break;
    case napi_uint8_array: a.type = tn::ElemType::U8; break;
    default: bad(path, "must be a Float32Array, Int32Array, BigInt64Array or Uint8Array");
  }
  const int64_t len = static_cast<int64_t>(ta.ElementLength());
  if (twoD) {
    if (len == 0 || len % batch != 0)
      bad(path, "has " + std::to_string(len) + " values, not a positive multiple of batchSize " + std::to_string(batch));
    a.shape = {batch, len / batch};
  } else {
    a.shape = {len};
  }
  a.bytes.resize(ta.ByteLength());
  if (ta.ByteLength()) {
    auto* src = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    std::memcpy(a.bytes.data(), src, ta.ByteLength());
  }
  return a;
}

}  // namespace

std::vector<std::string> unpackStringArray(const Napi::Value& v, const std::string& path) {
  if (!v.IsArray()) bad(path, "must be an array of strings");
  auto arr = v.As<Napi::Array>();
  std::vector<std::string> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    auto e = arr.Get(i);
    if (!e.IsString()) bad(path + "[" + std::to_string(i) + "]", "must be a string");
    out.push_back(e.As<Napi::String>().Utf8Value());
  }
  return out;
}

tn::SessionOptions unpackOptions(const Napi::Value& v) {
  tn::SessionOptions o;
  auto root = asObject(v, "options");
  if (!has(root, "model")) bad("options.model", "is required");
  auto m = asObject(root.Get("model"), "options.model");
  const std::string mp = "options.model";
  auto& s = o.model;
  s.type = str(m, "type", s.type, mp);
  s.task = str(m, "task", s.task, mp);
  s.inputDim = integer(m, "inputDim", 0, mp);
  s.numClasses = integer(m, "numClasses", 0, mp);
  s.outputDim = integer(m, "outputDim", 1, mp);
  s.hiddenSizes = integers(m, "hiddenSizes", mp, INT64_MIN);
  s.vocabSize = integer(m, "vocabSize", 0, mp);
  s.dModel = integer(m, "dModel", s.dModel, mp);
  s.numHeads = integer(m, "numHeads", s.numHeads, mp);
  s.numLayers = integer(m, "numLayers", s.numLayers, mp);
  s.ffDim = integer(m, "ffDim", 0, mp);
  s.dropout = num(m, "dropout", 0.0, mp);
  s.tokenLimit = integer(m, "tokenLimit", s.tokenLimit, mp);
  s.attentionChunkSize = integer(m, "attentionChunkSize", 0, mp);
  s.attentionRecompute = boolean(m, "attentionRecompute", true, mp);
  s.metaDim = integer(m, "metaDim", 0, mp);
  s.maskedTokenHead = boolean(m, "maskedTokenHead", true, mp);
  s.padTokenId = integer(m, "padTokenId", -1, mp);
  s.scriptPath = str(m, "scriptPath", "", mp);
  s.input = str(m, "input", s.input, mp);
  s.loss = str(m, "loss", s.loss, mp);
  s.inputShape = integers(m, "inputShape", mp, 1);

  if (has(root, "optimizer")) {
    auto op = asObject(root.Get("optimizer"), "options.optimizer");
    const std::string p = "options.optimizer";
    o.optim.name = str(op, "name", o.optim.name, p);
    o.optim.weightDecay = num(op, "weightDecay", o.optim.weightDecay, p);
    o.optim.eps = num(op, "eps", o.optim.eps, p);
    o.optim.momentum = num(op, "momentum", o.optim.momentum, p);
    o.optim.nesterov = boolean(op, "nesterov", o.optim.nesterov, p);
    if (has(op, "betas")) {
      auto b = op.Get("betas");
      if (!b.IsArray() || b.As<Napi::Array>().Length() != 2) bad(p + ".betas", "must be [beta1, beta2]");
      auto ba = b.As<Napi::Array>();
      if (!ba.Get(0u).IsNumber() || !ba.Get(1u).IsNumber()) bad(p + ".betas", "must hold two numbers");
      o.optim.beta1 = ba.Get(0u).As<Napi::Number>().DoubleValue();
      o.optim.beta2 = ba.Get(1u).As<Napi::Number>().DoubleValue();
    }
  }
  if (has(root, "groups")) {
    auto g = root.Get("groups");
    if (!g.IsArray()) bad("options.groups", "must be an array");
    auto ga = g.As<Napi::Array>();
    for (uint32_t i = 0; i < ga.Length(); ++i) {
      const std::string p = "options.groups[" + std::to_string(i) + "]";
      auto go = asObject(ga.Get(i), p);
      tn::GroupSpec gs;
      gs.name = str(go, "name", "", p);
      if (gs.name.empty()) bad(p + ".name", "is required");
      if (!has(go, "patterns")) bad(p + ".patterns", "is required");
      gs.patterns = unpackStringArray(go.Get("patterns"), p + ".patterns");
      gs.weightDecay = num(go, "weightDecay", o.optim.weightDecay, p);
      o.groups.push_back(std::move(gs));
    }
  }
  o.device = str(root, "device", o.device, "options");
  o.precision = str(root, "precision", o.precision, "options");
  const int64_t seed = integer(root, "seed", 42, "options");
  if (seed < 0) bad("options.seed", "must be >= 0");
  o.seed = static_cast<uint64_t>(seed);
  o.threads = static_cast<int>(integer(root, "threads", 0, "options"));
  o.gradClip = num(root, "gradClip", o.gradClip, "options");
  o.expandableSegments = boolean(root, "expandableSegments", false, "options");
  o.emptyCacheAfterStep = boolean(root, "emptyCacheAfterStep", false, "options");
  o.emptyCacheAfterChunk = boolean(root, "emptyCacheAfterChunk", false, "options");
  if (has(root, "dist") && !root.Get("dist").IsNull()) {
    auto d = asObject(root.Get("dist"), "options.dist");
    const std::string p = "options.dist";
    tn::DistOptions dist;
    dist.rank = static_cast<int>(integer(d, "rank", 0, p));
    dist.worldSize = static_cast<int>(integer(d, "worldSize", 1, p));
    dist.localRank = static_cast<int>(integer(d, "localRank", 0, p));
    dist.masterAddr = str(d, "masterAddr", dist.masterAddr, p);
    dist.masterPort = static_cast<int>(integer(d, "masterPort", dist.masterPort, p));
    dist.backend = str(d, "backend", dist.backend, p);
    dist.timeoutS = num(d, "timeoutS", dist.timeoutS, p);
    dist.hostStore = boolean(d, "hostStore", dist.hostStore, p);
    dist.storePrefix = str(d, "storePrefix", dist.storePrefix, p);
    o.dist = dist;
  }
  return o;
}

tn::HostData unpackData(const Napi::Value& v, const std::string& path) {
  auto o = asObject(v, path);
  tn::HostData d;
  d.count = integer(o, "count", 0, path);
  if (d.count < 1) bad(path + ".count", "must be an integer >= 1");
  if (has(o, "features")) d.features = typed(o.Get("features"), path + ".features", d.count, true);
  if (has(o, "tokens")) d.tokens = typed(o.Get("tokens"), path + ".tokens", d.count, true);
  if (has(o, "labels")) d.labels = typed(o.Get("labels"), path + ".labels", d.count, false);
  if (has(o, "meta")) d.meta = typed(o.Get("meta"), path + ".meta", d.count, true);
  return d;
}

// Rows of uploaded data: {split, indices, objective, mixup, metaMask, tokenMask, maskTokenId}.
static tn::HostBatch unpackIndexed(const Napi::Object& o, const std::string& path) {
  tn::HostBatch b;
  b.split = str(o, "split", "", path);
  if (b.split.empty()) bad(path + ".split", "must be a non-empty string");
  if (!has(o, "indices")) bad(path + ".indices", "is required (Int32Array of row numbers)");
  b.indices = typed(o.Get("indices"), path + ".indices", 1, false);
  b.batchSize = b.indices->numel();
  if (b.batchSize < 1) bad(path + ".indices", "must hold at least one row");
  b.objective = str(o, "objective", "supervised", path);
  if (has(o, "mixup")) {
    auto m = asObject(o.Get("mixup"), path + ".mixup");
    if (!has(m, "members") || !has(m, "partners")) bad(path + ".mixup", "needs members and partners (Int32Array)");
    b.mixupMembers = typed(m.Get("members"), path + ".mixup.members", 1, false);
    b.mixupPartners = typed(m.Get("partners"), path + ".mixup.partners", 1, false);
    if (!has(m, "lambda")) bad(path + ".mixup.lambda", "is required");
    b.mixupLambda = num(m, "lambda", 1.0, path + ".mixup");
  }
  if (has(o, "metaMask")) b.metaMask = typed(o.Get("metaMask"), path + ".metaMask", b.batchSize, true);
  if (has(o, "tokenMask")) b.tokenMask = typed(o.Get("tokenMask"), path + ".tokenMask", b.batchSize, true);
  b.maskTokenId = integer(o, "maskTokenId", -1, path);
  return b;
}

tn::HostBatch unpackBatch(const Napi::Value& v, const std::string& path) {
  auto o = asObject(v, path);
  if (has(o, "split")) return unpackIndexed(o, path);
  tn::HostBatch b;
  b.batchSize = integer(o, "batchSize", 0, path);
  if (b.batchSize < 1) bad(path + ".batchSize", "must be an integer >= 1");
  b.objective = str(o, "objective", "supervised", path);
  if (has(o, "features")) b.features = typed(o.Get("features"), path + ".features", b.batchSize, true);
  if (has(o, "tokens")) b.tokens = typed(o.Get("tokens"), path + ".tokens", b.batchSize, true);
  if (has(o, "labels")) b.labels = typed(o.Get("labels"), path + ".labels", b.batchSize, false);
  if (has(o, "targets")) b.targets = typed(o.Get("targets"), path + ".targets", b.batchSize, true);
  if (has(o, "meta")) b.meta = typed(o.Get("meta"), path + ".meta", b.batchSize, true);
  if (has(o, "metaMask")) b.metaMask = typed(o.Get("metaMask"), path + ".metaMask", b.batchSize, true);
  return b;
}

std::vector<tn::NamedTensor> unpackEntries(const Napi::Value& v, const std::string& path) {
  if (!v.IsArray()) bad(path, "must be an array of {name, dtype, shape, data}");
  auto arr = v.As<Napi::Array>();
  std::vector<tn::NamedTensor> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    auto o = asObject(arr.Get(i), p);
    tn::NamedTensor e;
    e.name = str(o, "name", "", p);
    if (e.name.empty()) bad(p + ".name", "is required");
    e.dtype = str(o, "dtype", "", p);
    if (!has(o, "shape") || !o.Get("shape").IsArray()) bad(p + ".shape", "must be an array of integers");
    auto sh = o.Get("shape").As<Napi::Array>();
    for (uint32_t j = 0; j < sh.Length(); ++j) {
      auto d = sh.Get(j);
      if (!d.IsNumber()) bad(p + ".shape", "must be an array of integers");
      e.shape.push_back(d.As<Napi::Number>().Int64Value());
    }
    auto data = o.Get("data");
    if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      bad(p + ".data", "must be a Buffer or Uint8Array");
    auto u8 = data.As<Napi::Uint8Array>();
    e.data.assign(u8.Data(), u8.Data() + u8.ByteLength());
    out.push_back(std::move(e));
  }
  return out;
}

tn::AttentionCheckOptions unpackAttentionCheck(const Napi::Value& v) {
  tn::AttentionCheckOptions a;
  if (v.IsUndefined()) return a;
  auto o = asObject(v, "options");
  a.batch = integer(o, "batch", a.batch, "options");
  a.heads = integer(o, "heads", a.heads, "options");
  a.seqLen = integer(o, "seqLen", a.seqLen, "options");
  a.headDim = integer(o, "headDim", a.headDim, "options");
  a.chunkSize = integer(o, "chunkSize", a.chunkSize, "options");
  a.causal = boolean(o, "causal", false, "options");
  a.paddedKeys = integer(o, "paddedKeys", 0, "options");
  a.seed = static_cast<uint64_t>(integer(o, "seed", 0, "options"));
  return a;
}

tn::AttentionBenchOptions unpackAttentionBench(const Napi::Value& v) {
  tn::AttentionBenchOptions a;
  auto o = asObject(v, "options");
  for (const char* k : {"batch", "heads", "seqLen", "headDim", "chunkSize"})
    if (!has(o, k)) bad(std::string("options.") + k, "is required");
  a.batch = integer(o, "batch", a.batch, "options");
  a.heads = integer(o, "heads", a.heads, "options");
  a.seqLen = integer(o, "seqLen", a.seqLen, "options");
  a.headDim = integer(o, "headDim", a.headDim, "options");
  a.chunkSize = integer(o, "chunkSize", a.chunkSize, "options");
  a.recompute = boolean(o, "recompute", true, "options");
  a.causal = boolean(o, "causal", false, "options");
  int64_t threads = integer(o, "threads", 0, "options");
  if (threads < 0 || threads > 4096) bad("options.threads", "must be in [0, 4096]");
  a.threads = static_cast<int>(threads);
  a.iters = integer(o, "iters", 1, "options");
  int64_t seed = integer(o, "seed", 0, "options");
  if (seed < 0) bad("options.seed", "must be >= 0");
  a.seed = static_cast<uint64_t>(seed);
  a.device = str(o, "device", "cpu", "options");
  return a;
}

tn::SampleOptions unpackSampleOptions(const Napi::Value& v) {
  tn::SampleOptions a;
  if (v.IsUndefined() || v.IsNull()) return a;
  auto o = asObject(v, "options");
  a.temperature = num(o, "temperature", a.temperature, "options");
  a.topK = integer(o, "topK", a.topK, "options");
  a.topP = num(o, "topP", a.topP, "options");
  int64_t seed = integer(o, "seed", 0, "options");
  if (seed < 0) bad("options.seed", "must be >= 0");
  a.seed = static_cast<uint64_t>(seed);
  a.contextLength = integer(o, "contextLength", 0, "options");
  return a;
}

std::vector<int64_t> unpackTokenList(const Napi::Value& v, const std::string& path) {
  auto a = typed(v, path, 1, false);
  std::vector<int64_t> out(static_cast<size_t>(a.numel()));
  if (a.type == tn::ElemType::I32) {
    const auto* p = reinterpret_cast<const int32_t*>(a.bytes.data());
    for (size_t i = 0; i < out.size(); ++i) out[i] = p[i];
  } else if (a.type == tn::ElemType::I64) {
    std::memcpy(out.data(), a.bytes.data(), a.bytes.size());
  } else {
    bad(path, "must be an Int32Array or BigInt64Array");
  }
  return out;
}

// ---- packing ----
static Napi::Value optNum(Napi::Env env, const std::optional<double>& d) {
  return d ? Napi::Number::New(env, *d) : env.Null();
}

static Napi::Array shapeArray(Napi::Env env, const std::vector<int64_t>& shape) {
  auto a = Napi::Array::New(env, shape.size());
  for (uint32_t i = 0; i < shape.size(); ++i) a.Set(i, Napi::Number::New(env, static_cast<double>(shape[i])));
  return a;
}

Napi::Value packStep(Napi::Env env, const tn::StepResult& r) {
  auto o = Napi::Object::New(env);
  o.Set("loss", optNum(env, r.loss));
  o.Set("gradNorm", optNum(env, r.gradNorm));
  o.Set("nonFinite", r.nonFinite ? Napi::Value(Napi::Boolean::New(env, *r.nonFinite)) : env.Null());
  o.Set("halted", Napi::Boolean::New(env, r.halted));
  o.Set("stopAgreed", Napi::Boolean::New(env, r.stopAgreed));
  o.Set("stopSkipped", Napi::Boolean::New(env, r.stopSkipped));
  o.Set("step", Napi::Number::New(env, static_cast<double>(r.step)));
  auto t = Napi::Object::New(env);
  t.Set("unpackMs", r.unpackMs);
  t.Set("prepareMs", r.prepareMs);
  t.Set("computeMs", r.computeMs);
  o.Set("timing", t);
  return o;
}

Napi::Value packEval(Napi::Env env, const tn::EvalResult& r) {
  auto o = Napi::Object::New(env);
  o.Set("kind", r.kind);
  o.Set("loss", r.loss);
  o.Set("lossSum", r.lossSum);
  o.Set("count", Napi::Number::New(env, static_cast<double>(r.count)));
  if (r.kind != "regression") o.Set("correct", r.correct);
  if (r.kind == "regression") {
    o.Set("absErrorSum", r.absErrorSum);
    o.Set("sqErrorSum", r.sqErrorSum);
    o.Set("targetSum", r.targetSum);
    o.Set("targetSqSum", r.targetSqSum);
    o.Set("valueCount", Napi::Number::New(env, static_cast<double>(r.valueCount)));
  }
  if (!r.confusion.empty()) {
    auto c = Napi::Float64Array::New(env, r.confusion.size());
    for (size_t i = 0; i < r.confusion.size(); ++i) c[i] = static_cast<double>(r.confusion[i]);
    o.Set("confusion", c);
  }
  return o;
}

Napi::Value packPredict(Napi::Env env, const tn::PredictResult& r) {
  auto o = Napi::Object::New(env);
  o.Set("kind", r.kind);
  o.Set("shape", shapeArray(env, r.shape));
  auto values = Napi::Float32Array::New(env, r.values.size());
  if (!r.values.empty()) std::memcpy(values.Data(), r.values.data(), r.values.size() * sizeof(float));
  o.Set("values", values);
  return o;
}

Napi::Value packTokens(Napi::Env env, const std::vector<int64_t>& tokens) {
  auto a = Napi::Int32Array::New(env, tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) a[i] = static_cast<int32_t>(tokens[i]);
  return a;
}

Napi::Value packEntries(Napi::Env env, const std::vector<tn::NamedTensor>& entries) {
  auto a = Napi::Array::New(env, entries.size());
  for (uint32_t i = 0; i < entries.size(); ++i) {
    auto& e = entries[i];
    auto o = Napi::Object::New(env);
    o.Set("name", e.name);
    o.Set("dtype", e.dtype);
    o.Set("shape", shapeArray(env, e.shape));
    o.Set("data", Napi::Buffer<uint8_t>::Copy(env, e.data.data(), e.data.size()));
    a.Set(i, o);
  }
  return a;
}

Napi::Value packParams(Napi::Env env, const std::vector<tn::ParamInfo>& ps) {
  auto a = Napi::Array::New(env, ps.size());
  for (uint32_t i = 0; i < ps.size(); ++i) {
    auto o = Napi::Object::New(env);
    o.Set("name", ps[i].name);
    o.Set("shape", shapeArray(env, ps[i].shape));
    o.Set("numel", Napi::Number::New(env, static_cast<double>(ps[i].numel)));
    o.Set("trainable", ps[i].trainable);
    o.Set("group", ps[i].group);
    a.Set(i, o);
  }
  return a;
}

Napi::Value packMemory(Napi::Env env, const tn::MemoryStats& m) {
  auto o = Napi::Object::New(env);
  auto n = [&](int64_t v) { return Napi::Number::New(env, static_cast<double>(v)); };
  o.Set("device", m.device);
  o.Set("parameterBytes", n(m.parameterBytes));
  o.Set("gradientBytes", n(m.gradientBytes));
  o.Set("optimizerStateBytes", n(m.optimizerStateBytes));
  o.Set("allocatedBytes", m.hasAllocatorStats ? n(m.allocatedBytes) : env.Null());
  o.Set("reservedBytes", m.hasAllocatorStats ? n(m.reservedBytes) : env.Null());
  o.Set("peakAllocatedBytes", m.hasAllocatorStats ? n(m.peakAllocatedBytes) : env.Null());
  return o;
}

Napi::Value packBuildInfo(Napi::Env env, const tn::BuildInfo& b) {
  auto o = Napi::Object::New(env);
  o.Set("torchVersion", b.torchVersion);
  o.Set("torchFoundAt", b.torchFoundAt);
  o.Set("torchSource", b.torchSource);
  o.Set("torchLibDir", b.torchLibDir);
  o.Set("buildType", b.buildType);
  o.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  o.Set("cudaCompiled", b.cudaCompiled);
  o.Set("cudaAvailable", b.cudaAvailable);
  o.Set("cudaDeviceCount", b.cudaDeviceCount);
  auto names = Napi::Array::New(env, b.deviceNames.size());
  for (uint32_t i = 0; i < b.deviceNames.size(); ++i) names.Set(i, b.deviceNames[i]);
  o.Set("deviceNames", names);
  o.Set("intraOpThreads", b.intraOpThreads);
  o.Set("interOpThreads", b.interOpThreads);
  o.Set("parallelInfo", b.parallelInfo);
  auto backends = Napi::Array::New(env, b.distBackends.size());
  for (uint32_t i = 0; i < b.distBackends.size(); ++i) backends.Set(i, b.distBackends[i]);
  o.Set("distBackends", backends);
  return o;
}

Napi::Value packAttentionCheck(Napi::Env env, const tn::AttentionCheckResult& r) {
  auto o = Napi::Object::New(env);
  o.Set("outRelErr", r.outRelErr);
  o.Set("dqRelErr", r.dqRelErr);
  o.Set("dkRelErr", r.dkRelErr);
  o.Set("dvRelErr", r.dvRelErr);
  return o;
}

Napi::Value packAttentionBench(Napi::Env env, const tn::AttentionBenchResult& r) {
  auto o = Napi::Object::New(env);
  auto arr = [&](const std::vector<double>& xs) {
    auto a = Napi::Array::New(env, xs.size());
    for (uint32_t i = 0; i < xs.size(); ++i) a.Set(i, Napi::Number::New(env, xs[i]));
    return a;
  };
  o.Set("forwardMs", arr(r.forwardMs));
  o.Set("backwardMs", arr(r.backwardMs));
  o.Set("peakBytes", r.hasPeakBytes ? Napi::Value(Napi::Number::New(env, static_cast<double>(r.peakBytes))) : env.Null());
  return o;
}

}  // namespace tnb
