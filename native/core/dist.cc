// The c10d process group behind DistGroup (dist.h). Which backends exist is decided at build time
// (CMakeLists.txt looks for gloo's headers, which no LibTorch ships, and for nccl.h); a build
// without them still has this file, and create() says what to install.
#include "core/dist.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <future>
#include <thread>

#if defined(TRAIN_NATIVE_WITH_GLOO) || defined(TRAIN_NATIVE_WITH_NCCL)
#define TN_HAVE_C10D 1
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef TRAIN_NATIVE_WITH_GLOO
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef TRAIN_NATIVE_WITH_NCCL
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL 1
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace tn {

std::vector<std::string> compiledDistBackends() {
  std::vector<std::string> out;
#ifdef TRAIN_NATIVE_WITH_GLOO
  out.push_back("gloo");
#endif
#ifdef TRAIN_NATIVE_WITH_NCCL
  out.push_back("nccl");
#endif
  return out;
}

#ifndef TN_HAVE_C10D

std::unique_ptr<DistGroup> DistGroup::create(const DistOptions& o, const torch::Device&) {
  throw NativeError("ERR_NATIVE_INVALID_ARG",
                    "this addon was built without distributed support (backend '" + o.backend +
                        "' is not compiled in: gloo's headers were missing at build time); install them "
                        "(Debian/Ubuntu: sudo apt-get install libgloo-dev) and rebuild with `npx train-native build`");
}

#else

namespace {

// LibTorch 2.x split the collectives' interface (Backend) from the user-facing ProcessGroup.
#if TORCH_VERSION_MAJOR >= 2
using Backend = c10d::Backend;
#else
using Backend = c10d::ProcessGroup;
#endif

std::string firstLine(const std::string& s) {
  auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

std::string messageOf(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const c10::Error& err) {
    return firstLine(err.what_without_backtrace());
  } catch (const std::exception& err) {
    return firstLine(err.what());
  } catch (...) {
    return "unknown error";
  }
}

bool isLoopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1"; }

class C10dGroup final : public DistGroup {
 public:
  C10dGroup(const DistOptions& o, const torch::Device& dev) : DistGroup(o.rank, o.worldSize), opts_(o), device_(dev) {
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeoutS * 1000.0));
    try {
      c10d::TCPStoreOptions so;
      so.port = static_cast<std::uint16_t>(o.masterPort);
      so.isServer = o.rank == 0 && o.hostStore;
      so.numWorkers = static_cast<std::size_t>(o.worldSize);
      so.waitWorkers = true;
      so.timeout = timeout;
      store_ = c10::make_intrusive<c10d::TCPStore>(o.masterAddr, so);
      auto prefixed = c10::make_intrusive<c10d::PrefixStore>(o.storePrefix + "/pg", store_);
      if (o.backend == "gloo") {
#ifdef TRAIN_NATIVE_WITH_GLOO
        auto go = c10d::ProcessGroupGloo::Options::create(timeout);
        // GLOO_SOCKET_IFNAME as torch.distributed reads it; on one machine (a loopback master)
        // the loopback device, so no host name needs to resolve; otherwise this host's address.
        const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
        if (ifname && *ifname) go->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
        else if (isLoopback(o.masterAddr)) go->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
        else go->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        go->threads = 2;
        pg_ = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, o.rank, o.worldSize, go);
#else
        throw NativeError("ERR_NATIVE_INVALID_ARG", "backend 'gloo' is not compiled into this addon (gloo's headers were missing at build time: sudo apt-get install libgloo-dev, then `npx train-native build`)");
#endif
      } else if (o.backend == "nccl") {
#ifdef TRAIN_NATIVE_WITH_NCCL
        if (!dev.is_cuda()) throw NativeError("ERR_NATIVE_INVALID_ARG", "backend 'nccl' needs a CUDA device");
        auto no = c10d::ProcessGroupNCCL::Options::create();
        no->timeout = timeout;
        pg_ = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, o.rank, o.worldSize, no);
#else
        throw NativeError("ERR_NATIVE_INVALID_ARG", "backend 'nccl' is not compiled into this addon (it needs a CUDA LibTorch and nccl.h at build time)");
#endif
      } else {
        throw NativeError("ERR_NATIVE_INVALID_ARG", "dist.backend must be 'gloo' or 'nccl' (got '" + o.backend + "')");
      }
      // Every rank has joined once this returns: a first collective, so that a rank that cannot
      // reach its peers (gloo connects lazily on some versions) fails here, not at step 1.
      auto probe = torch::zeros({1}, torch::TensorOptions().device(dev));
      std::vector<torch::Tensor> ts{probe};
      pg_->allreduce(ts)->wait();
    } catch (const NativeError&) {
      throw;
    } catch (...) {
      throw NativeError("ERR_NATIVE_DIST", "rank " + std::to_string(o.rank) + " of " + std::to_string(o.worldSize) +
                                               " could not join the process group at " + o.masterAddr + ":" +
                                               std::to_string(o.masterPort) + " within DIST.TIMEOUT_S (" +
                                               std::to_string(static_cast<int64_t>(o.timeoutS)) + " s): " +
                                               messageOf(std::current_exception()));
    }
  }

  ~C10dGroup() override {
    // Gloo's worker threads end with the group; the store (rank 0's server) goes last.
    pg_.reset();
    store_.reset();
  }

  torch::Tensor averageGradients(const std::vector<torch::Tensor>& grads, const torch::Tensor& extras) override {
    // Buckets: consecutive gradients of one dtype up to kBucketBytes; `extras` joins the last
    // float bucket (or is a bucket of its own).
    struct Bucket {
      std::vector<size_t> members;
      torch::Tensor flat;
      bool withExtras = false;
    };
    std::vector<Bucket> buckets;
    int64_t bytes = 0;
    for (size_t i = 0; i < grads.size(); ++i) {
      const auto& g = grads[i];
      const int64_t b = g.numel() * static_cast<int64_t>(g.element_size());
      if (buckets.empty() || bytes + b > kBucketBytes || grads[buckets.back().members.front()].scalar_type() != g.scalar_type()) {
        buckets.emplace_back();
        bytes = 0;
      }
      buckets.back().members.push_back(i);
      bytes += b;
    }
    if (buckets.empty() || grads[buckets.back().members.front()].scalar_type() != extras.scalar_type()) buckets.emplace_back();
    buckets.back().withExtras = true;
    for (auto& bk : buckets) {
      std::vector<torch::Tensor> parts;
      for (auto i : bk.members) parts.push_back(grads[i].reshape({-1}));
      if (bk.withExtras) parts.push_back(extras.reshape({-1}));
      bk.flat = torch::cat(parts);
    }
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    guard("gradient all-reduce", [&] {
      for (auto& bk : buckets) {
        std::vector<torch::Tensor> ts{bk.flat};
        works.push_back(pg_->allreduce(ts));
      }
      for (auto& w : works) w->wait();
    });
    const double inv = 1.0 / static_cast<double>(worldSize_);
    torch::Tensor extrasOut;
    for (auto& bk : buckets) {
      bk.flat.mul_(inv);
      int64_t off = 0;
      for (auto i : bk.members) {
        auto& g = const_cast<torch::Tensor&>(grads[i]);
        const int64_t n = g.numel();
        g.copy_(bk.flat.narrow(0, off, n).view(g.sizes()));
        off += n;
      }
      if (bk.withExtras) extrasOut = bk.flat.narrow(0, off, extras.numel());
    }
    return extrasOut;
  }

  void allReduceSum(torch::Tensor& t, const char* what) override {
    guard(what, [&] {
      std::vector<torch::Tensor> ts{t};
      pg_->allreduce(ts)->wait();
    });
  }

  void broadcast(std::vector<torch::Tensor>& ts, const char* what) override {
    guard(what, [&] {
      std::vector<c10::intrusive_ptr<c10d::Work>> works;
      for (auto& t : ts) {
        std::vector<torch::Tensor> one{t};
        c10d::BroadcastOptions bo;
        bo.rootRank = 0;
        works.push_back(pg_->broadcast(one, bo));
      }
      for (auto& w : works) w->wait();
    });
  }

  std::vector<torch::Tensor> allGather(const torch::Tensor& t, const char* what) override {
    std::vector<std::vector<torch::Tensor>> out(1);
    for (int r = 0; r < worldSize_; ++r) out[0].push_back(torch::empty_like(t));
    guard(what, [&] {
      std::vector<torch::Tensor> in{t};
      pg_->allgather(out, in)->wait();
    });
    return out[0];
  }

  void barrier(const char* what) override {
    // An all-reduce of one number: the same guarantee as barrier() on every backend and version.
    auto t = torch::zeros({1}, torch::TensorOptions().device(device_));
    allReduceSum(t, what);
  }

 private:
  // A failed collective breaks the group for good: the steps still queued behind it fail at once
  // with the same message instead of asking the store again.
  template <class F>
  void guard(const char* what, F&& f) {
    if (!broken_.empty()) throw NativeError("ERR_NATIVE_DIST", broken_);
    try {
      f();
    } catch (...) {
      const std::string cause = messageOf(std::current_exception());
      broken_ = std::string("distributed ") + what + " failed on rank " + std::to_string(rank_) + " of " + std::to_string(worldSize_) + ": " +
                whoIsGone() + " (" + cause + ")";
      throw NativeError("ERR_NATIVE_DIST", broken_);
    }
  }

  // Which ranks went away: every survivor marks itself in the store and waits a moment for the
  // others' marks; the ranks without one exited or hung. The store lives in rank 0's process, so
  // when it cannot be reached (or does not answer: a hung rank 0), rank 0 is the one that is gone.
  // The asking runs on a thread of its own with a deadline, since a store that does not answer
  // would hold a request for the store's own timeout (DIST.TIMEOUT_S) again.
  std::string whoIsGone() {
    const std::string rank0 = opts_.hostStore
                                  ? "rank 0 stopped responding (it hosts the rendezvous store, which cannot be reached: it exited, was killed or hung)"
                                  : "the rendezvous store (the launcher's agent) cannot be reached";
    auto answer = std::make_shared<std::promise<std::string>>();
    auto future = answer->get_future();
    const std::string key = opts_.storePrefix + "/failed/";
    std::thread([store = store_, answer, rank0, key, me = rank_, world = worldSize_, timeoutS = opts_.timeoutS] {
      try {
        store->set(key + std::to_string(me), std::vector<uint8_t>{1});
        std::vector<int> missing;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        for (;;) {
          missing.clear();
          for (int r = 0; r < world; ++r)
            if (r != me && !store->check({key + std::to_string(r)})) missing.push_back(r);
          if (missing.empty() || std::chrono::steady_clock::now() > deadline) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (missing.empty()) {
          answer->set_value("every rank saw the failure (a network problem, or DIST.TIMEOUT_S too short for a slow step)");
          return;
        }
        std::string ranks;
        for (auto r : missing) ranks += (ranks.empty() ? "" : ", ") + std::to_string(r);
        answer->set_value((missing.size() == 1 ? "rank " : "ranks ") + ranks + " stopped responding (exited, was killed or hung; DIST.TIMEOUT_S " +
                          std::to_string(static_cast<int64_t>(timeoutS)) + " s)");
      } catch (...) {
        answer->set_value(rank0);
      }
    }).detach();
    if (future.wait_for(std::chrono::seconds(5)) == std::future_status::ready) return future.get();
    return rank0;
  }

  DistOptions opts_;
  torch::Device device_;
  std::string broken_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<Backend> pg_;
};

}  // namespace

std::unique_ptr<DistGroup> DistGroup::create(const DistOptions& o, const torch::Device& dev) {
  if (o.worldSize < 1 || o.rank < 0 || o.rank >= o.worldSize)
    invalidArg("dist: need 0 <= rank < worldSize (got rank " + std::to_string(o.rank) + ", worldSize " + std::to_string(o.worldSize) + ")");
  if (o.masterPort < 1 || o.masterPort > 65535) invalidArg("dist.masterPort must be in 1..65535");
  if (!(o.timeoutS > 0)) invalidArg("dist.timeoutS must be > 0");
  auto backends = compiledDistBackends();
  if (std::find(backends.begin(), backends.end(), o.backend) == backends.end()) {
    if (o.backend == "gloo")
      throw NativeError("ERR_NATIVE_INVALID_ARG",
                        "backend 'gloo' is not compiled into this addon (gloo's headers were missing at build time): "
                        "sudo apt-get install libgloo-dev, then rebuild with `npx train-native build`");
    if (o.backend == "nccl")
      throw NativeError("ERR_NATIVE_INVALID_ARG", "backend 'nccl' is not compiled into this addon (it needs a CUDA LibTorch and nccl.h at build time)");
    invalidArg("dist.backend must be 'gloo' or 'nccl' (got '" + o.backend + "')");
  }
  return std::make_unique<C10dGroup>(o, dev);
}

#endif

}  // namespace tn
