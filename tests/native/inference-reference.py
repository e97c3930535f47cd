"""The Python side of tests/native/inference.test.ts: python/train_native_torch.py loads a run and
predicts an .npy input (mlp features / transformer tokens), or generates greedily from prompt ids.
Prints one JSON document on stdout."""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import train_native_torch as tnt  # noqa: E402

torch.set_num_threads(1)
mode, source = sys.argv[1], sys.argv[2]
model, card = tnt.load(source)
if mode == "predict":
    x = np.load(sys.argv[3])
    t = torch.from_numpy(x) if card["model"]["type"] == "mlp" else torch.from_numpy(x.astype(np.int64))
    out = tnt.predict(model, t)
    print(json.dumps({"shape": list(out.shape), "values": out.reshape(-1).tolist()}))
elif mode == "generate":
    prompt = json.loads(sys.argv[3])
    n = int(sys.argv[4])
    ctx = max(1, min(card["model"]["tokenLimit"], card["data"]["width"] - 1))
    print(json.dumps({"tokens": tnt.generate(model, prompt, max_new_tokens=n, temperature=0, context_length=ctx), "torch": torch.__version__}))
else:
    raise SystemExit("unknown mode %s" % mode)
