// Declarations shared by the N-API layer: error translation, JS <-> plain-struct unpacking,
// and the NativeTrainer ObjectWrap. No tensor maths here; only core/api.h is visible.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <string>

#include "core/api.h"

namespace tnb {

// A JS Error carrying `code` (ERR_NATIVE_*); `message` is the core's message.
Napi::Error makeError(Napi::Env env, const std::string& code, const std::string& message);
// Run f on the JS thread; NativeError / std::exception become thrown JS Errors (trap 4).
Napi::Value callSync(Napi::Env env, const std::function<Napi::Value()>& f);

// Unpacking (throws NativeError with ERR_NATIVE_INVALID_ARG naming the field).
tn::TrainerOptions unpackOptions(const Napi::Value& v);
tn::HostBatch unpackBatch(const Napi::Value& v, const std::string& path);
std::vector<tn::NamedTensor> unpackEntries(const Napi::Value& v, const std::string& path);
tn::AttentionCheckOptions unpackAttentionCheck(const Napi::Value& v);
tn::AttentionBenchOptions unpackAttentionBench(const Napi::Value& v);
std::vector<std::string> unpackStringArray(const Napi::Value& v, const std::string& path);

// Packing results into JS values (copies).
Napi::Value packStep(Napi::Env env, const tn::StepResult& r);
Napi::Value packEval(Napi::Env env, const tn::EvalResult& r);
Napi::Value packEntries(Napi::Env env, const std::vector<tn::NamedTensor>& entries);
Napi::Value packParams(Napi::Env env, const std::vector<tn::ParamInfo>& ps);
Napi::Value packMemory(Napi::Env env, const tn::MemoryStats& m);
Napi::Value packBuildInfo(Napi::Env env, const tn::BuildInfo& b);
Napi::Value packAttentionCheck(Napi::Env env, const tn::AttentionCheckResult& r);
Napi::Value packAttentionBench(Napi::Env env, const tn::AttentionBenchResult& r);

// Runs `exec` on a libuv worker thread and settles a Promise: `done` builds the result on the
// JS thread (OnOK); a NativeError rejects it with a coded Error.
Napi::Promise runAsync(Napi::Env env, std::function<void()> exec, std::function<Napi::Value(Napi::Env)> done);

class NativeTrainer : public Napi::ObjectWrap<NativeTrainer> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NativeTrainer(const Napi::CallbackInfo& info);

 private:
  std::shared_ptr<tn::Trainer> trainer_;  // shared with in-flight workers: GC cannot free it mid-step
  std::shared_ptr<tn::Trainer> need(Napi::Env env);

  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value GetState(const Napi::CallbackInfo& info);
  Napi::Value GetGradients(const Napi::CallbackInfo& info);
  Napi::Value SetState(const Napi::CallbackInfo& info);
  Napi::Value GetOptimizerState(const Napi::CallbackInfo& info);
  Napi::Value SetOptimizerState(const Napi::CallbackInfo& info);
  Napi::Value SetTrainable(const Napi::CallbackInfo& info);
  Napi::Value Parameters(const Napi::CallbackInfo& info);
  Napi::Value MemoryStats(const Napi::CallbackInfo& info);
  Napi::Value EmptyCache(const Napi::CallbackInfo& info);
  Napi::Value GetRngState(const Napi::CallbackInfo& info);
  Napi::Value SetRngState(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value Disposed(const Napi::CallbackInfo& info);
};

// Per-environment registry of live trainers: at environment teardown (worker exit, process exit)
// every trainer is disposed, which waits for its running step first (trap 5).
void RegisterCleanup(Napi::Env env);

Napi::Value BuildInfoFn(const Napi::CallbackInfo& info);
Napi::Value AttentionCheckFn(const Napi::CallbackInfo& info);
Napi::Value AttentionBenchFn(const Napi::CallbackInfo& info);

}  // namespace tnb
