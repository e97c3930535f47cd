// DistGroup: the session's c10d process group (torchrun's contract: rank 0 hosts the TCPStore,
// every rank then joins ProcessGroupGloo on CPU or ProcessGroupNCCL on CUDA). Only c10d's
// collectives are used; this file adds what a trainer needs around them: gradient averaging in
// flat buckets (with the step's loss and stop flag riding in the last one), byte broadcasts and
// gathers for the TypeScript side, and failures that name the rank that went away.
// Compiled with gloo when its headers were found at build time (TRAIN_NATIVE_WITH_GLOO), with
// NCCL when CUDA and nccl.h were (TRAIN_NATIVE_WITH_NCCL); otherwise create() explains what to install.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/internal.h"

namespace tn {

// The backends this build can run ("gloo", "nccl").
std::vector<std::string> compiledDistBackends();

class DistGroup {
 public:
  // Joins the group (blocks until every rank has, or DIST.TIMEOUT_S passed): ERR_NATIVE_DIST on failure.
  static std::unique_ptr<DistGroup> create(const DistOptions& o, const torch::Device& dev);
  virtual ~DistGroup() = default;

  int rank() const { return rank_; }
  int worldSize() const { return worldSize_; }

  // Averages the gradients over the ranks: flat buckets of up to kBucketBytes (one all-reduce
  // each, all in flight at once), divided by the world size and copied back. `extras` (a 1-d
  // float tensor on the gradients' device) rides in the last bucket and comes back averaged too.
  virtual torch::Tensor averageGradients(const std::vector<torch::Tensor>& grads, const torch::Tensor& extras) = 0;
  // Element-wise sum over the ranks, in place (a tensor on the group's device).
  virtual void allReduceSum(torch::Tensor& t, const char* what) = 0;
  // Rank 0's tensors into every rank's, in place.
  virtual void broadcast(std::vector<torch::Tensor>& ts, const char* what) = 0;
  // Every rank's tensor (same shape on all ranks), in rank order.
  virtual std::vector<torch::Tensor> allGather(const torch::Tensor& t, const char* what) = 0;
  virtual void barrier(const char* what) = 0;

  static constexpr int64_t kBucketBytes = 25 << 20;  // DDP's default bucket_cap_mb

 protected:
  DistGroup(int rank, int worldSize) : rank_(rank), worldSize_(worldSize) {}
  int rank_, worldSize_;
};

}  // namespace tn
