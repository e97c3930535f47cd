// Error translation at the N-API boundary: core NativeErrors (already translated from
// c10::Error in the core) become JS Errors with a `code`; the async worker that runs torch calls
// off the JS thread and settles a Promise.
#include "binding/binding.h"

namespace tnb {

Napi::Error makeError(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

Napi::Value callSync(Napi::Env env, const std::function<Napi::Value()>& f) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const tn::NativeError& e) {
    throw makeError(env, e.code, e.what());
  } catch (const std::exception& e) {
    throw makeError(env, "ERR_NATIVE_INTERNAL", e.what());
  }
}

namespace {

class TaskWorker : public Napi::AsyncWorker {
 public:
  TaskWorker(Napi::Env env, std::function<void()> exec, std::function<Napi::Value(Napi::Env)> done)
      : Napi::AsyncWorker(env, "train-native"), deferred_(Napi::Promise::Deferred::New(env)),
        exec_(std::move(exec)), done_(std::move(done)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      exec_();
    } catch (const tn::NativeError& e) {
      code_ = e.code;
      SetError(e.what());
    } catch (const std::exception& e) {
      code_ = "ERR_NATIVE_INTERNAL";
      SetError(e.what());
    } catch (...) {
      code_ = "ERR_NATIVE_INTERNAL";
      SetError("unknown native exception");
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(done_(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const tn::NativeError& e) {
      deferred_.Reject(makeError(env, e.code, e.what()).Value());
    } catch (const std::exception& e) {
      deferred_.Reject(makeError(env, "ERR_NATIVE_INTERNAL", e.what()).Value());
    }
  }
  void OnError(const Napi::Error& e) override {
    Napi::Env env = Env();
    std::string msg = e.Message();
    deferred_.Reject(makeError(env, code_.empty() ? "ERR_NATIVE_INTERNAL" : code_, msg).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> exec_;
  std::function<Napi::Value(Napi::Env)> done_;
  std::string code_;
};

}  // namespace

Napi::Promise runAsync(Napi::Env env, std::function<void()> exec, std::function<Napi::Value(Napi::Env)> done) {
  auto* w = new TaskWorker(env, std::move(exec), std::move(done));
  auto p = w->promise();
  w->Queue();  // the worker deletes itself after OnOK / OnError
  return p;
}

}  // namespace tnb
