// NativeTrainer: the ObjectWrap over tn::Trainer. Arguments are unpacked into plain structs on
// the JS thread, torch work runs on a libuv worker (step, evaluate, state transfer) and results
// are built as copies in OnOK. Cheap queries run synchronously.
#include <algorithm>
#include <chrono>
#include <mutex>

#include "binding/binding.h"

namespace tnb {

namespace {
struct Registry {
  std::mutex mu;
  std::vector<std::weak_ptr<tn::Trainer>> trainers;
  void add(const std::shared_ptr<tn::Trainer>& t) {
    std::lock_guard<std::mutex> lock(mu);
    trainers.erase(std::remove_if(trainers.begin(), trainers.end(), [](auto& w) { return w.expired(); }), trainers.end());
    trainers.push_back(t);
  }
  void disposeAll() {
    std::vector<std::weak_ptr<tn::Trainer>> ts;
    {
      std::lock_guard<std::mutex> lock(mu);
      ts.swap(trainers);
    }
    for (auto& w : ts)
      if (auto t = w.lock()) t->dispose();
  }
};
}  // namespace

void RegisterCleanup(Napi::Env env) {
  auto* reg = new Registry();
  env.SetInstanceData<Registry>(reg);  // deleted by node-addon-api at teardown
  env.AddCleanupHook([reg] { reg->disposeAll(); });
}

Napi::Function NativeTrainer::Define(Napi::Env env) {
  return DefineClass(env, "NativeTrainer",
                     {
                         InstanceMethod<&NativeTrainer::Step>("step"),
                         InstanceMethod<&NativeTrainer::Evaluate>("evaluate"),
                         InstanceMethod<&NativeTrainer::GetState>("getState"),
                         InstanceMethod<&NativeTrainer::GetGradients>("getGradients"),
                         InstanceMethod<&NativeTrainer::SetState>("setState"),
                         InstanceMethod<&NativeTrainer::GetOptimizerState>("getOptimizerState"),
                         InstanceMethod<&NativeTrainer::SetOptimizerState>("setOptimizerState"),
                         InstanceMethod<&NativeTrainer::SetTrainable>("setTrainable"),
                         InstanceMethod<&NativeTrainer::Parameters>("parameters"),
                         InstanceMethod<&NativeTrainer::MemoryStats>("memoryStats"),
                         InstanceMethod<&NativeTrainer::EmptyCache>("emptyCache"),
                         InstanceMethod<&NativeTrainer::GetRngState>("getRngState"),
                         InstanceMethod<&NativeTrainer::SetRngState>("setRngState"),
                         InstanceMethod<&NativeTrainer::Device>("device"),
                         InstanceMethod<&NativeTrainer::Dispose>("dispose"),
                         InstanceMethod<&NativeTrainer::Disposed>("isDisposed"),
                     });
}

NativeTrainer::NativeTrainer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeTrainer>(info) {
  Napi::Env env = info.Env();
  callSync(env, [&]() -> Napi::Value {
    auto opts = unpackOptions(info[0]);
    trainer_ = std::make_shared<tn::Trainer>(opts);
    if (auto* reg = env.GetInstanceData<Registry>()) reg->add(trainer_);
    return env.Undefined();
  });
}

std::shared_ptr<tn::Trainer> NativeTrainer::need(Napi::Env env) {
  if (!trainer_ || trainer_->disposed()) throw makeError(env, "ERR_NATIVE_DISPOSED", "this trainer has been disposed");
  return trainer_;
}

static Napi::Value rejectOrRun(Napi::Env env, const std::function<Napi::Value()>& f) {
  // Argument errors of async methods reject the Promise instead of throwing synchronously.
  try {
    return callSync(env, f);
  } catch (const Napi::Error& e) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(e.Value());
    return d.Promise();
  }
}

Napi::Value NativeTrainer::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto t = need(env);
    const auto t0 = std::chrono::steady_clock::now();
    auto req = std::make_shared<tn::StepRequest>();
    if (info[0].IsArray()) {
      auto arr = info[0].As<Napi::Array>();
      for (uint32_t i = 0; i < arr.Length(); ++i) req->micro.push_back(unpackBatch(arr.Get(i), "batches[" + std::to_string(i) + "]"));
    } else {
      req->micro.push_back(unpackBatch(info[0], "batch"));
    }
    if (!info[1].IsObject()) throw makeError(env, "ERR_NATIVE_INVALID_ARG", "step options must be an object {lrs, readLoss}");
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
    auto sk = o.Get("skipNonFinite");
    req->skipNonFinite = sk.IsUndefined() ? false : sk.ToBoolean().Value();
    const double unpackMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    auto res = std::make_shared<tn::StepResult>();
    return runAsync(env, [t, req, res, unpackMs] {
                      *res = t->step(*req);
                      res->unpackMs = unpackMs;
                    },
                    [res](Napi::Env e) { return packStep(e, *res); });
  });
}

Napi::Value NativeTrainer::Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto t = need(env);
    auto batch = std::make_shared<tn::HostBatch>(unpackBatch(info[0], "batch"));
    auto res = std::make_shared<tn::EvalResult>();
    return runAsync(env, [t, batch, res] { *res = t->evaluate(*batch); },
                    [res](Napi::Env e) { return packEval(e, *res); });
  });
}

Napi::Value NativeTrainer::GetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto t = need(env);
    std::string prefix = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
    auto res = std::make_shared<std::vector<tn::NamedTensor>>();
    return runAsync(env, [t, prefix, res] { *res = t->getState(prefix); },
                    [res](Napi::Env e) { return packEntries(e, *res); });
  });
}

Napi::Value NativeTrainer::GetGradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto t = need(env);
    std::string prefix = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
    auto res = std::make_shared<std::vector<tn::NamedTensor>>();
    return runAsync(env, [t, prefix, res] { *res = t->getGradients(prefix); },
                    [res](Napi::Env e) { return packEntries(e, *res); });
  });
}

Napi::Value NativeTrainer::SetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto t = need(env);
    auto entries = std::make_shared<std::vector<tn::NamedTensor>>(unpackEntries(info[0], "entries"));
    std::string prefix;
    bool strict = true;
    if (info[1].IsObject()) {
      auto o = info[1].As<Napi::Object>();
      if (o.Get("prefix").IsString()) prefix = o.Get("prefix").As<Napi::String>().Utf8Value();
      if (o.Get("strict").IsBoolean()) strict = o.Get("strict").As<Napi::Boolean>().Value();
    }
    auto res = std::make_shared<std::vector<std::string>>();
    return runAsync(env, [t, entries, prefix, strict, res] { *res = t->setState(*entries, prefix, strict); },
                    [res](Napi::Env e) -> Napi::Value {
                      auto a = Napi::Array::New(e, res->size());
                      for (uint32_t i = 0; i < res->size(); ++i) a.Set(i, (*res)[i]);
                      return a;
                    });
  });
}

Napi::Value NativeTrainer::GetOptimizerState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto t = need(env);
    auto res = std::make_shared<std::vector<tn::NamedTensor>>();
    return runAsync(env, [t, res] { *res = t->getOptimizerState(); },
                    [res](Napi::Env e) { return packEntries(e, *res); });
  });
}

Napi::Value NativeTrainer::SetOptimizerState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto t = need(env);
    auto entries = std::make_shared<std::vector<tn::NamedTensor>>(unpackEntries(info[0], "entries"));
    return runAsync(env, [t, entries] { t->setOptimizerState(*entries); },
                    [](Napi::Env e) { return e.Undefined(); });
  });
}

Napi::Value NativeTrainer::SetTrainable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return callSync(env, [&]() -> Napi::Value {
    auto t = need(env);
    auto pats = unpackStringArray(info[0], "patterns");
    if (!info[1].IsBoolean()) throw makeError(env, "ERR_NATIVE_INVALID_ARG", "setTrainable(patterns, trainable): trainable must be a boolean");
    return Napi::Number::New(env, static_cast<double>(t->setTrainable(pats, info[1].As<Napi::Boolean>().Value())));
  });
}

Napi::Value NativeTrainer::Parameters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return callSync(env, [&]() -> Napi::Value { return packParams(env, need(env)->parameters()); });
}

Napi::Value NativeTrainer::MemoryStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return callSync(env, [&]() -> Napi::Value { return packMemory(env, need(env)->memoryStats()); });
}

Napi::Value NativeTrainer::EmptyCache(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return callSync(env, [&]() -> Napi::Value {
    need(env)->emptyCache();
    return env.Undefined();
  });
}

Napi::Value NativeTrainer::GetRngState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return callSync(env, [&]() -> Napi::Value {
    auto s = need(env)->getRngState();
    return Napi::Buffer<uint8_t>::Copy(env, s.data(), s.size());
  });
}

Napi::Value NativeTrainer::SetRngState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return callSync(env, [&]() -> Napi::Value {
    auto t = need(env);
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      throw makeError(env, "ERR_NATIVE_INVALID_ARG", "setRngState(state): state must be a Buffer");
    auto u8 = info[0].As<Napi::Uint8Array>();
    t->setRngState(std::vector<uint8_t>(u8.Data(), u8.Data() + u8.ByteLength()));
    return env.Undefined();
  });
}

Napi::Value NativeTrainer::Device(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return callSync(env, [&]() -> Napi::Value { return Napi::String::New(env, need(env)->device()); });
}

Napi::Value NativeTrainer::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return callSync(env, [&]() -> Napi::Value {
    if (trainer_) trainer_->dispose();  // waits for a running call, frees model and optimizer state
    return env.Undefined();
  });
}

Napi::Value NativeTrainer::Disposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !trainer_ || trainer_->disposed());
}

Napi::Value BuildInfoFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return callSync(env, [&]() -> Napi::Value { return packBuildInfo(env, tn::buildInfo()); });
}

Napi::Value AttentionCheckFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto opts = unpackAttentionCheck(info[0]);
    auto res = std::make_shared<tn::AttentionCheckResult>();
    return runAsync(env, [opts, res] { *res = tn::attentionCheck(opts); },
                    [res](Napi::Env e) { return packAttentionCheck(e, *res); });
  });
}

Napi::Value AttentionBenchFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejectOrRun(env, [&]() -> Napi::Value {
    auto opts = unpackAttentionBench(info[0]);
    auto res = std::make_shared<tn::AttentionBenchResult>();
    return runAsync(env, [opts, res] { *res = tn::attentionBench(opts); },
                    [res](Napi::Env e) { return packAttentionBench(e, *res); });
  });
}

}  // namespace tnb
