#!/usr/bin/env python3
"""Attention alone, forward + backward, in PyTorch 1.13 (the addon's LibTorch): the same two
algorithms as native/core/attention.cc, op for op, for scripts/bench-attention.js.

  full     softmax(q k^T * scale) v with plain autograd (fullAttentionReference, no mask)
  chunked  ChunkedAttentionFn: query blocks of `chunk` rows; forward keeps only q, k, v (and the
           [B, H, N, Dh] output); backward recomputes each block's probabilities (dv += p^T dO,
           dP = dO v^T, dS = p * (dP - rowsum(dO * out)) in dP's buffer, dq = dS k * scale,
           dk += dS^T q * scale); scale and mask in place when no graph is recorded

One configuration per process; prints one JSON line: peak RSS growth over the first
forward+backward (VmHWM after minus VmRSS before, KiB) and the time of each repetition (ms).
  attention_reference.py '{"seqLen":4096,"chunk":128,"batch":1,"heads":4,"headDim":32,"threads":1,"steps":3}'
"""
import json
import math
import re
import sys
import time

import torch


def rss_kib():
    with open("/proc/self/status") as f:
        s = f.read()
    get = lambda k: int(re.search(r"^%s:\s+(\d+) kB" % k, s, re.M).group(1))
    return get("VmHWM"), get("VmRSS")


def block_probs(qc, kk, scale):
    s = torch.matmul(qc, kk.transpose(-2, -1))
    s = s.mul_(scale) if not torch.is_grad_enabled() else s * scale
    return torch.softmax(s, -1)


class ChunkedAttentionFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, chunk):
        ctx.chunk = chunk
        n = q.size(2)
        scale = 1.0 / math.sqrt(q.size(3))
        out = torch.empty_like(q)
        for s0 in range(0, n, chunk):
            e = min(n, s0 + chunk)
            p = block_probs(q[:, :, s0:e], k, scale)
            out[:, :, s0:e].copy_(torch.matmul(p, v))
        ctx.save_for_backward(q, k, v, out)
        return out

    @staticmethod
    def backward(ctx, dO):
        q, k, v, out = ctx.saved_tensors
        chunk = ctx.chunk
        dO = dO.contiguous()
        n = q.size(2)
        scale = 1.0 / math.sqrt(q.size(3))
        row_dot = (dO * out).sum(-1, keepdim=True)  # = rowsum(dP * p)
        dq, dk, dv = torch.zeros_like(q), torch.zeros_like(k), torch.zeros_like(v)
        for s0 in range(0, n, chunk):
            e = min(n, s0 + chunk)
            qc, dOc = q[:, :, s0:e], dO[:, :, s0:e]
            p = block_probs(qc, k, scale)
            dv.add_(torch.matmul(p.transpose(-2, -1), dOc))
            dS = torch.matmul(dOc, v.transpose(-2, -1))
            dS.sub_(row_dot[:, :, s0:e]).mul_(p)
            del p
            dq[:, :, s0:e].copy_(torch.matmul(dS, k).mul_(scale))
            dk.add_(torch.matmul(dS.transpose(-2, -1), qc).mul_(scale))
        return dq, dk, dv, None


def attention(q, k, v, chunk):
    if 0 < chunk < q.size(2):
        return ChunkedAttentionFn.apply(q, k, v, chunk)
    return torch.matmul(block_probs(q, k, 1.0 / math.sqrt(q.size(3))), v)


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(c["threads"])
    g = torch.Generator().manual_seed(0)
    shape = (c["batch"], c["heads"], c["seqLen"], c["headDim"])
    q0, k0, v0, dO = (torch.randn(shape, generator=g) for _ in range(4))
    # warm-up at a short length so lazy initialisation is not counted as the long run's memory
    small = tuple(shape[:2]) + (16, shape[3])
    qs = torch.randn(small, requires_grad=True)
    attention(qs, qs, qs, c["chunk"] and 8).sum().backward()
    _, before = rss_kib()
    ms, peak = [], 0
    for i in range(c["steps"]):
        q, k, v = (t.clone().requires_grad_(True) for t in (q0, k0, v0))
        t0 = time.perf_counter()
        attention(q, k, v, c["chunk"]).backward(dO)
        ms.append((time.perf_counter() - t0) * 1000)
        if i == 0:
            peak = rss_kib()[0] - before
        del q, k, v
    print(json.dumps({"peakKiB": peak, "ms": ms}))


if __name__ == "__main__":
    main()
