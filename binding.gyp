{
  "variables": {
    "libtorch%": "<!(node -p \"process.env.LIBTORCH || '/usr'\")"
  },
  "targets": [
    {
      "target_name": "train_native",
      "sources": [
        "native/addon.cc",
        "native/binding/session_wrap.cc",
        "native/binding/unpack.cc",
        "native/binding/errors.cc",
        "native/binding/promise_thread.cc",
        "native/core/models.cc",
        "native/core/attention.cc",
        "native/core/optimizer.cc",
        "native/core/session.cc",
        "native/core/inference.cc",
        "native/core/torchscript.cc",
        "native/core/task_thread.cc",
        "native/core/info.cc",
        "native/core/dist.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
        "<(libtorch)/include",
        "<(libtorch)/include/torch/csrc/api/include"
      ],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS", "TRAIN_NATIVE_TORCH_SOURCE=\"binding.gyp\"", "TRAIN_NATIVE_TORCH_FOUND_AT=\"<(libtorch)\""],
      "cflags!": ["-fno-rtti", "-fno-exceptions"],
      "cflags_cc!": ["-fno-rtti", "-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-D_GLIBCXX_USE_CXX11_ABI=1"],
      "libraries": [
        "-L<(libtorch)/lib",
        "-Wl,--no-as-needed",
        "-ltorch",
        "-ltorch_cpu",
        "-lc10",
        "-Wl,--as-needed",
        "-Wl,-rpath,<(libtorch)/lib"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "GCC_ENABLE_CPP_RTTI": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17"
      }
    }
  ]
}
