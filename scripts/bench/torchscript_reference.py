"""The PyTorch side of scripts/bench-torchscript.js: the same TorchScript module trained in the
loop a PyTorch user writes — a shuffled permutation per epoch, AdamW, warmup + cosine LambdaLR,
clip_grad_norm_ 1.0, the loss read every 16 steps — for E epochs. Prints {"seconds", "steps"}."""
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

module_path, data_dir, epochs, batch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(1)
t0 = time.perf_counter()
model = torch.jit.load(module_path)
model.train()
x = torch.from_numpy(np.load(data_dir + "/features.npy"))
y = torch.from_numpy(np.load(data_dir + "/labels.npy")).long()
n = x.shape[0]
steps_per_epoch = n // batch
total = steps_per_epoch * epochs
warmup = max(1, total // 20)
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
sched = torch.optim.lr_scheduler.LambdaLR(
    opt, lambda s: (s + 1) / warmup if s < warmup else 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * (s - warmup) / max(1, total - warmup)))
)
g = torch.Generator().manual_seed(1)
step = 0
for epoch in range(epochs):
    perm = torch.randperm(n, generator=g)
    for k in range(steps_per_epoch):
        idx = perm[k * batch:(k + 1) * batch]
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        if step % 16 == 0:
            loss.item()
torch.save(model.state_dict(), "/dev/null")
print(json.dumps({"seconds": time.perf_counter() - t0, "steps": step}))
