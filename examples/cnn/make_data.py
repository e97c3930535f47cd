"""Writes 8x8 digit images for examples/cnn/config.yaml as an npy folder: features.npy
(float32 [N, 1, 8, 8], values 0..1) and labels.npy (int64 [N]). scikit-learn's bundled digits
(1797 real handwritten digits) when it is installed; otherwise noisy copies of ten fixed
patterns, so the example runs with torch and numpy alone.

    python3 examples/cnn/make_data.py examples/cnn/data
"""
import os
import sys

import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "data")
os.makedirs(out, exist_ok=True)
try:
    from sklearn.datasets import load_digits

    d = load_digits()
    x, y = (d.images / 16.0).astype(np.float32), d.target.astype(np.int64)
    what = "scikit-learn digits"
except ImportError:
    rng = np.random.default_rng(0)
    templates = rng.random((10, 8, 8)) > 0.6
    y = rng.integers(0, 10, 2000)
    x = np.clip(templates[y] * 0.8 + rng.normal(0, 0.45, (2000, 8, 8)), 0, 1).astype(np.float32)
    what = "synthetic digit patterns"
np.save(os.path.join(out, "features.npy"), x[:, None, :, :])
np.save(os.path.join(out, "labels.npy"), y)
print("wrote %d %s to %s" % (len(y), what, out))
