// Error translation at the N-API boundary: core NativeErrors (already translated from
// c10::Error in the core) become JS Errors with a `code`.
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

}  // namespace tnb
