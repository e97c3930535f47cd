// Precompiled header for the addon's translation units: LibTorch's headers are heavy
// (~30-60 s per TU to parse), so CMake compiles them once. binding.gyp builds do without it.
#pragma once
#include <torch/torch.h>
