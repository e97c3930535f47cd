#!/usr/bin/env python3
"""The PyTorch side of scripts/bench-step.js: the same models as native/core/models.cc, stepped by a
plain PyTorch loop on the same LibTorch (Debian's torch 1.13 at /usr/bin/python3).

The modules mirror the C++ ones name for name (encoder.layers.0.attn.q_proj.weight, head.bias, ...):
  mlp          Linear -> ReLU for each hidden size, then Linear head (no dropout at p = 0)
  transformer  token + learned position embeddings; pre-LayerNorm blocks x + attn(ln1(x)),
               x + fc2(gelu(fc1(ln2(x)))); attention = separate q/k/v/out Linear(d, d) with bias,
               F.scaled_dot_product_attention (torch >= 2.1; before: softmax(q k^T / sqrt(dh)) v),
               full attention, no mask; final ln_f; mean over the
               sequence; Linear head. maskedTokenHead=false, metaDim=0, padTokenId=-1, dropout 0.
A step is what tn::Trainer::step does: zero_grad(set_to_none), forward, cross_entropy, backward,
clip_grad_norm_(1.0) (same formula: total L2 norm of per-parameter norms, coef clamped at 1),
AdamW (torch.optim, single-tensor: the formulas native/core/optimizer.cc writes out).

Commands (one JSON line on stdout each):
  step_reference.py run    --spec JSON --threads T --warmup W --steps S [--repeat R]
  step_reference.py params --spec JSON
  step_reference.py verify --spec JSON --dir DIR   (weights + batch written by bench-step.js)
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# F.scaled_dot_product_attention with its CPU flash kernel: torch >= 2.1.
SDPA = hasattr(F, 'scaled_dot_product_attention') and tuple(int(x) for x in torch.__version__.split('.')[:2]) >= (2, 1)


class Attention(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.heads = h
        self.q_proj = nn.Linear(d, d)
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def forward(self, x):
        b, n, d = x.shape
        split = lambda t: t.view(b, n, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        if SDPA:
            # What a PyTorch 2 user writes (and the addon runs on CPU since LibTorch 2.1): the fused kernel.
            y = F.scaled_dot_product_attention(q, k, v)
        else:
            # torch 1.x: matmul, scale, softmax, matmul (the addon's fullAttentionReference)
            p = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(q.size(3))), -1)
            y = torch.matmul(p, v)
        return self.out_proj(y.transpose(1, 2).contiguous().view(b, n, d))


class FeedForward(nn.Module):
    def __init__(self, d, ff):
        super().__init__()
        self.fc1 = nn.Linear(d, ff)
        self.fc2 = nn.Linear(ff, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, d, h, ff):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = Attention(d, h)
        self.ln2 = nn.LayerNorm(d)
        self.ff = FeedForward(d, ff)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.ff(self.ln2(x))


class Encoder(nn.Module):
    def __init__(self, s):
        super().__init__()
        d = s["dModel"]
        self.embed = nn.Embedding(s["vocabSize"], d)
        self.pos_embed = nn.Embedding(s["tokenLimit"], d)
        self.layers = nn.ModuleList(
            [Block(d, s["numHeads"], s.get("ffDim") or 4 * d) for _ in range(s["numLayers"])])
        self.ln_f = nn.LayerNorm(d)

    def forward(self, tokens):
        pos = torch.arange(tokens.size(1), dtype=torch.long)
        x = self.embed(tokens) + self.pos_embed(pos).unsqueeze(0)
        for blk in self.layers:
            x = blk(x)
        return self.ln_f(x)


class Transformer(nn.Module):
    def __init__(self, s):
        super().__init__()
        assert s.get("maskedTokenHead") is False and not s.get("metaDim") and s.get("padTokenId", -1) < 0
        assert not s.get("dropout") and not s.get("attentionChunkSize")
        self.encoder = Encoder(s)
        self.head = nn.Linear(s["dModel"], s["numClasses"])

    def forward(self, tokens):
        return self.head(self.encoder(tokens).mean(1))


class Mlp(nn.Module):
    def __init__(self, s):
        super().__init__()
        assert not s.get("dropout")
        dims = [s["inputDim"]] + list(s["hiddenSizes"])
        self.layers = nn.ModuleList([nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:])])
        self.head = nn.Linear(dims[-1], s["numClasses"])

    def forward(self, x):
        for l in self.layers:
            x = torch.relu(l(x))
        return self.head(x)


def build(spec):
    m = spec["model"]
    return Mlp(m) if m["type"] == "mlp" else Transformer(m)


def synthetic_batch(spec):
    """Deterministic batch with the same shapes and dtypes the JS side passes (values differ; the
    step's cost does not depend on them)."""
    m, b = spec["model"], spec["batchSize"]
    g = torch.Generator().manual_seed(1)
    labels = torch.randint(0, m["numClasses"], (b,), generator=g)
    if m["type"] == "mlp":
        return torch.randn(b, m["inputDim"], generator=g), labels
    return torch.randint(0, m["vocabSize"], (b, spec["seqLen"]), generator=g), labels


def make_optimizer(model, spec):
    o = spec.get("optimizer", {})
    # foreach=False: the single-tensor loop torch 1.13 uses by default, and the one the addon mirrors.
    return torch.optim.AdamW(model.parameters(), lr=spec.get("lr", 1e-4), betas=tuple(o.get("betas", (0.9, 0.999))),
                             eps=o.get("eps", 1e-8), weight_decay=o.get("weightDecay", 0.01), foreach=False)


def train_step(model, opt, x, y, clip):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x).float(), y)
    loss.backward()
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return loss


# BENCH_DEVICE=cuda (scripts/device-check.sh): the same loop on the GPU, synchronised per repeat.
DEVICE = os.environ.get("BENCH_DEVICE", "cpu")


def sync():
    if DEVICE != "cpu":
        torch.cuda.synchronize()


def cmd_run(a, spec):
    torch.set_num_threads(a.threads)
    torch.manual_seed(spec.get("seed", 1))
    model = build(spec).to(DEVICE)
    model.train()
    opt = make_optimizer(model, spec)
    x, y = (t.to(DEVICE) for t in synthetic_batch(spec))
    clip = spec.get("gradClip", 1.0)
    for _ in range(a.warmup):
        train_step(model, opt, x, y, clip)
    rates = []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            train_step(model, opt, x, y, clip)
        sync()
        rates.append(a.steps / (time.perf_counter() - t0))
    print(json.dumps({"stepsPerSec": rates, "threads": torch.get_num_threads(),
                      "params": sum(p.numel() for p in model.parameters()), "torch": torch.__version__}))


def cmd_params(a, spec):
    model = build(spec)
    print(json.dumps({"count": sum(p.numel() for p in model.parameters()),
                      "params": [[n, list(p.shape)] for n, p in model.named_parameters()]}))


def read_tensors(path):
    """Minimal safetensors reader (F32 / I64 / I32), the format bench-step.js writes."""
    with open(path, "rb") as f:
        raw = f.read()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + hlen])
    body = memoryview(raw)[8 + hlen:]
    dt = {"F32": torch.float32, "I64": torch.int64, "I32": torch.int32}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        s, t = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(body[s:t]), dtype=dt[e["dtype"]]).reshape(e["shape"]).clone() \
            if t > s else torch.empty(e["shape"], dtype=dt[e["dtype"]])
    return out


def cmd_verify(a, spec):
    """Loads the addon's initial weights and batch, reports the loss before and after one step
    (the JS side compares them with the addon's own numbers)."""
    torch.set_num_threads(1)
    model = build(spec)
    weights = read_tensors(os.path.join(a.dir, "weights.safetensors"))
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        print(json.dumps({"error": "state mismatch", "missing": missing, "unexpected": unexpected}))
        return
    batch = read_tensors(os.path.join(a.dir, "batch.safetensors"))
    x = batch["x"].long() if spec["model"]["type"] != "mlp" else batch["x"]
    y = batch["y"].long()
    opt = make_optimizer(model, spec)
    model.train()
    loss0 = train_step(model, opt, x, y, spec.get("gradClip", 1.0)).item()
    with torch.no_grad():
        loss1 = F.cross_entropy(model(x).float(), y).item()
    print(json.dumps({"lossBefore": loss0, "lossAfter": loss1}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["run", "params", "verify"])
    p.add_argument("--spec", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--dir")
    a = p.parse_args()
    spec = json.loads(a.spec)
    {"run": cmd_run, "params": cmd_params, "verify": cmd_verify}[a.cmd](a, spec)


if __name__ == "__main__":
    sys.exit(main())
