// Module registration only: exports NativeSession, buildInfo(), attentionCheck() and attentionBench().
#include "binding/binding.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tnb::RegisterCleanup(env);
  exports.Set("NativeSession", tnb::NativeSession::Define(env));
  exports.Set("buildInfo", Napi::Function::New(env, tnb::BuildInfoFn, "buildInfo"));
  exports.Set("attentionCheck", Napi::Function::New(env, tnb::AttentionCheckFn, "attentionCheck"));
  exports.Set("attentionBench", Napi::Function::New(env, tnb::AttentionBenchFn, "attentionBench"));
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}

NODE_API_MODULE(train_native, Init)
