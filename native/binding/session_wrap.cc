// NativeSession: the ObjectWrap over tn::Session. Arguments are unpacked into plain structs on
// the JS thread (copies, so JS memory is never read from another thread, trap 6); every torch
// call — building the model included — runs on the session's own thread, in call order, and its
// promise is settled on the JS thread with copied results.
#include <algorithm>
#include <chrono>
#include <mutex>

#include "binding/binding.h"

namespace tnb {

namespace {

struct Registry {
  std::mutex mu;
  std::vector<std::weak_ptr<SessionHost>> hosts;
  void add(const std::shared_ptr<SessionHost>& h) {
    std::lock_guard<std::mutex> lock(mu);
    hosts.erase(std::remove_if(hosts.begin(), hosts.end(), [](auto& w) { return w.expired(); }), hosts.end());
    hosts.push_back(h);
  }
  // Teardown: free every session on its thread after its queued work, then wait for the threads.
  void disposeAll() {
    std::vector<std::weak_ptr<SessionHost>> hs;
    {
      std::lock_guard<std::mutex> lock(mu);
      hs.swap(hosts);
    }
    for (auto& w : hs) {
      if (auto h = w.lock()) {
        h->thread->post([h] { h->session.reset(); });
        h->thread->join();
      }
    }
  }
};

const char* kDisposed = "this session has been disposed";

Napi::Value rejected(Napi::Env env, const std::string& code, const std::string& message) {
  auto d = Napi::Promise::Deferred::New(env);
  d.Reject(makeError(env, code, message).Value());
  return d.Promise();
}

// Argument errors of async methods reject the Promise instead of throwing synchronously.
Napi::Value rejectOrRun(Napi::Env env, const std::function<Napi::Value()>& f) {
  try {
    return callSync(env, f);
  } catch (const Napi::Error& e) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(e.Value());
    return d.Promise();
  }
}

std::string prefixArg(const Napi::CallbackInfo& info) { return info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : ""; }

}  // namespace

tn::Session& SessionHost::need() {
  if (session) return *session;
  if (!initCode.empty()) throw tn::NativeError(initCode, initMessage);
  throw tn::NativeError("ERR_NATIVE_DISPOSED", kDisposed);
}

void RegisterCleanup(Napi::Env env) {
  auto* reg = new Registry();
  env.SetInstanceData<Registry>(reg);  // deleted by node-addon-api at teardown
  env.AddCleanupHook([reg] {
    reg->disposeAll();
    joinOwnThreads();
  });
}

Napi::Function NativeSession::Define(Napi::Env env) {
  return DefineClass(env, "NativeSession",
                     {
                         InstanceMethod<&NativeSession::Ready>("ready"),
                         InstanceMethod<&NativeSession::SetData>("setData"),
                         InstanceMethod<&NativeSession::Step>("step"),
                         InstanceMethod<&NativeSession::Evaluate>("evaluate"),
                         InstanceMethod<&NativeSession::Predict>("predict"),
                         InstanceMethod<&NativeSession::BeginGeneration>("beginGeneration"),
                         InstanceMethod<&NativeSession::Generate>("generate"),
                         InstanceMethod<&NativeSession::ExportTorchScript>("exportTorchScript"),
                         InstanceMethod<&NativeSession::GetState>("getState"),
                         InstanceMethod<&NativeSession::GetGradients>("getGradients"),
                         InstanceMethod<&NativeSession::SetState>("setState"),
                         InstanceMethod<&NativeSession::GetOptimizerState>("getOptimizerState"),
                         InstanceMethod<&NativeSession::SetOptimizerState>("setOptimizerState"),
                         InstanceMethod<&NativeSession::SetTrainable>("setTrainable"),
                         InstanceMethod<&NativeSession::Parameters>("parameters"),
                         InstanceMethod<&NativeSession::MemoryStats>("memoryStats"),
                         InstanceMethod<&NativeSession::EmptyCache>("emptyCache"),
                         InstanceMethod<&NativeSession::GetRngState>("getRngState"),
                         InstanceMethod<&NativeSession::SetRngState>("setRngState"),
                         InstanceMethod<&NativeSession::ClearHalt>("clearHalt"),
                         InstanceMethod<&NativeSession::AllReduce>("allReduce"),
                         InstanceMethod<&NativeSession::BroadcastBytes>("broadcastBytes"),
                         InstanceMethod<&NativeSession::AllGatherBytes>("allGatherBytes"),
                         InstanceMethod<&NativeSession::Barrier>("barrier"),
                         InstanceMethod<&NativeSession::BroadcastState>("broadcastState"),
                         InstanceMethod<&NativeSession::RequestStop>("requestStop"),
                         InstanceMethod<&NativeSession::Dispose>("dispose"),
                         InstanceMethod<&NativeSession::Disposed>("isDisposed"),
                     });
}

NativeSession::NativeSession(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeSession>(info) {
  Napi::Env env = info.Env();
  callSync(env, [&]() -> Napi::Value {
    auto opts = unpackOptions(info[0]);
    host_ = std::make_shared<SessionHost>();
    host_->thread = std::make_unique<PromiseThread>(env, "train-native-session");
    if (auto* reg = env.GetInstanceData<Registry>()) reg->add(host_);
    // The model is built on the session thread: the constructor returns at once and ready()
    // (queued behind this) reports the outcome.
    auto h = host_;
    h->thread->post([h, opts] {
      try {
        h->session = std::make_shared<tn::Session>(opts, h->stopFlag);
      } catch (const tn::NativeError& e) {
        h->initCode = e.code;
        h->initMessage = e.what();
      } catch (const std::exception& e) {
        h->initCode = "ERR_NATIVE_INTERNAL";
        h->initMessage = e.what();
      }
    });
    return env.Undefined();
  });
}

NativeSession::~NativeSession() {
  if (!host_) return;
  // Collected without dispose(): free the session on its thread, after its queued work, and let a
  // detached reaper wait for the thread so the GC never blocks on a running step.
  auto h = std::move(host_);
  h->thread->post([h] { h->session.reset(); });
  h->thread->finish();
  std::thread([h]() mutable {
    h->thread->join();
    h.reset();
  }).detach();
}

Napi::Value NativeSession::enqueue(Napi::Env env, std::function<void(tn::Session&)> exec, std::function<Napi::Value(Napi::Env)> done) {
  if (!host_ || host_->disposed) return rejected(env, "ERR_NATIVE_DISPOSED", kDisposed);
  auto h = host_;
  return host_->thread->submit(env, [h, exec = std::move(exec)] { exec(h->need()); }, std::move(done));
}

static Napi::Value undef(Napi::Env e) { return e.Undefined(); }

Napi::Value NativeSession::Ready(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto device = std::make_shared<std::string>();
  return enqueue(env, [device](tn::Session& s) { *device = s.device(); },
                 [device](Napi::Env e) -> Napi::Value {
                   auto o = Napi::Object::New(e);
                   o.Set("device", *device);
                   return o;
                 });
}

Napi::Value NativeSession::SetData(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    if (!info[0].IsString()) throw makeError(env, "ERR_NATIVE_INVALID_ARG", "setData(split, data): split must be a string");
    auto split = info[0].As<Napi::String>().Utf8Value();
    auto data = std::make_shared<tn::HostData>(unpackData(info[1], "data"));
    return enqueue(env, [split, data](tn::Session& s) { s.setData(split, *data); }, undef);
  });
}

Napi::Value NativeSession::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    const auto t0 = std::chrono::steady_clock::now();
    auto req = std::make_shared<tn::StepRequest>();
    if (info[0].IsArray()) {
      auto arr = info[0].As<Napi::Array>();
      for (uint32_t i = 0; i < arr.Length(); ++i) req->micro.push_back(unpackBatch(arr.Get(i), "batches[" + std::to_string(i) + "]"));
    } else {
      req->micro.push_back(unpackBatch(info[0], "batch"));
    }
    if (!info[1].IsObject()) throw makeError(env, "ERR_NATIVE_INVALID_ARG", "step options must be an object {lrs, readLoss, onNonFinite}");
    auto o = info[1].As<Napi::Object>();
    auto lrs = o.Get("lrs");
    if (!lrs.IsObject()) throw makeError(env, "ERR_NATIVE_INVALID_ARG", "step options.lrs must be an object {group: lr}");
    auto lo = lrs.As<Napi::Object>();
    auto keys = lo.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      auto k = keys.Get(i).As<Napi::String>().Utf8Value();
      auto v = lo.Get(k);
      if (!v.IsNumber()) throw makeError(env, "ERR_NATIVE_INVALID_ARG", "lrs['" + k + "'] must be a number");
      req->lrs[k] = v.As<Napi::Number>().DoubleValue();
    }
    auto rl = o.Get("readLoss");
    req->readLoss = rl.IsUndefined() ? true : rl.ToBoolean().Value();
    auto nf = o.Get("onNonFinite");
    if (!nf.IsUndefined()) {
      const std::string mode = nf.IsString() ? nf.As<Napi::String>().Utf8Value() : "";
      if (mode != "skip" && mode != "halt") throw makeError(env, "ERR_NATIVE_INVALID_ARG", "step options.onNonFinite must be 'skip' or 'halt'");
      req->haltOnNonFinite = mode == "halt";
    }
    const double unpackMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    auto res = std::make_shared<tn::StepResult>();
    return enqueue(env, [req, res, unpackMs](tn::Session& s) {
                     *res = s.step(*req);
                     res->unpackMs = unpackMs;
                   },
                   [res](Napi::Env e) { return packStep(e, *res); });
  });
}

Napi::Value NativeSession::Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto batch = std::make_shared<tn::HostBatch>(unpackBatch(info[0], "batch"));
    bool confusion = false;
    if (info[1].IsObject()) {
      auto c = info[1].As<Napi::Object>().Get("confusion");
      if (!c.IsUndefined() && !c.IsBoolean()) throw makeError(env, "ERR_NATIVE_INVALID_ARG", "evaluate options.confusion must be a boolean");
      confusion = c.IsBoolean() && c.As<Napi::Boolean>().Value();
    }
    auto res = std::make_shared<tn::EvalResult>();
    return enqueue(env, [batch, res, confusion](tn::Session& s) { *res = s.evaluate(*batch, confusion); },
                   [res](Napi::Env e) { return packEval(e, *res); });
  });
}

Napi::Value NativeSession::Predict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto batch = std::make_shared<tn::HostBatch>(unpackBatch(info[0], "batch"));
    auto res = std::make_shared<tn::PredictResult>();
    return enqueue(env, [batch, res](tn::Session& s) { *res = s.predict(*batch); },
                   [res](Napi::Env e) { return packPredict(e, *res); });
  });
}

Napi::Value NativeSession::BeginGeneration(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto prompt = std::make_shared<std::vector<int64_t>>(unpackTokenList(info[0], "prompt"));
    auto opts = unpackSampleOptions(info[1]);
    return enqueue(env, [prompt, opts](tn::Session& s) { s.beginGeneration(*prompt, opts); }, undef);
  });
}

Napi::Value NativeSession::Generate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    if (!info[0].IsNumber()) throw makeError(env, "ERR_NATIVE_INVALID_ARG", "generate(count): count must be a number");
    const auto count = static_cast<int64_t>(info[0].As<Napi::Number>().DoubleValue());
    auto res = std::make_shared<std::vector<int64_t>>();
    return enqueue(env, [count, res](tn::Session& s) { *res = s.generate(count); },
                   [res](Napi::Env e) { return packTokens(e, *res); });
  });
}

Napi::Value NativeSession::ExportTorchScript(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    if (!info[0].IsString()) throw makeError(env, "ERR_NATIVE_INVALID_ARG", "exportTorchScript(path): path must be a string");
    auto path = info[0].As<Napi::String>().Utf8Value();
    return enqueue(env, [path](tn::Session& s) { s.exportTorchScript(path); }, undef);
  });
}

Napi::Value NativeSession::GetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto prefix = prefixArg(info);
  auto res = std::make_shared<std::vector<tn::NamedTensor>>();
  return enqueue(env, [prefix, res](tn::Session& s) { *res = s.getState(prefix); },
                 [res](Napi::Env e) { return packEntries(e, *res); });
}

Napi::Value NativeSession::GetGradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto prefix = prefixArg(info);
  auto res = std::make_shared<std::vector<tn::NamedTensor>>();
  return enqueue(env, [prefix, res](tn::Session& s) { *res = s.getGradients(prefix); },
                 [res](Napi::Env e) { return packEntries(e, *res); });
}

Napi::Value NativeSession::SetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto entries = std::make_shared<std::vector<tn::NamedTensor>>(unpackEntries(info[0], "entries"));
    std::string prefix;
    bool strict = true;
    if (info[1].IsObject()) {
      auto o = info[1].As<Napi::Object>();
      if (o.Get("prefix").IsString()) prefix = o.Get("prefix").As<Napi::String>().Utf8Value();
      if (o.Get("strict").IsBoolean()) strict = o.Get("strict").As<Napi::Boolean>().Value();
    }
    auto res = std::make_shared<std::vector<std::string>>();
    return enqueue(env, [entries, prefix, strict, res](tn::Session& s) { *res = s.setState(*entries, prefix, strict); },
                   [res](Napi::Env e) -> Napi::Value {
                     auto a = Napi::Array::New(e, res->size());
                     for (uint32_t i = 0; i < res->size(); ++i) a.Set(i, (*res)[i]);
                     return a;
                   });
  });
}

Napi::Value NativeSession::GetOptimizerState(const Napi::CallbackInfo& info) {
  auto res = std::make_shared<std::vector<tn::NamedTensor>>();
  return enqueue(info.Env(), [res](tn::Session& s) { *res = s.getOptimizerState(); },
                 [res](Napi::Env e) { return packEntries(e, *res); });
}

Napi::Value NativeSession::SetOptimizerState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto entries = std::make_shared<std::vector<tn::NamedTensor>>(unpackEntries(info[0], "entries"));
    return enqueue(env, [entries](tn::Session& s) { s.setOptimizerState(*entries); }, undef);
  });
}

Napi::Value NativeSession::SetTrainable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto pats = unpackStringArray(info[0], "patterns");
    if (!info[1].IsBoolean()) throw makeError(env, "ERR_NATIVE_INVALID_ARG", "setTrainable(patterns, trainable): trainable must be a boolean");
    const bool trainable = info[1].As<Napi::Boolean>().Value();
    auto n = std::make_shared<int64_t>(0);
    return enqueue(env, [pats, trainable, n](tn::Session& s) { *n = s.setTrainable(pats, trainable); },
                   [n](Napi::Env e) -> Napi::Value { return Napi::Number::New(e, static_cast<double>(*n)); });
  });
}

Napi::Value NativeSession::Parameters(const Napi::CallbackInfo& info) {
  auto res = std::make_shared<std::vector<tn::ParamInfo>>();
  return enqueue(info.Env(), [res](tn::Session& s) { *res = s.parameters(); }, [res](Napi::Env e) { return packParams(e, *res); });
}

Napi::Value NativeSession::MemoryStats(const Napi::CallbackInfo& info) {
  auto res = std::make_shared<tn::MemoryStats>();
  return enqueue(info.Env(), [res](tn::Session& s) { *res = s.memoryStats(); }, [res](Napi::Env e) { return packMemory(e, *res); });
}

Napi::Value NativeSession::EmptyCache(const Napi::CallbackInfo& info) {
  return enqueue(info.Env(), [](tn::Session& s) { s.emptyCache(); }, undef);
}

Napi::Value NativeSession::GetRngState(const Napi::CallbackInfo& info) {
  auto res = std::make_shared<std::vector<uint8_t>>();
  return enqueue(info.Env(), [res](tn::Session& s) { *res = s.getRngState(); },
                 [res](Napi::Env e) -> Napi::Value { return Napi::Buffer<uint8_t>::Copy(e, res->data(), res->size()); });
}

Napi::Value NativeSession::SetRngState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      throw makeError(env, "ERR_NATIVE_INVALID_ARG", "setRngState(state): state must be a Buffer");
    auto u8 = info[0].As<Napi::Uint8Array>();
    auto state = std::make_shared<std::vector<uint8_t>>(u8.Data(), u8.Data() + u8.ByteLength());
    return enqueue(env, [state](tn::Session& s) { s.setRngState(*state); }, undef);
  });
}

Napi::Value NativeSession::ClearHalt(const Napi::CallbackInfo& info) {
  return enqueue(info.Env(), [](tn::Session& s) { s.clearHalt(); }, undef);
}

static std::vector<uint8_t> bytesArg(Napi::Env env, const Napi::Value& v, const char* what) {
  if (v.IsUndefined() || v.IsNull()) return {};
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw makeError(env, "ERR_NATIVE_INVALID_ARG", std::string(what) + " must be a Uint8Array (or Buffer)");
  auto u8 = v.As<Napi::Uint8Array>();
  return std::vector<uint8_t>(u8.Data(), u8.Data() + u8.ByteLength());
}

Napi::Value NativeSession::AllReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throw makeError(env, "ERR_NATIVE_INVALID_ARG", "allReduce(values): values must be a Float64Array");
    auto f = info[0].As<Napi::Float64Array>();
    auto in = std::make_shared<std::vector<double>>(f.Data(), f.Data() + f.ElementLength());
    return enqueue(env, [in](tn::Session& s) { *in = s.allReduceSum(*in); },
                   [in](Napi::Env e) -> Napi::Value {
                     auto out = Napi::Float64Array::New(e, in->size());
                     std::copy(in->begin(), in->end(), out.Data());
                     return out;
                   });
  });
}

Napi::Value NativeSession::BroadcastBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto b = std::make_shared<std::vector<uint8_t>>(bytesArg(env, info[0], "broadcastBytes(bytes): bytes"));
    return enqueue(env, [b](tn::Session& s) { *b = s.broadcastBytes(*b); },
                   [b](Napi::Env e) -> Napi::Value { return Napi::Buffer<uint8_t>::Copy(e, b->data(), b->size()); });
  });
}

Napi::Value NativeSession::AllGatherBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto b = bytesArg(env, info[0], "allGatherBytes(bytes): bytes");
    auto res = std::make_shared<std::vector<std::vector<uint8_t>>>();
    return enqueue(env, [b, res](tn::Session& s) { *res = s.allGatherBytes(b); },
                   [res](Napi::Env e) -> Napi::Value {
                     auto a = Napi::Array::New(e, res->size());
                     for (uint32_t i = 0; i < res->size(); ++i) a.Set(i, Napi::Buffer<uint8_t>::Copy(e, (*res)[i].data(), (*res)[i].size()));
                     return a;
                   });
  });
}

Napi::Value NativeSession::Barrier(const Napi::CallbackInfo& info) {
  return enqueue(info.Env(), [](tn::Session& s) { s.barrier(); }, undef);
}

Napi::Value NativeSession::BroadcastState(const Napi::CallbackInfo& info) {
  return enqueue(info.Env(), [](tn::Session& s) { s.broadcastState(); }, undef);
}

// Not queued: it must reach a step that is already waiting in the queue.
Napi::Value NativeSession::RequestStop(const Napi::CallbackInfo& info) {
  if (host_) host_->stopFlag->store(true);
  return info.Env().Undefined();
}

Napi::Value NativeSession::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!host_ || host_->disposed) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Resolve(env.Undefined());
    return d.Promise();
  }
  host_->disposed = true;  // later calls reject at once
  auto h = host_;
  auto p = h->thread->submit(env, [h] {
    if (h->session) h->session->dispose();  // frees model, optimizer and data (and the CUDA cache)
    h->session.reset();
  }, undef);
  h->thread->finish();  // the thread ends after the dispose; the destructor's reaper joins it
  return p;
}

Napi::Value NativeSession::Disposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !host_ || host_->disposed);
}

Napi::Value BuildInfoFn(const Napi::CallbackInfo& info) {
  auto res = std::make_shared<tn::BuildInfo>();
  return runOnOwnThread(info.Env(), [res] { *res = tn::buildInfo(); }, [res](Napi::Env e) { return packBuildInfo(e, *res); });
}

Napi::Value AttentionCheckFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto opts = unpackAttentionCheck(info[0]);
    auto res = std::make_shared<tn::AttentionCheckResult>();
    return runOnOwnThread(env, [opts, res] { *res = tn::attentionCheck(opts); },
                          [res](Napi::Env e) { return packAttentionCheck(e, *res); });
  });
}

Napi::Value AttentionBenchFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto opts = unpackAttentionBench(info[0]);
    auto res = std::make_shared<tn::AttentionBenchResult>();
    return runOnOwnThread(env, [opts, res] { *res = tn::attentionBench(opts); },
                          [res](Napi::Env e) { return packAttentionBench(e, *res); });
  });
}

}  // namespace tnb
