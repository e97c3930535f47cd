// Attention: full (reference, and SDPA on CUDA with LibTorch >= 2.0) and query-chunked attention
// as a custom autograd Function that recomputes each chunk's probabilities in backward, so
// activation memory grows with N * chunk rather than N^2. Also the attentionCheck test hook and the
// attentionBench entry point (attention alone, for scripts/bench-attention.js).
#include "core/internal.h"

#include <chrono>
#include <cmath>

#ifdef TRAIN_NATIVE_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace tn {
namespace {

thread_local bool emptyCacheAfterChunk = false;

// Returns the chunk's blocks to the driver (CUDA only): lower peak reserved memory, at a sync each.
void releaseChunkMemory(bool on, const torch::Tensor& like) {
#ifdef TRAIN_NATIVE_WITH_CUDA
  if (on && like.is_cuda()) c10::cuda::CUDACachingAllocator::emptyCache();
#else
  (void)on;
  (void)like;
#endif
}

// Large finite negative instead of -inf: a row whose keys are all padding gets a uniform
// distribution rather than NaN, in fp32 and bf16 alike.
constexpr double kMaskValue = -1e30;

// Bool mask [B or 1, 1, rows, cols]: true = do not attend. rows are queries [q0, q0+rows).
torch::Tensor blockMask(const torch::Tensor& keyPad, bool causal, int64_t q0, int64_t rows, int64_t cols,
                        const torch::Device& dev) {
  torch::Tensor m;
  if (keyPad.defined()) m = keyPad.slice(1, 0, cols).unsqueeze(1).unsqueeze(1);  // [B,1,1,cols]
  if (causal) {
    auto qi = torch::arange(q0, q0 + rows, torch::TensorOptions().dtype(torch::kLong).device(dev)).unsqueeze(1);
    auto ki = torch::arange(0, cols, torch::TensorOptions().dtype(torch::kLong).device(dev)).unsqueeze(0);
    auto c = (ki > qi).unsqueeze(0).unsqueeze(0);  // [1,1,rows,cols]
    m = m.defined() ? torch::logical_or(m, c) : c;
  }
  return m;
}

// Probabilities of one query block against keys [0, cols). With grad mode off (inside the
// recomputing Function, benchmarks) the scale and mask are applied in place on the fresh matmul
// result, so only that block and the softmax output exist at once.
torch::Tensor blockProbs(const torch::Tensor& qc, const torch::Tensor& kk, const torch::Tensor& keyPad, bool causal,
                         int64_t q0, double scale) {
  auto m = blockMask(keyPad, causal, q0, qc.size(2), kk.size(2), qc.device());
  auto s = torch::matmul(qc, kk.transpose(-2, -1));
  if (!torch::GradMode::is_enabled()) {
    s.mul_(scale);
    if (m.defined()) s.masked_fill_(m, kMaskValue);
  } else {
    s = s * scale;
    if (m.defined()) s = s.masked_fill(m, kMaskValue);
  }
  return torch::softmax(s, -1);
}

struct ChunkedAttentionFn : public torch::autograd::Function<ChunkedAttentionFn> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor q, torch::Tensor k,
                               torch::Tensor v, torch::Tensor keyPad, bool causal, int64_t chunk) {
    // Only the inputs (and, below, the [B, H, N, Dh] output) are saved: each chunk's
    // probabilities are recomputed in backward.
    ctx->saved_data["causal"] = causal;
    ctx->saved_data["chunk"] = chunk;
    // Backward may run on autograd's device thread: it takes the setting from here.
    ctx->saved_data["emptyCache"] = emptyCacheAfterChunk;
    auto pad = keyPad.numel() ? keyPad : torch::Tensor();
    const int64_t n = q.size(2);
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
    auto out = torch::empty_like(q);
    for (int64_t s0 = 0; s0 < n; s0 += chunk) {
      const int64_t e = std::min(n, s0 + chunk);
      const int64_t cols = causal ? e : k.size(2);  // causal: later keys are masked anyway
      auto kk = k.slice(2, 0, cols), vv = v.slice(2, 0, cols);
      auto p = blockProbs(q.slice(2, s0, e), kk, pad, causal, s0, scale);
      out.slice(2, s0, e).copy_(torch::matmul(p, vv));
      p.reset();
      releaseChunkMemory(emptyCacheAfterChunk, out);
    }
    // The output gives backward rowsum(dP * p) = rowsum(dO * out) without a chunk-sized product.
    ctx->save_for_backward({q, k, v, keyPad, out});
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    auto q = saved[0], k = saved[1], v = saved[2], keyPad = saved[3], out = saved[4];
    const bool causal = ctx->saved_data["causal"].toBool();
    const int64_t chunk = ctx->saved_data["chunk"].toInt();
    const bool emptyCache = ctx->saved_data["emptyCache"].toBool();
    auto pad = keyPad.numel() ? keyPad : torch::Tensor();
    // No graph is recorded here (a recomputing backward is not differentiable twice), which makes
    // the in-place updates below safe: per chunk at most two [B, H, chunk, N] blocks are alive
    // (p and dP, which becomes dS in place).
    torch::NoGradGuard noGrad;
    auto dO = grads[0].contiguous();
    const int64_t n = q.size(2);
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
    // rowsum(dP * p) = rowsum((dO v^T) * p) = rowsum(dO * (p v)) = rowsum(dO * out): [B, H, N, 1].
    auto rowDot = (dO * out).sum(-1, true);
    auto dq = torch::zeros_like(q), dk = torch::zeros_like(k), dv = torch::zeros_like(v);
    for (int64_t s0 = 0; s0 < n; s0 += chunk) {
      const int64_t e = std::min(n, s0 + chunk);
      const int64_t cols = causal ? e : k.size(2);
      auto qc = q.slice(2, s0, e);
      auto kk = k.slice(2, 0, cols), vv = v.slice(2, 0, cols);
      auto dOc = dO.slice(2, s0, e);
      auto p = blockProbs(qc, kk, pad, causal, s0, scale);
      dv.slice(2, 0, cols).add_(torch::matmul(p.transpose(-2, -1), dOc));
      auto dS = torch::matmul(dOc, vv.transpose(-2, -1));  // dP
      dS.sub_(rowDot.slice(2, s0, e)).mul_(p);             // dS = p * (dP - rowsum(dP * p)), in dP's buffer
      p.reset();
      dq.slice(2, s0, e).copy_(torch::matmul(dS, kk).mul_(scale));
      dk.slice(2, 0, cols).add_(torch::matmul(dS.transpose(-2, -1), qc).mul_(scale));
      dS.reset();
      releaseChunkMemory(emptyCache, dq);
    }
    return {dq, dk, dv, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

void setEmptyCacheAfterChunk(bool on) { emptyCacheAfterChunk = on; }

torch::Tensor fullAttentionReference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     const torch::Tensor& keyPad, bool causal) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  auto p = blockProbs(q, k, keyPad, causal, 0, scale);
  return torch::matmul(p, v);
}

torch::Tensor chunkedAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& keyPad, bool causal, int64_t chunk) {
  // save_for_backward wants a tensor in every slot: an empty one stands for "no padding".
  auto pad = keyPad.defined() ? keyPad : torch::empty({0}, torch::TensorOptions().dtype(torch::kBool).device(q.device()));
  return ChunkedAttentionFn::apply(q, k, v, pad, causal, chunk);
}

torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& keyPad, bool causal, int64_t chunk, bool recompute) {
  const int64_t n = q.size(2);
  if (chunk > 0 && chunk < n) {
    if (recompute) return chunkedAttention(q, k, v, keyPad, causal, chunk);
    // Plain autograd over query chunks: bounded forward peak, but backward still keeps every
    // chunk's probabilities (N^2 in total). Kept for measurement (scripts/bench-native.js).
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
    std::vector<torch::Tensor> outs;
    for (int64_t s0 = 0; s0 < n; s0 += chunk) {
      const int64_t e = std::min(n, s0 + chunk);
      const int64_t cols = causal ? e : k.size(2);
      auto p = blockProbs(q.slice(2, s0, e), k.slice(2, 0, cols), keyPad, causal, s0, scale);
      outs.push_back(torch::matmul(p, v.slice(2, 0, cols)));
    }
    return torch::cat(outs, 2);
  }
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
  // CPU, no padding mask: the fused flash-attention kernel (one pass forward and backward, no
  // N x N probabilities kept for backward). Padded keys keep the reference path below.
  if (!q.is_cuda() && !keyPad.defined()) return at::scaled_dot_product_attention(q, k, v, {}, 0.0, causal);
#endif
#if TORCH_VERSION_MAJOR >= 2
  if (q.is_cuda()) {
    // Fused kernels (flash / memory-efficient) where available. Mask: true = attend.
    if (!keyPad.defined()) {
      return at::scaled_dot_product_attention(q, k, v, {}, 0.0, causal);
    }
    auto m = blockMask(keyPad, causal, 0, n, k.size(2), q.device());
    return at::scaled_dot_product_attention(q, k, v, torch::logical_not(m), 0.0, false);
  }
#endif
  return fullAttentionReference(q, k, v, keyPad, causal);
}

torch::Tensor dropout(const torch::Tensor& x, double p, const RunCtx& ctx) {
  if (!ctx.training || p <= 0.0) return x;
  if (x.is_cuda()) return torch::dropout(x, p, true);  // CUDA: the device's default generator
  auto keep = torch::empty_like(x).bernoulli_(1.0 - p, ctx.cpuGen);
  return x * keep / (1.0 - p);
}

static double relErr(const torch::Tensor& a, const torch::Tensor& b) {
  auto denom = b.abs().max().item<double>();
  auto diff = (a - b).abs().max().item<double>();
  return denom > 0 ? diff / denom : diff;
}

AttentionCheckResult attentionCheck(const AttentionCheckOptions& o) {
  return guarded([&] {
    if (o.batch < 1 || o.heads < 1 || o.seqLen < 1 || o.headDim < 1 || o.chunkSize < 1)
      invalidArg("attentionCheck: batch, heads, seqLen, headDim and chunkSize must be >= 1");
    if (o.paddedKeys < 0 || o.paddedKeys >= o.seqLen) invalidArg("attentionCheck: paddedKeys must be in [0, seqLen)");
    torch::AutoGradMode grad(true);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
    auto opts = torch::TensorOptions().dtype(torch::kFloat);
    auto mk = [&] { return torch::randn({o.batch, o.heads, o.seqLen, o.headDim}, gen, opts); };
    auto q0 = mk(), k0 = mk(), v0 = mk(), g = mk();
    torch::Tensor pad;
    if (o.paddedKeys > 0) {
      pad = torch::zeros({o.batch, o.seqLen}, torch::kBool);
      pad.index_put_({0, torch::indexing::Slice(o.seqLen - o.paddedKeys, torch::indexing::None)}, true);
    }
    auto run = [&](bool chunked) {
      auto q = q0.clone().requires_grad_(true), k = k0.clone().requires_grad_(true), v = v0.clone().requires_grad_(true);
      auto out = chunked ? chunkedAttention(q, k, v, pad, o.causal, o.chunkSize)
                         : fullAttentionReference(q, k, v, pad, o.causal);
      out.backward(g);
      return std::vector<torch::Tensor>{out.detach(), q.grad(), k.grad(), v.grad()};
    };
    auto full = run(false), ch = run(true);
    AttentionCheckResult r;
    r.outRelErr = relErr(ch[0], full[0]);
    r.dqRelErr = relErr(ch[1], full[1]);
    r.dkRelErr = relErr(ch[2], full[2]);
    r.dvRelErr = relErr(ch[3], full[3]);
    return r;
  });
}

AttentionBenchResult attentionBench(const AttentionBenchOptions& o) {
  return guarded([&] {
    if (o.batch < 1 || o.heads < 1 || o.seqLen < 1 || o.headDim < 1)
      invalidArg("attentionBench: batch, heads, seqLen and headDim must be >= 1");
    if (o.chunkSize < 0) invalidArg("attentionBench: chunkSize must be >= 0 (0 = full attention)");
    if (o.iters < 1) invalidArg("attentionBench: iters must be >= 1");
    if (o.threads < 0) invalidArg("attentionBench: threads must be >= 0");
    const torch::Device dev = resolveDevice(o.device);
    // Per-thread OpenMP count, set only when it differs (see CallScope in trainer.cc).
    if (o.threads > 0 && at::get_num_threads() != o.threads) at::set_num_threads(o.threads);
    torch::AutoGradMode grad(true);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
    auto opts = torch::TensorOptions().dtype(torch::kFloat);
    auto mk = [&] { return torch::randn({o.batch, o.heads, o.seqLen, o.headDim}, gen, opts).to(dev); };
    auto q0 = mk(), k0 = mk(), v0 = mk(), g = mk();
    auto sync = [&] {
      if (dev.is_cuda()) torch::cuda::synchronize();
    };
#ifdef TRAIN_NATIVE_WITH_CUDA
    if (dev.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(dev.index());
#endif
    using Clock = std::chrono::steady_clock;
    auto ms = [](Clock::time_point a, Clock::time_point b) {
      return std::chrono::duration<double, std::milli>(b - a).count();
    };
    AttentionBenchResult r;
    for (int64_t i = 0; i < o.iters; ++i) {
      auto q = q0.clone().requires_grad_(true), k = k0.clone().requires_grad_(true), v = v0.clone().requires_grad_(true);
      sync();
      auto t0 = Clock::now();
      auto out = attention(q, k, v, torch::Tensor(), o.causal, o.chunkSize, o.recompute);
      sync();
      auto t1 = Clock::now();
      out.backward(g);
      sync();
      auto t2 = Clock::now();
      r.forwardMs.push_back(ms(t0, t1));
      r.backwardMs.push_back(ms(t1, t2));
    }
#ifdef TRAIN_NATIVE_WITH_CUDA
    if (dev.is_cuda()) {
      r.hasPeakBytes = true;
      r.peakBytes = c10::cuda::CUDACachingAllocator::getDeviceStats(dev.index()).allocated_bytes[0].peak;
    }
#endif
    return r;
  });
}

}  // namespace tn
