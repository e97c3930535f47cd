"""Rebuild a train-native model in PyTorch.

One self-contained file, shipped with the train-native npm package (``python/train_native_torch.py``).
It needs only ``torch`` (plus ``safetensors`` if installed; a small reader of its own is used
otherwise). It rebuilds the three built-in architectures (``mlp``, ``transformer``, ``gpt``) — or loads a
``torchscript`` run's own module from ``assets/model.pt`` — from a run directory's model card (``assets/model.json``, written next to ``config.yaml`` at training time:
the model settings of config.yaml with every size the data revealed filled in) and loads a
checkpoint's ``model.safetensors`` into them under the same parameter names. From there the model
goes wherever PyTorch goes (ONNX, TorchScript, Hugging Face, your own serving code)::

    import train_native_torch as tnt
    model, card = tnt.load("runs/digits")            # best checkpoint; or a checkpoint folder
    probs = tnt.predict(model, torch.tensor(x))        # classification: softmax probabilities
    text = tnt.generate_text(model, card, "Once upon", max_new_tokens=100, seed=0)

Numerics follow the native core: pre-LayerNorm blocks, exact GELU, attention scaled by
1/sqrt(head_dim) with masked scores set to -1e30, mean pooling over non-padding positions.
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["load", "load_card", "resolve_source", "build_model", "read_safetensors", "predict", "generate", "generate_text"]

_MASK_VALUE = -1e30


# ---- model card, sources and weights -------------------------------------------------------

def load_card(run_dir):
    """The model card of a run directory (assets/model.json) as a dict."""
    with open(os.path.join(run_dir, "assets", "model.json"), encoding="utf-8") as f:
        card = json.load(f)
    if card.get("format") != "train-native-model":
        raise ValueError("%s/assets/model.json is not a train-native model card" % run_dir)
    return card


def _marker(path):
    with open(path, encoding="utf-8") as f:
        name = f.read().strip()
    return os.path.join(os.path.dirname(path), name)


def resolve_source(source, checkpoint="best"):
    """(run_dir, checkpoint_dir) of a run directory, a checkpoint folder or a checkpoints/best|latest file."""
    source = os.path.abspath(source)
    if os.path.isfile(source):
        ckpt = _marker(source)
        return os.path.dirname(os.path.dirname(ckpt)), ckpt
    if os.path.exists(os.path.join(source, "manifest.json")):
        return os.path.dirname(os.path.dirname(source)), source
    checkpoints = os.path.join(source, "checkpoints")
    if checkpoint not in ("best", "latest"):
        return source, os.path.join(checkpoints, checkpoint)
    for name in (["best", "latest"] if checkpoint == "best" else ["latest"]):
        if os.path.isfile(os.path.join(checkpoints, name)):
            return source, _marker(os.path.join(checkpoints, name))
    steps = sorted(d for d in os.listdir(checkpoints) if d.startswith("step-"))
    if not steps:
        raise FileNotFoundError("no checkpoint in %s" % checkpoints)
    return source, os.path.join(checkpoints, steps[-1])


_DTYPES = {
    "F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
}


def read_safetensors(path):
    """{name: tensor} of a .safetensors file (the safetensors package when present, else a reader of its own)."""
    try:
        from safetensors.torch import load_file
    except ImportError:
        load_file = None
    if load_file is not None:
        return load_file(path)
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        begin, end = meta["data_offsets"]
        dtype = _DTYPES[meta["dtype"]]
        raw = bytearray(body[begin:end])
        t = torch.frombuffer(raw, dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(meta["shape"]).clone()
    return out


# ---- the architectures ---------------------------------------------------------------------

def _attention(q, k, v, key_pad=None, causal=False):
    # q, k, v: [B, H, N, Dh]; key_pad: bool [B, Nk], True = padding.
    scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(q.size(-1)))
    mask = None
    if key_pad is not None:
        mask = key_pad[:, None, None, :]
    if causal:
        nq, nk = q.size(2), k.size(2)
        qi = torch.arange(nk - nq, nk, device=q.device)[:, None]
        ki = torch.arange(nk, device=q.device)[None, :]
        c = (ki > qi)[None, None]
        mask = c if mask is None else (mask | c)
    if mask is not None:
        scores = scores.masked_fill(mask, _MASK_VALUE)
    return torch.matmul(torch.softmax(scores, dim=-1), v)


class Attention(nn.Module):
    def __init__(self, d, heads, causal):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x, key_pad=None, cache=None):
        b, n, d = x.shape
        split = lambda t: t.view(b, n, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        if cache is not None:
            # cache: dict with "k", "v" of earlier positions ([B, H, T, Dh]) — extended in place.
            if "k" in cache:
                k = torch.cat([cache["k"], k], dim=2)
                v = torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        y = _attention(q, k, v, key_pad, self.causal and n > 1)
        return self.out_proj(y.transpose(1, 2).contiguous().view(b, n, d))


class FeedForward(nn.Module):
    def __init__(self, d, ff):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, ff), nn.Linear(ff, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, d, heads, ff, causal):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = Attention(d, heads, causal)
        self.ln2 = nn.LayerNorm(d)
        self.ff = FeedForward(d, ff)

    def forward(self, x, key_pad=None, cache=None):
        x = x + self.attn(self.ln1(x), key_pad, cache)
        return x + self.ff(self.ln2(x))


class Encoder(nn.Module):
    def __init__(self, m, causal):
        super().__init__()
        d = m["dModel"]
        ff = m["ffDim"] if m.get("ffDim", 0) > 0 else 4 * d
        self.embed = nn.Embedding(m["vocabSize"], d)
        self.pos_embed = nn.Embedding(m["tokenLimit"], d)
        self.layers = nn.ModuleList(Block(d, m["numHeads"], ff, causal) for _ in range(m["numLayers"]))
        self.ln_f = nn.LayerNorm(d)

    def forward(self, tokens, key_pad=None, caches=None, start=0):
        n = tokens.size(1)
        pos = torch.arange(start, start + n, device=tokens.device)
        x = self.embed(tokens) + self.pos_embed(pos)[None]
        for i, layer in enumerate(self.layers):
            x = layer(x, key_pad, None if caches is None else caches[i])
        return self.ln_f(x)


class MLP(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.task = m["task"]
        sizes = [m["inputDim"]] + list(m.get("hiddenSizes", []))
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        out = m["numClasses"] if m["task"] == "classification" else m.get("outputDim", 1)
        self.head = nn.Linear(sizes[-1], out)

    def forward(self, features):
        x = features
        for layer in self.layers:
            x = torch.relu(layer(x))
        return self.head(x)


class Transformer(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.task = m["task"]
        self.meta_dim = m.get("metaDim", 0)
        self.pad_id = m.get("padTokenId", -1)
        self.encoder = Encoder(m, causal=False)
        if self.meta_dim > 0:
            self.meta_proj = nn.Linear(2 * self.meta_dim, m["dModel"])
        out = m["numClasses"] if m["task"] == "classification" else m.get("outputDim", 1)
        self.head = nn.Linear(m["dModel"], out)
        if m.get("maskedTokenHead", False):
            self.mlm_head = nn.Linear(m["dModel"], m["vocabSize"])

    def forward(self, tokens, meta=None, meta_mask=None):
        pad = tokens.eq(self.pad_id) if self.pad_id >= 0 else None
        h = self.encoder(tokens, pad)
        if pad is not None:
            keep = (~pad).unsqueeze(-1).to(h.dtype)
            pooled = (h * keep).sum(1) / keep.sum(1).clamp_min(1.0)
        else:
            pooled = h.mean(1)
        if self.meta_dim > 0:
            b = tokens.size(0)
            if meta is None:
                meta = torch.zeros(b, self.meta_dim, device=h.device)
            keep = meta_mask if meta_mask is not None else (torch.ones_like(meta) if meta is not None else torch.zeros_like(meta))
            pooled = pooled + self.meta_proj(torch.cat([meta * keep, keep], 1))
        return self.head(pooled)


class GPT(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.encoder = Encoder(m, causal=True)
        self.lm_head = nn.Linear(m["dModel"], m["vocabSize"], bias=False)

    def forward(self, tokens, caches=None, start=0):
        """Logits [B, N, V]; with `caches` (one dict per layer) the keys and values are kept for decoding."""
        return self.lm_head(self.encoder(tokens, None, caches, start))


def build_model(card, run_dir=None):
    """The architecture with fresh weights; a torchscript run's module comes from its run directory."""
    m = card["model"]
    kind = m["type"]
    if kind == "torchscript":
        if run_dir is None:
            raise ValueError("a torchscript model is loaded from its run directory: build_model(card, run_dir)")
        module = torch.jit.load(os.path.join(run_dir, m["scriptPath"]), map_location="cpu")
        module.task = m["task"]
        return module
    if kind == "mlp":
        return MLP(m)
    if kind == "transformer":
        return Transformer(m)
    if kind == "gpt":
        return GPT(m)
    raise ValueError("unknown model type %r" % kind)


def load(source, checkpoint="best", map_location="cpu"):
    """(model in eval mode, card) from a run directory, a checkpoint folder or a checkpoints/best file."""
    run_dir, ckpt = resolve_source(source, checkpoint)
    card = load_card(run_dir)
    model = build_model(card, run_dir)
    state = read_safetensors(os.path.join(ckpt, "model.safetensors"))
    model.load_state_dict(state, strict=True)
    return model.to(map_location).eval(), card


# ---- using it --------------------------------------------------------------------------------

@torch.no_grad()
def predict(model, inputs, meta=None):
    """Classification: softmax probabilities [B, C]; regression: values [B, O]. mlp takes float
    features [B, D]; transformer takes integer tokens [B, N] (and metadata [B, M])."""
    if isinstance(model, GPT):
        raise TypeError("gpt models generate; use generate()")
    if isinstance(model, torch.jit.ScriptModule):
        out = model(inputs)
        return torch.softmax(out.float(), -1) if model.task == "classification" else out.float()
    out = model(inputs) if isinstance(model, MLP) else model(inputs.long(), meta)
    return torch.softmax(out.float(), -1) if model.task == "classification" else out.float()


@torch.no_grad()
def generate(model, prompt, max_new_tokens=200, temperature=1.0, top_k=0, top_p=1.0, seed=None, context_length=None):
    """Token ids after `prompt` (a list of ids), sampled with a key/value cache. temperature 0 = greedy.
    Sampling draws from a torch.Generator of its own; its stream is not the native one's, so equal
    seeds give equal text within one implementation, not across the two."""
    gen = torch.Generator()
    if seed is not None:
        gen.manual_seed(seed)
    device = next(model.parameters()).device
    limit = model.encoder.pos_embed.num_embeddings
    ctx = min(limit, context_length or limit)
    window = list(prompt)[-ctx:]
    out = []

    def prefill(tokens):
        caches = [dict() for _ in model.encoder.layers]
        logits = model(torch.tensor([tokens], device=device), caches, 0)[0, -1]
        return caches, logits

    caches, logits = prefill(window)
    length = len(window)
    for _ in range(max_new_tokens):
        token = _sample(logits.float().cpu(), temperature, top_k, top_p, gen)
        out.append(token)
        window.append(token)
        if length < ctx:
            logits = model(torch.tensor([[token]], device=device), caches, length)[0, -1]
            length += 1
        else:
            window = window[-max(1, ctx // 2):]
            caches, logits = prefill(window)
            length = len(window)
    return out


def _sample(logits, temperature, top_k, top_p, gen):
    if temperature <= 0:
        return int(logits.argmax())
    logits = logits / temperature
    if 0 < top_k < logits.numel():
        kth = torch.topk(logits, top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        values, order = logits.sort(descending=True)
        probs = torch.softmax(values, 0)
        drop = (probs.cumsum(0) - probs) >= top_p
        logits = logits.scatter(0, order, values.masked_fill(drop, float("-inf")))
    return int(torch.multinomial(torch.softmax(logits, 0), 1, generator=gen))


def generate_text(model, card, prompt, **kw):
    """Text data (DATA.SOURCE text): the prompt's UTF-8 bytes in, the continuation decoded out."""
    kw.setdefault("context_length", max(1, min(card["model"]["tokenLimit"], card["data"]["width"] - 1)))
    ids = generate(model, list(prompt.encode("utf-8")), **kw)
    return bytes(ids).decode("utf-8", errors="replace")


def _main(argv):
    import argparse

    p = argparse.ArgumentParser(description="Load a train-native run into PyTorch and report it.")
    p.add_argument("source", help="run directory, checkpoint folder or checkpoints/best file")
    p.add_argument("--checkpoint", default="best")
    args = p.parse_args(argv)
    model, card = load(args.source, args.checkpoint)
    n = sum(t.numel() for t in model.parameters())
    task = "language model" if card["model"]["type"] == "gpt" else card["model"]["task"]
    print("%s (%s): %d parameters, loaded from %s" % (card["model"]["type"], task, n, resolve_source(args.source, args.checkpoint)[1]))


if __name__ == "__main__":
    _main(sys.argv[1:])
