#!/usr/bin/env python3
"""The plain PyTorch side of scripts/bench-train.js: the job `train-native train` runs, written the
way a user writes it in PyTorch.

  data        train/ and val/ npy folders (features.npy, labels.npy), loaded with numpy, batched by a
              DataLoader over a TensorDataset (shuffle, drop_last, no workers)
  model       the same modules as native/core/models.cc (scripts/bench/step_reference.py)
  optimizer   torch.optim.AdamW (its default implementation for this torch)
  schedule    LambdaLR, per step: linear warmup from 0, then cosine to MIN_LR
  each step   zero_grad, forward, cross_entropy, backward, clip_grad_norm_(1.0), step, scheduler
  every 16    train loss and LR to TensorBoard (SummaryWriter) — or, where tensorboard is not
              importable (Debian's python3), to a CSV file, so the loss is still read back
  each epoch  a validation pass (loss, accuracy) and a torch.save checkpoint (model, optimizer,
              scheduler, epoch, step)

Prints one JSON line: parameter count, steps, intra-op threads, torch version, the logger used.
scripts/bench/train_lightning.py imports the pieces shared with the Lightning version.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from step_reference import Mlp, Transformer  # noqa: E402  (the models.cc mirror, one place)


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--spec", required=True, help="JSON: {model: {...models.cc spec}, batchSize, baseLr, minLr, "
                                                 "warmupFraction, weightDecay, gradClip, logEvery, seed}")
    p.add_argument("--data", required=True, help="folder holding train/ and val/ npy folders")
    p.add_argument("--out", required=True, help="run folder (checkpoints, logs)")
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--threads", type=int, required=True)
    return p.parse_args()


def build_model(spec):
    m = spec["model"]
    return Mlp(m) if m["type"] == "mlp" else Transformer(m)


def load_split(folder, model_type):
    x = np.load(os.path.join(folder, "features.npy"))
    y = np.load(os.path.join(folder, "labels.npy"))
    # Token ids index an Embedding, which wants int64; features stay float32.
    xt = torch.from_numpy(x.astype(np.int64) if model_type != "mlp" else x.astype(np.float32))
    return torch.utils.data.TensorDataset(xt, torch.from_numpy(y.astype(np.int64)))


def loaders(spec, data_dir):
    kind, b = spec["model"]["type"], spec["batchSize"]
    train = load_split(os.path.join(data_dir, "train"), kind)
    val = load_split(os.path.join(data_dir, "val"), kind)
    return (torch.utils.data.DataLoader(train, batch_size=b, shuffle=True, drop_last=True),
            torch.utils.data.DataLoader(val, batch_size=b, shuffle=False))


def make_optimizer(model, spec):
    return torch.optim.AdamW(model.parameters(), lr=spec["baseLr"], weight_decay=spec["weightDecay"])


def warmup_cosine(spec, total_steps):
    """LR multiplier for step k: train-native's `cosine` with WARMUP_FRACTION (lib/schedule/lr/curves.ts)."""
    warmup = max(1, round(spec["warmupFraction"] * total_steps))
    floor = spec["minLr"] / spec["baseLr"]

    def factor(k):
        if k < warmup:
            return k / warmup
        p = min(1.0, (k - warmup) / max(1, total_steps - warmup))
        return floor + (1 - floor) * (1 + math.cos(math.pi * p)) / 2

    return factor


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def param_shapes(model):
    """{name: shape}: bench-train.js compares it with the tensors of train-native's checkpoint."""
    return {n: list(p.shape) for n, p in model.named_parameters()}


class LossLog:
    """SummaryWriter where tensorboard imports, else a CSV file (the loss is read back either way)."""

    def __init__(self, folder):
        os.makedirs(folder, exist_ok=True)
        try:
            from torch.utils.tensorboard import SummaryWriter
            self.writer, self.kind = SummaryWriter(folder), "tensorboard"
        except ImportError:
            self.writer, self.kind = open(os.path.join(folder, "train.csv"), "w"), "csv (no tensorboard)"

    def scalar(self, tag, value, step):
        if self.kind == "tensorboard":
            self.writer.add_scalar(tag, value, step)
        else:
            self.writer.write(f"{step},{tag},{value}\n")

    def close(self):
        self.writer.close()


def validate(model, loader):
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            total += F.cross_entropy(out, y, reduction="sum").item()
            correct += (out.argmax(1) == y).sum().item()
            n += y.numel()
    model.train()
    return total / n, correct / n


def main():
    a = parse_args("plain PyTorch training loop (scripts/bench-train.js)")
    spec = json.loads(a.spec)
    torch.set_num_threads(a.threads)
    torch.manual_seed(spec["seed"])
    train_loader, val_loader = loaders(spec, a.data)
    model = build_model(spec)
    model.train()
    opt = make_optimizer(model, spec)
    total = a.epochs * len(train_loader)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine(spec, total))
    log = LossLog(os.path.join(a.out, "tensorboard"))
    ckpt_dir = os.path.join(a.out, "checkpoints")
    os.makedirs(ckpt_dir, exist_ok=True)
    step = 0
    for epoch in range(1, a.epochs + 1):
        for x, y in train_loader:
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), spec["gradClip"])
            opt.step()
            sched.step()
            step += 1
            if step % spec["logEvery"] == 0:
                log.scalar("train/loss", loss.item(), step)
                log.scalar("train/lr", sched.get_last_lr()[0], step)
        val_loss, val_acc = validate(model, val_loader)
        log.scalar("val/loss", val_loss, step)
        log.scalar("val/accuracy", val_acc, step)
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                    "epoch": epoch, "step": step}, os.path.join(ckpt_dir, f"epoch-{epoch:03d}.pt"))
        print(f"epoch {epoch}: val_loss {val_loss:.4f} val_accuracy {val_acc:.4f}", file=sys.stderr)
    log.close()
    print(json.dumps({"params": param_count(model), "shapes": param_shapes(model), "steps": step, "threads": torch.get_num_threads(),
                      "torch": torch.__version__, "logger": log.kind}))


if __name__ == "__main__":
    main()
