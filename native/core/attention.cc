// Attention: full (reference, and SDPA on CUDA with LibTorch >= 2.0) and query-chunked attention
// as a custom autograd Function that recomputes each chunk's probabilities in backward, so
// activation memory grows with N * chunk rather than N^2. Also the attentionCheck test hook.
#include "core/internal.h"

#include <cmath>

namespace tn {
namespace {

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

// Probabilities of one query block against keys [0, cols).
torch::Tensor blockProbs(const torch::Tensor& qc, const torch::Tensor& kk, const torch::Tensor& keyPad, bool causal,
                         int64_t q0, double scale) {
  auto s = torch::matmul(qc, kk.transpose(-2, -1)) * scale;
  auto m = blockMask(keyPad, causal, q0, qc.size(2), kk.size(2), qc.device());
  if (m.defined()) s = s.masked_fill(m, kMaskValue);
  return torch::softmax(s, -1);
}

struct ChunkedAttentionFn : public torch::autograd::Function<ChunkedAttentionFn> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor q, torch::Tensor k,
                               torch::Tensor v, torch::Tensor keyPad, bool causal, int64_t chunk) {
    // Only the inputs are saved: each chunk's probabilities are recomputed in backward.
    ctx->save_for_backward({q, k, v, keyPad});
    ctx->saved_data["causal"] = causal;
    ctx->saved_data["chunk"] = chunk;
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
    }
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    auto q = saved[0], k = saved[1], v = saved[2], keyPad = saved[3];
    const bool causal = ctx->saved_data["causal"].toBool();
    const int64_t chunk = ctx->saved_data["chunk"].toInt();
    auto pad = keyPad.numel() ? keyPad : torch::Tensor();
    auto dO = grads[0].contiguous();
    const int64_t n = q.size(2);
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
    auto dq = torch::zeros_like(q), dk = torch::zeros_like(k), dv = torch::zeros_like(v);
    for (int64_t s0 = 0; s0 < n; s0 += chunk) {
      const int64_t e = std::min(n, s0 + chunk);
      const int64_t cols = causal ? e : k.size(2);
      auto qc = q.slice(2, s0, e);
      auto kk = k.slice(2, 0, cols), vv = v.slice(2, 0, cols);
      auto dOc = dO.slice(2, s0, e);
      auto p = blockProbs(qc, kk, pad, causal, s0, scale);
      dv.slice(2, 0, cols).add_(torch::matmul(p.transpose(-2, -1), dOc));
      auto dP = torch::matmul(dOc, vv.transpose(-2, -1));
      auto dS = p * (dP - (dP * p).sum(-1, true));
      dq.slice(2, s0, e).copy_(torch::matmul(dS, kk) * scale);
      dk.slice(2, 0, cols).add_(torch::matmul(dS.transpose(-2, -1), qc) * scale);
    }
    return {dq, dk, dv, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

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

}  // namespace tn
