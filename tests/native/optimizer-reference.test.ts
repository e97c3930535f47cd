/**
 * The flat-bucket optimizer against torch.optim (tests/native/optimizer-reference.py) where a
 * flat-buffer bug would show: parameters of odd sizes (1, 7, 25, 33, 175, 231, 1000, 1320
 * elements, so a vectorised kernel's tail falls elsewhere than in a per-tensor run), three groups
 * with their own weight decay and per-step LRs, a parameter frozen for the first steps and one
 * frozen mid-run (their per-parameter step counts then differ from the others', as torch.optim
 * keeps them), and the optimizer state exported and imported into a fresh trainer mid-run.
 * Final parameters and every moment are compared bit for bit when the python torch is the
 * addon's own LibTorch (the same shared libraries), else to 1e-6.
 * Python: TRAIN_NATIVE_REFERENCE_PYTHON, default /usr/bin/python3 (Debian's torch); skipped
 * without it or the addon.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { readSafetensorsFile, writeSafetensorsFile } from '../../lib/checkpoint/safetensors';
import { createSession, loadNative } from '../../lib/native';
import type { NativeBatch, NativeSession, NativeSessionOptions, TensorEntry } from '../../lib/native';
import { classificationBatch, nativeAvailable, regressionBatch } from './helpers';

const PY = process.env.TRAIN_NATIVE_REFERENCE_PYTHON ?? '/usr/bin/python3';
const probe = fs.existsSync(PY)
  ? spawnSync(PY, ['-c', 'import torch,os; print(os.path.realpath(os.path.join(os.path.dirname(torch.__file__), "lib"))); print([l.split()[-1] for l in open("/proc/self/maps") if "libtorch_cpu" in l][0])'], { encoding: 'utf8' })
  : undefined;
const hasTorch = probe?.status === 0;

/** True when python's torch loads the very libtorch_cpu the addon was linked against. */
function sameLibTorch(): boolean {
  const loaded = path.dirname(fs.realpathSync(probe!.stdout.trim().split('\n')[1]));
  loadNative(); // maps the addon's libtorch_cpu into this process
  const ours = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.includes('libtorch_cpu'))?.split(' ').pop();
  return ours !== undefined && loaded === path.dirname(fs.realpathSync(ours));
}

interface PlanStep {
  lrs: Record<string, number>;
  frozen: string[];
  batch: number;
}

const GROUPS = [
  { name: 'head', patterns: ['head.*'], weightDecay: 0 },
  { name: 'mid', patterns: ['layers.1.*'], weightDecay: 0.1 },
];

/** 9 steps: layers.0.* frozen for steps 0-2, layers.2.* for steps 5-6; LRs change every step. */
function planSteps(): PlanStep[] {
  return Array.from({ length: 9 }, (_, s) => ({
    lrs: { head: 0.004 + 0.001 * s, mid: 0.01 / (1 + s), default: s < 2 ? 0.002 : 0.006 },
    frozen: [...(s < 3 ? ['layers.0.*'] : []), ...(s === 5 || s === 6 ? ['layers.2.*'] : [])],
    batch: s % 3,
  }));
}

async function runSteps(t: NativeSession, steps: PlanStep[], batches: NativeBatch[]): Promise<void> {
  for (const s of steps) {
    if (s.frozen.length) await t.setTrainable(s.frozen, false);
    await t.step(batches[s.batch], { lrs: s.lrs });
    if (s.frozen.length) await t.setTrainable(s.frozen, true);
  }
}

const asF32 = (e: TensorEntry): Float32Array => new Float32Array(e.data.slice().buffer);

type Case = [string, 'adamw' | 'sgd', 'classification' | 'regression', boolean, number];

const exact = nativeAvailable && hasTorch && sameLibTorch();

(nativeAvailable && hasTorch ? describe : describe.skip)(`flat optimizer matches torch.optim (groups, odd sizes, freezing, resume; ${exact ? 'bit-exact: python runs the addon\'s LibTorch' : 'to 1e-6: another LibTorch'})`, () => {
  it.each<Case>([
    ['adamw classification, clip', 'adamw', 'classification', false, 1.0],
    ['adamw regression (a 1-element bias), state exported and imported at step 4', 'adamw', 'regression', true, 0],
    ['sgd nesterov classification, state exported and imported at step 4', 'sgd', 'classification', true, 0.5],
    ['sgd momentum regression', 'sgd', 'regression', false, 0],
  ])('%s', async (_title, opt, task, resume, clip) => {
    const options: NativeSessionOptions = {
      model: { type: 'mlp', task, inputDim: 7, hiddenSizes: [33, 40, 25], ...(task === 'classification' ? { numClasses: 7 } : { outputDim: 1 }) },
      optimizer: { name: opt, weightDecay: 0.01, betas: [0.9, 0.999], eps: 1e-8, momentum: 0.9, nesterov: opt === 'sgd' && task === 'classification' },
      groups: GROUPS,
      gradClip: clip,
      threads: 1,
      seed: 5,
    };
    const batches = [0, 1, 2].map((i) => (task === 'classification' ? classificationBatch(24, 7, 7, 10 + i) : regressionBatch(24, 7, 10 + i)));
    const steps = planSteps();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optref-'));
    let t = await createSession(options);
    try {
      const init = await t.getState();
      writeSafetensorsFile(path.join(dir, 'in.safetensors'), {
        tensors: [
          ...init,
          ...batches.flatMap((b, i) => [
            { name: `batch.${i}.features`, dtype: 'F32', shape: [24, 7], data: new Uint8Array((b.features as Float32Array).buffer) },
            { name: `batch.${i}.labels`, dtype: task === 'classification' ? 'I32' : 'F32', shape: [24], data: new Uint8Array((b.labels as Int32Array | Float32Array).buffer) },
          ]),
        ],
      });
      if (resume) {
        await runSteps(t, steps.slice(0, 4), batches);
        const weights = await t.getState();
        const state = await t.getOptimizerState();
        await t.dispose();
        t = await createSession(options);
        await t.setState(weights);
        await t.setOptimizerState(state);
        await runSteps(t, steps.slice(4), batches);
      } else {
        await runSteps(t, steps, batches);
      }
      const plan = { task, optimizer: { name: opt, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, momentum: 0.9, nesterov: options.optimizer!.nesterov }, groups: GROUPS, steps, clip };
      fs.writeFileSync(path.join(dir, 'plan.json'), JSON.stringify(plan));
      const r = spawnSync(PY, [path.join(__dirname, 'optimizer-reference.py'), path.join(dir, 'plan.json'), path.join(dir, 'in.safetensors'), path.join(dir, 'out.safetensors')], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const ref = new Map(readSafetensorsFile(path.join(dir, 'out.safetensors')).tensors.map((e) => [e.name, e]));
      const ours = new Map([...(await t.getState()), ...(await t.getOptimizerState())].map((e) => [e.name, e]));
      // SGD keeps no step count in torch.optim; the addon's `.step` entries are checked for AdamW.
      const compared = [...ours.keys()].filter((k) => k !== '__step__' && !(opt === 'sgd' && k.endsWith('.step'))).sort();
      expect(compared).toEqual([...ref.keys()].sort());
      for (const name of compared) {
        const a = ours.get(name)!;
        const b = ref.get(name)!;
        expect([name, a.shape]).toEqual([name, b.shape]);
        if (name.endsWith('.step')) {
          expect([name, new BigInt64Array(a.data.slice().buffer)[0]]).toEqual([name, new BigInt64Array(b.data.slice().buffer)[0]]);
          continue;
        }
        const x = asF32(a);
        const y = asF32(b);
        if (exact) {
          let differ = 0;
          for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) differ++;
          expect([name, differ]).toEqual([name, 0]);
        } else {
          let diff = 0;
          let scale = 0;
          for (let i = 0; i < x.length; i++) {
            diff = Math.max(diff, Math.abs(x[i] - y[i]));
            scale = Math.max(scale, Math.abs(y[i]));
          }
          expect([name, diff / Math.max(scale, 1e-30) < 1e-6]).toEqual([name, true]);
        }
      }
      // the step counts really diverged: layers.0 missed 3 steps, layers.2 two
      if (opt === 'adamw') {
        const stepOf = (n: string): bigint => new BigInt64Array(ours.get(`${n}.step`)!.data.slice().buffer)[0];
        expect([stepOf('layers.0.weight'), stepOf('layers.1.weight'), stepOf('layers.2.bias')]).toEqual([6n, 9n, 7n]);
      }
    } finally {
      await t.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
