// Times Optimizer::step (native/core/optimizer.cc) alone: the parameters of a model (shapes on
// the command line), each with a fixed gradient, AdamW or SGD, `iters` calls after a warm-up.
// Built and run by scripts/bench-optimizer.js against a given optimizer.cc, so that two versions
// of the optimizer can be compared on one LibTorch. Prints one JSON line.
//   optimizer-step <adamw|sgd> <threads> <warmup> <iters> <shape;shape;...> [masked]
// (shape = dims joined by 'x'; masked: step(lrs, apply) with apply = true, where the
// optimizer has it; compiled in with -DTN_BENCH_MASKED)
#include "core/internal.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

namespace tn {
[[noreturn]] void invalidArg(const std::string& msg) { throw NativeError("ERR_NATIVE_INVALID_ARG", msg); }
}  // namespace tn

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: optimizer-step <adamw|sgd> <threads> <warmup> <iters> <shape;shape;...> [masked]\n");
    return 2;
  }
  const std::string name = argv[1];
  const int threads = std::atoi(argv[2]), warmup = std::atoi(argv[3]), iters = std::atoi(argv[4]);
  const bool masked = argc > 6 && std::string(argv[6]) == "masked";
  at::set_num_threads(threads);
  torch::manual_seed(0);
  torch::NoGradGuard noGrad;
  std::vector<std::pair<std::string, torch::Tensor>> params;
  std::stringstream shapes(argv[5]);
  std::string shape;
  int64_t numel = 0;
  while (std::getline(shapes, shape, ';')) {
    std::vector<int64_t> dims;
    std::stringstream ds(shape);
    std::string d;
    while (std::getline(ds, d, 'x')) dims.push_back(std::stoll(d));
    auto p = torch::randn(dims).requires_grad_();
    p.mutable_grad() = torch::randn(dims) * 1e-3;
    numel += p.numel();
    params.emplace_back("p" + std::to_string(params.size()), p);
  }
  tn::OptimSpec spec;
  spec.name = name;
  spec.weightDecay = 0.01;
  tn::Optimizer opt(spec, {tn::GroupState{"default", {"*"}, 0.01}}, params);
  const std::vector<double> lrs{1e-4};
#ifdef TN_BENCH_MASKED
  const auto apply = torch::tensor(true);
  auto once = [&] { masked ? opt.step(lrs, apply) : opt.step(lrs); };
#else
  if (masked) {
    std::fprintf(stderr, "this optimizer has no masked step\n");
    return 2;
  }
  auto once = [&] { opt.step(lrs); };
#endif
  for (int i = 0; i < warmup; ++i) once();
  std::vector<double> us;
  for (int i = 0; i < iters; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    once();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (auto v : us) sum += v;
  std::printf("{\"params\":%zu,\"numel\":%lld,\"medianUs\":%.2f,\"meanUs\":%.2f,\"p10Us\":%.2f,\"p90Us\":%.2f}\n",
              params.size(), static_cast<long long>(numel), us[us.size() / 2], sum / us.size(), us[us.size() / 10],
              us[us.size() * 9 / 10]);
  return 0;
}
