// PromiseThread: a TaskThread whose tasks settle JS promises through one thread-safe function.
// Completions are delivered in order; the thread-safe function is released by the thread itself
// after its last task, so no delivery can follow the release.
#include <algorithm>
#include <mutex>
#include <vector>

#include "binding/binding.h"

namespace tnb {

namespace {

struct Completion {
  Napi::Promise::Deferred deferred;
  std::function<Napi::Value(Napi::Env)> done;
  std::shared_ptr<PromiseThread::Shared> shared;
  bool failed = false;
  std::string code, message;
};

}  // namespace

struct PromiseThread::Shared {
  Napi::ThreadSafeFunction tsfn;
  int pending = 0;  // JS thread only: promises not yet settled
};

static void settle(Napi::Env env, Napi::Function, Completion* c) {
  std::unique_ptr<Completion> owned(c);
  if (env != nullptr) {  // null while the environment tears down: nothing to settle any more
    Napi::HandleScope scope(env);
    if (c->failed) {
      c->deferred.Reject(makeError(env, c->code, c->message).Value());
    } else {
      try {
        c->deferred.Resolve(c->done(env));
      } catch (const Napi::Error& e) {
        c->deferred.Reject(e.Value());
      } catch (const tn::NativeError& e) {
        c->deferred.Reject(makeError(env, e.code, e.what()).Value());
      } catch (const std::exception& e) {
        c->deferred.Reject(makeError(env, "ERR_NATIVE_INTERNAL", e.what()).Value());
      }
    }
    if (--c->shared->pending == 0) c->shared->tsfn.Unref(env);
  }
}

PromiseThread::PromiseThread(Napi::Env env, const char* name) : shared_(std::make_shared<Shared>()) {
  auto noop = Napi::Function::New(env, [](const Napi::CallbackInfo&) {});
  shared_->tsfn = Napi::ThreadSafeFunction::New(env, noop, name, 0, 1);
  shared_->tsfn.Unref(env);
  auto shared = shared_;
  thread_ = std::make_unique<tn::TaskThread>([shared] { shared->tsfn.Release(); });
}

PromiseThread::~PromiseThread() { join(); }

Napi::Promise PromiseThread::submit(Napi::Env env, std::function<void()> exec, std::function<Napi::Value(Napi::Env)> done) {
  auto* c = new Completion{Napi::Promise::Deferred::New(env), std::move(done), shared_};
  auto promise = c->deferred.Promise();
  auto task = [c, exec = std::move(exec)] {
    try {
      exec();
    } catch (const tn::NativeError& e) {
      c->failed = true;
      c->code = e.code;
      c->message = e.what();
    } catch (const std::exception& e) {
      c->failed = true;
      c->code = "ERR_NATIVE_INTERNAL";
      c->message = e.what();
    } catch (...) {
      c->failed = true;
      c->code = "ERR_NATIVE_INTERNAL";
      c->message = "unknown native exception";
    }
    // napi_closing during teardown: the promise can no longer be settled; free what it held.
    if (c->shared->tsfn.NonBlockingCall(c, settle) != napi_ok) delete c;
  };
  if (!thread_->post(std::move(task))) {
    delete c;
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(makeError(env, "ERR_NATIVE_DISPOSED", "this session has been disposed").Value());
    return d.Promise();
  }
  if (shared_->pending++ == 0) shared_->tsfn.Ref(env);
  return promise;
}

void PromiseThread::post(std::function<void()> exec) {
  thread_->post([exec = std::move(exec)] {
    try {
      exec();
    } catch (...) {
    }
  });
}

void PromiseThread::finish() { thread_->finish(); }

void PromiseThread::join() { thread_->join(); }

namespace {

// The threads of runOnOwnThread still alive. A thread that touched torch runs its thread-local
// destructors as it ends; if the process exits meanwhile, they race the global destructors (seen:
// a SIGABRT when a CLI exits the instant buildInfo() settled). So the environment's teardown
// joins whatever is still here (joinOwnThreads), and a reaper removes each thread once it ended.
struct OwnThreads {
  std::mutex mu;
  std::vector<std::shared_ptr<PromiseThread>> live;
};
OwnThreads& ownThreads() {
  static auto* t = new OwnThreads();  // never destroyed: reapers may outlive static destruction
  return *t;
}

}  // namespace

void joinOwnThreads() {
  std::vector<std::shared_ptr<PromiseThread>> ts;
  {
    std::lock_guard<std::mutex> lock(ownThreads().mu);
    ts = ownThreads().live;
  }
  for (auto& t : ts) t->join();
}

Napi::Promise runOnOwnThread(Napi::Env env, std::function<void()> exec, std::function<Napi::Value(Napi::Env)> done) {
  auto t = std::make_shared<PromiseThread>(env, "train-native-call");
  auto p = t->submit(env, std::move(exec), std::move(done));
  t->finish();
  {
    std::lock_guard<std::mutex> lock(ownThreads().mu);
    ownThreads().live.push_back(t);
  }
  // The thread ends after its one task; a detached reaper joins it so the JS thread never waits.
  std::thread([t]() mutable {
    t->join();
    std::lock_guard<std::mutex> lock(ownThreads().mu);
    auto& live = ownThreads().live;
    live.erase(std::remove(live.begin(), live.end(), t), live.end());
  }).detach();
  return p;
}

}  // namespace tnb
