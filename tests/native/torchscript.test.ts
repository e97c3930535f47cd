/**
 * MODEL.TYPE torchscript (SPEC §14), as a user runs it: examples/cnn/make_cnn.py writes a small
 * CNN with torch.jit.script, using the PyTorch that matches the LibTorch under test (Debian's
 * python3-torch, or TRAIN_NATIVE_REFERENCE_PYTHON); Node trains it on 8x8 digit-like images
 * (npy [N, 1, 8, 8]). Checked: it learns, a resume is bit-exact (BatchNorm buffers included),
 * evaluate() after loading equals the logged metrics (so the running statistics came back), the
 * exported module gives predict()'s outputs in Python, and mismatches exit 2 with the shapes.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Trainer, loadConfig, loadModel, type ClassPrediction } from '../../lib';
import { encodeNpy } from '../../lib/inference/output';
import { nativeAvailable, rng } from './helpers';
import { ROOT, checkpointNames, readJsonLines, tensors, tmpDir, trainCli, writeConfig } from './train-helpers';

const PY = process.env.TRAIN_NATIVE_REFERENCE_PYTHON || '/usr/bin/python3';
const hasTorch = fs.existsSync(PY) && spawnSync(PY, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;

/** Ten fixed 8x8 patterns plus noise: class k is pattern k. */
function digits(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const t = rng(1);
  const templates = Array.from({ length: 10 }, () => Float32Array.from({ length: 64 }, () => (t() > 0.6 ? 0.8 : 0)));
  const r = rng(seed);
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = Math.floor(r() * 10);
    for (let j = 0; j < 64; j++) x[i * 64 + j] = Math.min(1, Math.max(0, templates[y[i]][j] + (r() + r() + r() - 1.5) * 0.6));
  }
  return { x, y };
}

(nativeAvailable && hasTorch ? describe : describe.skip)(`MODEL.TYPE torchscript (module written by ${PY})`, () => {
  const dir = tmpDir('tn-ts-');
  const config = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    EXPERIMENT: { NAME: name, OUTPUT_DIR: path.join(dir, 'runs'), SEED: 5 },
    DATA: { SOURCE: 'npy', TRAIN_PATH: path.join(dir, 'digits'), VAL_FRACTION: 0.2, BATCH_SIZE: 32 },
    MODEL: { TYPE: 'torchscript', PATH: path.join(dir, 'cnn.pt'), INPUT: 'features', TASK: 'classification' },
    LR_SCHEDULER: { NAME: 'cosine', BASE_LR: 0.003, WARMUP_STEPS: 5 },
    TRAIN: { EPOCHS: 3, DEVICE: 'cpu', THREADS: 1 },
    SCHEDULE: { CHECKPOINT: { INTERVAL_EPOCHS: 1, KEEP_LAST_N: 5 } },
    LOGGING: { PROGRESS: 'none', TENSORBOARD: false, HISTOGRAM_INTERVAL_EPOCHS: 1 },
    ...extra,
  });

  beforeAll(() => {
    const make = spawnSync(PY, [path.join(ROOT, 'examples', 'cnn', 'make_cnn.py'), path.join(dir, 'cnn.pt')], { encoding: 'utf8' });
    expect(make.stderr).toBe('');
    spawnSync(PY, [path.join(ROOT, 'examples', 'cnn', 'make_cnn.py'), path.join(dir, 'cnn5.pt'), '--classes', '5'], { encoding: 'utf8' });
    const { x, y } = digits(640, 2);
    fs.mkdirSync(path.join(dir, 'digits'));
    fs.writeFileSync(path.join(dir, 'digits', 'features.npy'), encodeNpy(x, [640, 1, 8, 8]));
    fs.writeFileSync(path.join(dir, 'digits', 'labels.npy'), encodeNpy(y, [640]));
    fs.mkdirSync(path.join(dir, 'flat'));
    fs.writeFileSync(path.join(dir, 'flat', 'features.npy'), encodeNpy(x, [640, 64]));
    fs.writeFileSync(path.join(dir, 'flat', 'labels.npy'), encodeNpy(y, [640]));
    fs.writeFileSync(path.join(dir, 'garbage.pt'), 'not a torchscript file');
  });

  it('trains from the CLI, well above chance, on the module state_dict names (BatchNorm buffers in the checkpoint)', () => {
    const r = trainCli(['train', writeConfig(dir, config('cnn'), 'cnn.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const run = path.join(dir, 'runs', 'cnn');
    const val = readJsonLines(path.join(run, 'metrics.jsonl')).filter((m) => m.split === 'val');
    expect(Number(val[val.length - 1].accuracy)).toBeGreaterThan(0.8);
    const names = [...tensors(run, checkpointNames(run).pop() as string).keys()];
    expect(names).toEqual(expect.arrayContaining(['conv1.weight', 'bn1.weight', 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked', 'head.bias']));
    expect(fs.existsSync(path.join(run, 'assets', 'model.pt'))).toBe(true);
  }, 120_000);

  it('resumes bit-exactly, weights and BatchNorm statistics', async () => {
    const run = async (name: string, abortAt?: number, resume = false): Promise<string> => {
      const file = writeConfig(dir, config(name, { TRAIN: { EPOCHS: 3, DEVICE: 'cpu', THREADS: 1, AUTO_RESUME: resume } }), `${name}.yaml`);
      const controller = new AbortController();
      const t = new Trainer({ config: loadConfig({ file }).config, signal: controller.signal, runDir: path.join(dir, 'runs', name) });
      if (abortAt !== undefined) t.on('step', (e) => e.step === abortAt && controller.abort());
      return (await t.run()).runDir;
    };
    const straight = await run('straight');
    await run('resumed', 16);
    const resumed = await run('resumed', undefined, true);
    const last = checkpointNames(straight).pop() as string;
    expect(checkpointNames(resumed)).toContain(last);
    const a = tensors(straight, last);
    const b = tensors(resumed, last);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, v] of a) expect({ k, same: Buffer.compare(v, b.get(k) as Buffer) === 0 }).toEqual({ k, same: true });
  }, 120_000);

  it('loads back: evaluate equals the logged metrics, and the exported module gives predict()\'s outputs in Python', async () => {
    const run = path.join(dir, 'runs', 'cnn');
    const m = await loadModel(run);
    try {
      const e = await m.evaluate();
      const logged = readJsonLines(path.join(run, 'metrics.jsonl')).find((r) => r.split === 'val' && r.step === m.info.step);
      expect(e.metrics.loss).toBe(logged?.loss);
      expect(e.metrics.accuracy).toBe(logged?.accuracy);
      const preds = (await m.predict(path.join(dir, 'digits', 'features.npy'))) as ClassPrediction[];
      const out = path.join(dir, 'exported.pt');
      const ex = trainCli(['export', run, '--torchscript', out]);
      expect(ex.status).toBe(0);
      const py = spawnSync(
        PY,
        ['-c', 'import sys, json, numpy as np, torch; m = torch.jit.load(sys.argv[1]); x = torch.from_numpy(np.load(sys.argv[2])); print(json.dumps([m.training, torch.softmax(m(x), -1).detach().reshape(-1).tolist()]))', out, path.join(dir, 'digits', 'features.npy')],
        { encoding: 'utf8' },
      );
      expect(py.stderr).toBe('');
      const [training, values] = JSON.parse(py.stdout) as [boolean, number[]];
      expect(training).toBe(false);
      const ours = preds.flatMap((p) => Array.from(p.probabilities));
      let d = 0;
      for (let i = 0; i < ours.length; i++) d = Math.max(d, Math.abs(ours[i] - values[i]));
      expect(d).toBeLessThan(1e-5);
    } finally {
      await m.dispose();
    }
  }, 120_000);

  it('refuses, with exit 2 and the shapes, a module that does not fit the data or is not TorchScript', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ MODEL: { TYPE: 'torchscript', PATH: path.join(dir, 'cnn5.pt'), TASK: 'classification' } }, /output has shape \[2, 5\] for a batch of 2; classification needs \[2, 10\]/],
      [{ DATA: { SOURCE: 'npy', TRAIN_PATH: path.join(dir, 'flat'), VAL_FRACTION: 0.2, BATCH_SIZE: 32 } }, /MODEL\.PATH: .*cnn\.pt: forward on a batch of shape \[2, 64\] failed/],
      [{ MODEL: { TYPE: 'torchscript', PATH: path.join(dir, 'garbage.pt'), TASK: 'classification' } }, /cannot load TorchScript module .*garbage\.pt with LibTorch \d+\.\d+/],
      [{ MODEL: { TYPE: 'torchscript', TASK: 'classification' } }, /MODEL\.PATH: missing/],
    ];
    for (const [extra, message] of cases) {
      const r = trainCli(['train', writeConfig(dir, config('bad', extra), 'bad.yaml')]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 2, stderr: expect.stringMatching(message) });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 120_000);
});
