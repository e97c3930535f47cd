// Declarations shared by the N-API layer: error translation, JS <-> plain-struct unpacking,
// the thread that settles promises, and the NativeSession ObjectWrap. No tensor maths here; only core/api.h is visible.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <string>

#include "core/api.h"
#include "core/task_thread.h"

namespace tnb {

// A JS Error carrying `code` (ERR_NATIVE_*); `message` is the core's message.
Napi::Error makeError(Napi::Env env, const std::string& code, const std::string& message);
// Run f on the JS thread; NativeError / std::exception become thrown JS Errors (trap 4).
Napi::Value callSync(Napi::Env env, const std::function<Napi::Value()>& f);

// Unpacking (throws NativeError with ERR_NATIVE_INVALID_ARG naming the field).
tn::SessionOptions unpackOptions(const Napi::Value& v);
tn::HostData unpackData(const Napi::Value& v, const std::string& path);
tn::HostBatch unpackBatch(const Napi::Value& v, const std::string& path);
std::vector<tn::NamedTensor> unpackEntries(const Napi::Value& v, const std::string& path);
tn::AttentionCheckOptions unpackAttentionCheck(const Napi::Value& v);
tn::AttentionBenchOptions unpackAttentionBench(const Napi::Value& v);
std::vector<std::string> unpackStringArray(const Napi::Value& v, const std::string& path);
tn::SampleOptions unpackSampleOptions(const Napi::Value& v);
std::vector<int64_t> unpackTokenList(const Napi::Value& v, const std::string& path);

// Packing results into JS values (copies).
Napi::Value packStep(Napi::Env env, const tn::StepResult& r);
Napi::Value packEval(Napi::Env env, const tn::EvalResult& r);
Napi::Value packPredict(Napi::Env env, const tn::PredictResult& r);
Napi::Value packTokens(Napi::Env env, const std::vector<int64_t>& tokens);
Napi::Value packEntries(Napi::Env env, const std::vector<tn::NamedTensor>& entries);
Napi::Value packParams(Napi::Env env, const std::vector<tn::ParamInfo>& ps);
Napi::Value packMemory(Napi::Env env, const tn::MemoryStats& m);
Napi::Value packBuildInfo(Napi::Env env, const tn::BuildInfo& b);
Napi::Value packAttentionCheck(Napi::Env env, const tn::AttentionCheckResult& r);
Napi::Value packAttentionBench(Napi::Env env, const tn::AttentionBenchResult& r);

// A native thread whose tasks settle JS promises: `exec` runs on the thread, then `done` builds
// the result on the JS thread (through a thread-safe function); a NativeError rejects with a
// coded Error. Tasks run in submission order. While a promise is pending the thread-safe function
// is ref'd (the process waits for it); an idle one does not keep Node alive.
class PromiseThread {
 public:
  PromiseThread(Napi::Env env, const char* name);
  ~PromiseThread();  // join()
  Napi::Promise submit(Napi::Env env, std::function<void()> exec, std::function<Napi::Value(Napi::Env)> done);
  // Runs `exec` after everything submitted so far, with no promise (teardown, GC).
  void post(std::function<void()> exec);
  void finish();  // accept no more tasks; the thread ends after the queued ones
  void join();    // finish(), then wait for the thread to end

  struct Shared;  // the thread-safe function and the pending count, shared with completions

 private:
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<tn::TaskThread> thread_;
};

// Runs one task on a thread of its own (buildInfo, attention checks): nothing torch-related runs
// on the JS thread or on libuv's pool.
Napi::Promise runOnOwnThread(Napi::Env env, std::function<void()> exec, std::function<Napi::Value(Napi::Env)> done);
// Waits for every runOnOwnThread thread still running (environment teardown).
void joinOwnThreads();

// What a NativeSession owns: the core session (touched only on its thread) and that thread.
struct SessionHost {
  std::shared_ptr<tn::Session> session;  // set by the first task (the model is built there)
  std::string initCode, initMessage;     // why building it failed, for every later call
  std::unique_ptr<PromiseThread> thread;
  // Set by requestStop() on the JS thread, read by the next distributed step on the session thread.
  std::shared_ptr<std::atomic<bool>> stopFlag = std::make_shared<std::atomic<bool>>(false);
  bool disposed = false;                 // JS thread only
  tn::Session& need();                   // on the thread: the session or the reason it is absent
};

class NativeSession : public Napi::ObjectWrap<NativeSession> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NativeSession(const Napi::CallbackInfo& info);
  ~NativeSession() override;

 private:
  std::shared_ptr<SessionHost> host_;
  // Queues `exec(session)` on the session thread; rejects at once when disposed.
  Napi::Value enqueue(Napi::Env env, std::function<void(tn::Session&)> exec, std::function<Napi::Value(Napi::Env)> done);

  Napi::Value Ready(const Napi::CallbackInfo& info);
  Napi::Value SetData(const Napi::CallbackInfo& info);
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value Predict(const Napi::CallbackInfo& info);
  Napi::Value BeginGeneration(const Napi::CallbackInfo& info);
  Napi::Value Generate(const Napi::CallbackInfo& info);
  Napi::Value ExportTorchScript(const Napi::CallbackInfo& info);
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
  Napi::Value ClearHalt(const Napi::CallbackInfo& info);
  Napi::Value AllReduce(const Napi::CallbackInfo& info);
  Napi::Value BroadcastBytes(const Napi::CallbackInfo& info);
  Napi::Value AllGatherBytes(const Napi::CallbackInfo& info);
  Napi::Value Barrier(const Napi::CallbackInfo& info);
  Napi::Value BroadcastState(const Napi::CallbackInfo& info);
  Napi::Value RequestStop(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value Disposed(const Napi::CallbackInfo& info);
};

// Per-environment registry of live sessions: at environment teardown (worker exit, process exit)
// every session is disposed on its thread, after the work already queued (trap 5).
void RegisterCleanup(Napi::Env env);

Napi::Value BuildInfoFn(const Napi::CallbackInfo& info);
Napi::Value AttentionCheckFn(const Napi::CallbackInfo& info);
Napi::Value AttentionBenchFn(const Napi::CallbackInfo& info);

}  // namespace tnb
