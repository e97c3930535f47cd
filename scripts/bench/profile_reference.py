#!/usr/bin/env python3
"""Where a step's time goes, measured on the PyTorch side of the same LibTorch (diagnostics for
docs/benchmarks.md; not a benchmark table):
  1. the cost of one at::set_num_threads(T) call (torch.set_num_threads), which the addon makes at
     the start of every step (CallScope in native/core/trainer.cc);
  2. the MLP step with and without that call per step;
  3. the MLP step split into zero_grad / forward / backward / clip / AdamW.
  /usr/bin/python3 scripts/bench/profile_reference.py [THREADS...]
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import step_reference as R  # noqa: E402

SPEC = {"model": {"type": "mlp", "inputDim": 64, "hiddenSizes": [256, 256], "numClasses": 10}, "batchSize": 32}


def steps_per_sec(threads, per_step_set, n=400):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    m = R.build(SPEC)
    opt = R.make_optimizer(m, SPEC)
    x, y = R.synthetic_batch(SPEC)
    for _ in range(50):
        R.train_step(m, opt, x, y, 1.0)
    t0 = time.perf_counter()
    for _ in range(n):
        if per_step_set:
            torch.set_num_threads(threads)
        R.train_step(m, opt, x, y, 1.0)
    return n / (time.perf_counter() - t0)


def phases(threads, n=400):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    m = R.build(SPEC)
    opt = R.make_optimizer(m, SPEC)
    x, y = R.synthetic_batch(SPEC)
    for _ in range(50):
        R.train_step(m, opt, x, y, 1.0)
    acc = dict(zero=0.0, forward=0.0, backward=0.0, clip=0.0, adamw=0.0)
    for _ in range(n):
        t = [time.perf_counter()]
        opt.zero_grad(set_to_none=True)
        t.append(time.perf_counter())
        loss = F.cross_entropy(m(x).float(), y)
        t.append(time.perf_counter())
        loss.backward()
        t.append(time.perf_counter())
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        t.append(time.perf_counter())
        opt.step()
        t.append(time.perf_counter())
        for i, k in enumerate(acc):
            acc[k] += t[i + 1] - t[i]
    return {k: round(v / n * 1e6) for k, v in acc.items()}


def main():
    threads = [int(a) for a in sys.argv[1:]] or [1, 2]
    out = {"torch": torch.__version__, "blas": os.environ.get("LD_LIBRARY_PATH", "system")}
    for t in threads:
        torch.set_num_threads(t)
        t0 = time.perf_counter()
        for _ in range(200):
            torch.set_num_threads(t)
        out[f"set_num_threads({t}) us/call"] = round((time.perf_counter() - t0) / 200 * 1e6, 1)
        out[f"mlp steps/s threads {t}"] = round(steps_per_sec(t, False), 1)
        out[f"mlp steps/s threads {t}, set_num_threads every step"] = round(steps_per_sec(t, True), 1)
        out[f"mlp phases us threads {t}"] = phases(t)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
