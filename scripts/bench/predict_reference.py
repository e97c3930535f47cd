"""The PyTorch side of scripts/bench-predict.js: the same trained runs loaded into PyTorch with
python/train_native_torch.py, then what a Python service would run — eager mode under
torch.no_grad(): batch-1 softmax latency (a numpy row in, probabilities out), batch-1024
throughput, and generation with a key/value cache (tnt.generate). Prints one JSON line."""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import train_native_torch as tnt  # noqa: E402

mlp_run, gpt_run, threads, iters, new_tokens = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
device = sys.argv[6] if len(sys.argv) > 6 else "cpu"
# Reading the probabilities back (.cpu().numpy()) synchronises the GPU, as a service must.
torch.set_num_threads(threads)
out = {"threads": threads, "torch": torch.__version__}

mlp, card = tnt.load(mlp_run, map_location=device)
dim = card["model"]["inputDim"]
rng = np.random.default_rng(1)
one = rng.random((1, dim), dtype=np.float32) - 0.5
with torch.no_grad():
    for _ in range(200):
        torch.softmax(mlp(torch.from_numpy(one).to(device)), -1).cpu().numpy()
    lat = []
    for _ in range(iters):
        t0 = time.perf_counter()
        torch.softmax(mlp(torch.from_numpy(one).to(device)), -1).cpu().numpy()
        lat.append((time.perf_counter() - t0) * 1e3)
    lat.sort()
    out["batch1P50Ms"] = lat[int(len(lat) * 0.5)]
    out["batch1P99Ms"] = lat[int(len(lat) * 0.99)]
    big = rng.random((1024, dim), dtype=np.float32) - 0.5
    for _ in range(5):
        torch.softmax(mlp(torch.from_numpy(big).to(device)), -1).cpu().numpy()
    per = []
    for _ in range(30):
        t0 = time.perf_counter()
        torch.softmax(mlp(torch.from_numpy(big).to(device)), -1).cpu().numpy()
        per.append(time.perf_counter() - t0)
    out["batch1024RowsPerS"] = 1024 / statistics.median(per)

gpt, gcard = tnt.load(gpt_run, map_location=device)
ctx = gcard["data"]["width"] - 1
prompt = list("ROMEO: ".encode("utf-8"))
tnt.generate(gpt, prompt, max_new_tokens=32, seed=0, context_length=ctx)
rates = []
for r in range(3):
    t0 = time.perf_counter()
    ids = tnt.generate(gpt, prompt, max_new_tokens=new_tokens, seed=r + 1, context_length=ctx)
    rates.append(len(ids) / (time.perf_counter() - t0))
out["gptTokensPerS"] = statistics.median(rates)
print(json.dumps(out))
