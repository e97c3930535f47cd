/**
 * The native optimizer against PyTorch itself: the same MLP weights, batch and hyper-parameters
 * run through torch.optim.AdamW / SGD(nesterov) with clip_grad_norm_ in Debian's python torch
 * (tests/native/torch-reference.py). Skipped when the addon or /usr/bin/python3 with torch is missing.
 * TRAIN_NATIVE_REFERENCE_PYTHON names another Python (CI's pip-torch part: the torch the addon was built against).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { readSafetensorsFile, writeSafetensorsFile } from '../../lib/checkpoint/safetensors';
import { createSession } from '../../lib/native';
import { classificationBatch, nativeAvailable } from './helpers';

const PY = process.env.TRAIN_NATIVE_REFERENCE_PYTHON || '/usr/bin/python3';
const hasTorch = fs.existsSync(PY) && spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

(nativeAvailable && hasTorch ? describe : describe.skip)('optimizer matches torch.optim', () => {
  it.each([
    ['adamw', 1e-2, 1.0],
    ['adamw', 3e-3, 0],
    ['sgd', 5e-2, 0.5],
  ] as Array<['adamw' | 'sgd', number, number]>)('%s lr %p clip %p: 5 steps agree with PyTorch', async (opt, lr, clip) => {
    const t = await createSession({
      model: { type: 'mlp', inputDim: 6, numClasses: 3, hiddenSizes: [16, 8] },
      optimizer: { name: opt, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
      gradClip: clip,
      threads: 1,
      seed: 3,
    });
    try {
      const batch = classificationBatch(32, 6, 3, 1);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tref-'));
      const init = await t.getState();
      writeSafetensorsFile(path.join(dir, 'in.safetensors'), {
        tensors: [
          ...init,
          { name: 'batch.features', dtype: 'F32', shape: [32, 6], data: new Uint8Array((batch.features as Float32Array).buffer) },
          { name: 'batch.labels', dtype: 'I32', shape: [32], data: new Uint8Array((batch.labels as Int32Array).buffer) },
        ],
      });
      for (let s = 0; s < 5; s++) await t.step(batch, { lrs: { default: lr } });
      const r = spawnSync(PY, [path.join(__dirname, 'torch-reference.py'), path.join(dir, 'in.safetensors'), path.join(dir, 'out.safetensors'), opt, '5', String(lr), String(clip)], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const ref = new Map(readSafetensorsFile(path.join(dir, 'out.safetensors')).tensors.map((e) => [e.name, e]));
      let maxRel = 0;
      for (const e of await t.getState()) {
        const a = new Float32Array(e.data.slice().buffer);
        const b = new Float32Array(ref.get(e.name)!.data.slice().buffer);
        let diff = 0;
        let scale = 0;
        for (let i = 0; i < a.length; i++) {
          diff = Math.max(diff, Math.abs(a[i] - b[i]));
          scale = Math.max(scale, Math.abs(b[i]));
        }
        maxRel = Math.max(maxRel, diff / scale);
      }
      // Against the same LibTorch build (Debian's) the result is bit-exact (maxRel 0); the tolerance
      // leaves room for a python torch built differently from the addon's LibTorch.
      expect(maxRel).toBeLessThan(1e-6);
      fs.rmSync(dir, { recursive: true });
    } finally {
      await t.dispose();
    }
  });
});
