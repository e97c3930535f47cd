/**
 * Using a trained model (SPEC §12), as a user would: four small runs are trained (CSV with string
 * labels, npy regression, a transformer on token sequences, a character gpt), then loaded back
 * through loadModel and the CLI. Predictions are checked against python/train_native_torch.py
 * (Debian's torch, or TRAIN_NATIVE_REFERENCE_PYTHON), evaluate() against the metrics the run
 * logged at the same checkpoint, and generation for determinism and against a cache-free greedy
 * decode in PyTorch.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadModel, train, type ClassPrediction, type RegressionPrediction } from '../../lib';
import { encodeNpy } from '../../lib/inference/output';
import { nativeAvailable, rng } from './helpers';
import { CLI, readJsonLines, tmpDir, trainCli, writeConfig } from './train-helpers';

const PY = process.env.TRAIN_NATIVE_REFERENCE_PYTHON || '/usr/bin/python3';
const hasTorch = fs.existsSync(PY) && spawnSync(PY, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;

const CLASSES = ['setosa', 'versicolor', 'virginica'];
const FEATURES = ['f_a', 'f_b', 'f_c', 'f_d'];

/** Rows of a 3-class problem: the class is the argmax of three of the four features, plus noise. */
function csvRows(n: number, seed: number, columns: string[]): string {
  const r = rng(seed);
  const lines = [columns.join(',')];
  for (let i = 0; i < n; i++) {
    const f = FEATURES.map(() => Number((r() * 2 - 1).toFixed(4)));
    const c = [0, 1, 2].reduce((b, k) => (f[k] > f[b] ? k : b), 0);
    const row: Record<string, string> = { label: CLASSES[c], note: `n${i}` };
    FEATURES.forEach((name, k) => (row[name] = String(f[k])));
    lines.push(columns.map((col) => row[col]).join(','));
  }
  return `${lines.join('\n')}\n`;
}

function runPython(args: string[]): Record<string, unknown> {
  const r = spawnSync(PY, [path.join(__dirname, 'inference-reference.py'), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`inference-reference.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

const base = (dir: string, name: string): Record<string, unknown> => ({
  EXPERIMENT: { NAME: name, OUTPUT_DIR: path.join(dir, 'runs'), SEED: 3 },
  LR_SCHEDULER: { NAME: 'cosine', BASE_LR: 0.01, WARMUP_STEPS: 2 },
  TRAIN: { EPOCHS: 3, DEVICE: 'cpu', THREADS: 1 },
  SCHEDULE: { VALIDATION: { INTERVAL_EPOCHS: 1 }, CHECKPOINT: { INTERVAL_EPOCHS: 1, KEEP_LAST_N: 5 } },
  LOGGING: { PROGRESS: 'none', TENSORBOARD: false },
});

(nativeAvailable ? describe : describe.skip)('using a trained model', () => {
  const dir = tmpDir('tn-infer-');
  const runs = { csv: '', npy: '', seq: '', gpt: '' };
  const text = 'the quick brown fox jumps over the lazy dog. '.repeat(60);

  beforeAll(async () => {
    fs.writeFileSync(path.join(dir, 'train.csv'), csvRows(300, 1, [...FEATURES, 'label', 'note']));
    // Evaluation / prediction files: columns in another order, an extra column, a subset of classes possible.
    fs.writeFileSync(path.join(dir, 'test.csv'), csvRows(90, 2, ['note', 'label', 'f_d', 'f_c', 'f_b', 'f_a']));
    fs.writeFileSync(path.join(dir, 'missing.csv'), csvRows(5, 3, ['f_a', 'f_b', 'f_c', 'label']));

    const npy = path.join(dir, 'reg');
    fs.mkdirSync(npy);
    const r = rng(9);
    const n = 256;
    const x = Float32Array.from({ length: n * 5 }, () => r() * 2 - 1);
    const y = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      y[2 * i] = x[5 * i] - 0.5 * x[5 * i + 1];
      y[2 * i + 1] = x[5 * i + 2] * x[5 * i + 3];
    }
    fs.writeFileSync(path.join(npy, 'features.npy'), encodeNpy(x, [n, 5]));
    fs.writeFileSync(path.join(npy, 'labels.npy'), encodeNpy(y, [n, 2]));
    fs.writeFileSync(path.join(dir, 'text.txt'), text);

    const configs: Record<keyof typeof runs, Record<string, unknown>> = {
      csv: { ...base(dir, 'csv'), DATA: { SOURCE: 'csv', TRAIN_PATH: 'train.csv', VAL_FRACTION: 0.2, BATCH_SIZE: 16, FEATURES: FEATURES.join(',') }, MODEL: { TYPE: 'mlp', HIDDEN_SIZES: [32] } },
      npy: { ...base(dir, 'npy'), DATA: { SOURCE: 'npy', TRAIN_PATH: 'reg', VAL_FRACTION: 0.25, BATCH_SIZE: 32 }, MODEL: { TYPE: 'mlp', TASK: 'regression', HIDDEN_SIZES: [16] } },
      seq: {
        ...base(dir, 'seq'),
        DATA: { SOURCE: 'synthetic:sequence', TRAIN_SAMPLES: 256, VAL_FRACTION: 0.25, BATCH_SIZE: 32, BLOCK_SIZE: 16 },
        MODEL: { TYPE: 'transformer', D_MODEL: 32, NUM_HEADS: 2, NUM_LAYERS: 1, TOKEN_LIMIT: 32 },
      },
      gpt: {
        ...base(dir, 'gpt'),
        TRAIN: { EPOCHS: 25, DEVICE: 'cpu', THREADS: 1 },
        DATA: { SOURCE: 'text', TRAIN_PATH: 'text.txt', VAL_FRACTION: 0.1, BATCH_SIZE: 16, BLOCK_SIZE: 24 },
        MODEL: { TYPE: 'gpt', D_MODEL: 32, NUM_HEADS: 2, NUM_LAYERS: 2, TOKEN_LIMIT: 64 },
      },
    };
    for (const key of Object.keys(configs) as (keyof typeof runs)[]) {
      const res = await train({ configFile: writeConfig(dir, configs[key], `${key}.yaml`), cwd: dir });
      runs[key] = res.runDir;
    }
    // Inputs as .npy files: the test CSV's features in the trained column order, and token rows.
    const lines = fs.readFileSync(path.join(dir, 'test.csv'), 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    const features = Float32Array.from(lines.slice(1).flatMap((l) => FEATURES.map((f) => Number(l.split(',')[header.indexOf(f)]))));
    fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy(features, [90, 4]));
    const vocab = (JSON.parse(fs.readFileSync(path.join(runs.seq, 'assets', 'model.json'), 'utf8')) as { model: { vocabSize: number } }).model.vocabSize;
    const t = rng(4);
    fs.writeFileSync(path.join(dir, 'tokens.npy'), encodeNpy(Int32Array.from({ length: 8 * 16 }, () => Math.floor(t() * vocab)), [8, 16]));
  }, 240_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads from a run directory, a checkpoint folder and the best / latest markers', async () => {
    const best = fs.readFileSync(path.join(runs.csv, 'checkpoints', 'best'), 'utf8').trim();
    const latest = fs.readFileSync(path.join(runs.csv, 'checkpoints', 'latest'), 'utf8').trim();
    const cases: Array<[string, object, string]> = [
      [runs.csv, {}, best],
      [runs.csv, { checkpoint: 'latest' }, latest],
      [runs.csv, { checkpoint: 'step-00000015' }, 'step-00000015'],
      [path.join(runs.csv, 'checkpoints', 'best'), {}, best],
      [path.join(runs.csv, 'checkpoints', 'latest'), {}, latest],
      [path.join(runs.csv, 'checkpoints', latest), {}, latest],
    ];
    for (const [source, opts, want] of cases) {
      const m = await loadModel(source, opts);
      expect(path.basename(m.info.checkpoint)).toBe(want);
      expect(m.info.labels).toEqual(CLASSES);
      await m.dispose();
    }
    await expect(loadModel(path.join(dir, 'nope'))).rejects.toThrow(/no such file or folder/);
  });

  it('predicts class ids, CSV label names and probabilities, from a file or arrays', async () => {
    const m = await loadModel(runs.csv);
    try {
      const preds = (await m.predict(path.join(dir, 'test.csv'))) as ClassPrediction[];
      expect(preds).toHaveLength(90);
      for (const p of preds) {
        expect(p.label).toBe(CLASSES[p.classId]);
        expect(Array.from(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(Math.max(...p.probabilities)).toBe(p.probabilities[p.classId]);
      }
      // The same rows as arrays (the file's columns reordered into the trained order).
      const lines = fs.readFileSync(path.join(dir, 'test.csv'), 'utf8').trim().split('\n');
      const header = lines[0].split(',');
      const features = Float32Array.from(lines.slice(1).flatMap((l) => FEATURES.map((f) => Number(l.split(',')[header.indexOf(f)]))));
      const fromArrays = (await m.predict({ features, shape: [90, 4] })) as ClassPrediction[];
      expect(fromArrays.map((p) => p.classId)).toEqual(preds.map((p) => p.classId));
      const acc = preds.filter((p, i) => p.label === lines[i + 1].split(',')[1]).length / 90;
      expect(acc).toBeGreaterThan(0.6);
    } finally {
      await m.dispose();
    }
  });

  it('predicts regression values from an npy file or folder', async () => {
    const m = await loadModel(runs.npy);
    try {
      const preds = (await m.predict(path.join(dir, 'reg', 'features.npy'), { batchSize: 100 })) as RegressionPrediction[];
      expect(preds).toHaveLength(256);
      expect(preds[0].values).toHaveLength(2);
      const folder = (await m.predict(path.join(dir, 'reg'))) as RegressionPrediction[];
      expect(folder.map((p) => Array.from(p.values))).toEqual(preds.map((p) => Array.from(p.values)));
    } finally {
      await m.dispose();
    }
  });

  it('predicts a transformer on token arrays', async () => {
    const m = await loadModel(runs.seq);
    try {
      const r = rng(4);
      const vocab = m.card.model.vocabSize ?? 0;
      const tokens = Int32Array.from({ length: 8 * 16 }, () => Math.floor(r() * vocab));
      const preds = (await m.predict({ tokens, shape: [8, 16] })) as ClassPrediction[];
      expect(preds).toHaveLength(8);
      const fromFile = (await m.predict(path.join(dir, 'tokens.npy'))) as ClassPrediction[];
      expect(fromFile.map((p) => Array.from(p.probabilities))).toEqual(preds.map((p) => Array.from(p.probabilities)));
    } finally {
      await m.dispose();
    }
  });

  it("evaluate() on the run's validation data equals what the run logged at that checkpoint, with a confusion matrix", async () => {
    for (const key of ['csv', 'npy', 'gpt'] as const) {
      const m = await loadModel(runs[key]);
      try {
        const e = await m.evaluate();
        const logged = readJsonLines(path.join(runs[key], 'metrics.jsonl')).find((r) => r.split === 'val' && r.step === m.info.step);
        expect(logged).toBeDefined();
        for (const [k, v] of Object.entries(e.metrics)) expect(v).toBe(logged?.[k]);
        if (key === 'csv') {
          const cm = e.confusionMatrix as number[][];
          expect(e.labels).toEqual(CLASSES);
          expect(cm.flat().reduce((a, b) => a + b, 0)).toBe(e.count);
          expect(cm.reduce((a, row, i) => a + row[i], 0) / e.count).toBeCloseTo(e.metrics.accuracy, 12);
        }
      } finally {
        await m.dispose();
      }
    }
  });

  it('evaluates another CSV with reordered columns, mapping string labels by name', async () => {
    const m = await loadModel(runs.csv);
    try {
      const e = await m.evaluate(path.join(dir, 'test.csv'));
      const preds = (await m.predict(path.join(dir, 'test.csv'))) as ClassPrediction[];
      const truth = fs.readFileSync(path.join(dir, 'test.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[1]);
      const correct = preds.filter((p, i) => p.label === truth[i]).length;
      expect(e.count).toBe(90);
      expect(e.metrics.accuracy).toBeCloseTo(correct / 90, 12);
      const cm = e.confusionMatrix as number[][];
      CLASSES.forEach((c, i) => expect(cm[i].reduce((a, b) => a + b, 0)).toBe(truth.filter((t) => t === c).length));
    } finally {
      await m.dispose();
    }
  });

  it('generates: the same seed gives the same text, stop strings end it, one generation at a time', async () => {
    const m = await loadModel(runs.gpt);
    try {
      const collect = async (opts: object): Promise<{ tokens: number[]; text: string }> => {
        const tokens: number[] = [];
        let t = '';
        for await (const g of m.generate('the quick', opts)) {
          tokens.push(g.token);
          t += g.text ?? '';
        }
        return { tokens, text: t };
      };
      const a = await collect({ maxNewTokens: 60, seed: 5, temperature: 0.9, topK: 20 });
      const b = await collect({ maxNewTokens: 60, seed: 5, temperature: 0.9, topK: 20 });
      const c = await collect({ maxNewTokens: 60, seed: 6, temperature: 0.9, topK: 20 });
      expect(a.tokens).toHaveLength(60);
      expect(b).toEqual(a);
      expect(c.tokens).not.toEqual(a.tokens);
      const stopped = await collect({ maxNewTokens: 200, temperature: 0, stop: ['no such text', ' '] });
      expect(stopped.text.endsWith(' ')).toBe(true);
      expect(stopped.text.indexOf(' ')).toBe(stopped.text.length - 1);
      // Greedy over 40 tokens crosses the 23-position context twice (the cache is rebuilt).
      // One generation at a time per model.
      const first = m.generate('the', { maxNewTokens: 5 });
      await first.next();
      await expect(m.generate('the', { maxNewTokens: 5 }).next()).rejects.toThrow(/already generating/);
      await first.return();
    } finally {
      await m.dispose();
    }
  });

  // python/train_native_torch.py rebuilds each model and reproduces what the library predicts.
  (hasTorch ? describe : describe.skip)(`python/train_native_torch.py (${PY})`, () => {
    it.each([
      ['csv', 'x.npy'],
      ['npy', 'reg/features.npy'],
      ['seq', 'tokens.npy'],
    ] as const)('%s model: its outputs equal predict() within 1e-5', async (key, input) => {
      const m = await loadModel(runs[key]);
      try {
        const file = path.join(dir, input);
        const preds = await m.predict(file);
        const ours = preds.flatMap((p) => Array.from('probabilities' in p ? p.probabilities : p.values));
        const ref = runPython(['predict', runs[key], file]) as { values: number[] };
        expect(maxAbsDiff(ours, ref.values)).toBeLessThan(1e-5);
      } finally {
        await m.dispose();
      }
    });

    it('gpt: greedy decoding with the native key/value cache equals a PyTorch decode, across two cache rebuilds', async () => {
      const m = await loadModel(runs.gpt);
      try {
        const tokens: number[] = [];
        for await (const g of m.generate('the quick', { maxNewTokens: 40, temperature: 0 })) tokens.push(g.token);
        const ref = runPython(['generate', runs.gpt, JSON.stringify(Array.from(Buffer.from('the quick'))), '40']) as { tokens: number[] };
        expect(tokens).toEqual(ref.tokens);
      } finally {
        await m.dispose();
      }
    });
  });

  // The device check (scripts/device-check.sh) sets TRAIN_NATIVE_TEST_CUDA=1 on a GPU machine.
  (process.env.TRAIN_NATIVE_TEST_CUDA === '1' ? it : it.skip)('CUDA: predictions and greedy generation equal the CPU ones', async () => {
    for (const key of ['csv', 'seq'] as const) {
      const input = path.join(dir, key === 'csv' ? 'x.npy' : 'tokens.npy');
      const [cpu, gpu] = await Promise.all([loadModel(runs[key], { device: 'cpu' }), loadModel(runs[key], { device: 'cuda' })]);
      try {
        expect(gpu.info.device).toMatch(/^cuda/);
        const a = (await cpu.predict(input)).flatMap((p) => Array.from('probabilities' in p ? p.probabilities : p.values));
        const b = (await gpu.predict(input)).flatMap((p) => Array.from('probabilities' in p ? p.probabilities : p.values));
        expect(maxAbsDiff(a, b)).toBeLessThan(1e-4);
      } finally {
        await Promise.all([cpu.dispose(), gpu.dispose()]);
      }
    }
    const tokensOn = async (device: 'cpu' | 'cuda'): Promise<number[]> => {
      const m = await loadModel(runs.gpt, { device });
      const out: number[] = [];
      for await (const g of m.generate('the quick', { maxNewTokens: 30, temperature: 0 })) out.push(g.token);
      await m.dispose();
      return out;
    };
    expect(await tokensOn('cuda')).toEqual(await tokensOn('cpu'));
  });

  it('CLI: predict (CSV to stdout, .jsonl, .npy), evaluate --json, generate, --resume-from checkpoints/best', () => {
    const p = trainCli(['predict', runs.csv, '--input', path.join(dir, 'test.csv')]);
    expect(p.stderr).toBe('');
    expect(p.status).toBe(0);
    const lines = p.stdout.trim().split('\n');
    expect(lines[0]).toBe('index,label,class_id,prob_setosa,prob_versicolor,prob_virginica');
    expect(lines).toHaveLength(91);
    const [index, label, classId, ...probs] = lines[1].split(',');
    expect(index).toBe('0');
    expect(label).toBe(CLASSES[Number(classId)]);
    expect(probs.map(Number).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);

    const jsonl = path.join(dir, 'out', 'p.jsonl');
    expect(trainCli(['predict', runs.csv, '--input', path.join(dir, 'test.csv'), '--output', jsonl]).status).toBe(0);
    const rows = readJsonLines(jsonl);
    expect(rows).toHaveLength(90);
    expect(rows[0]).toEqual(expect.objectContaining({ index: 0, label, class_id: Number(classId) }));

    const npyOut = path.join(dir, 'out', 'p.npy');
    expect(trainCli(['predict', runs.npy, '--input', path.join(dir, 'reg'), '--output', npyOut]).status).toBe(0);
    if (hasTorch) {
      const r = spawnSync(PY, ['-c', `import numpy as np; a = np.load(${JSON.stringify(npyOut)}); print(a.dtype, a.shape)`], { encoding: 'utf8' });
      expect(r.stdout.trim()).toBe('float32 (256, 2)');
    }

    const e = trainCli(['evaluate', runs.csv, '--json']);
    expect(e.status).toBe(0);
    const doc = JSON.parse(e.stdout) as { metrics: Record<string, number>; labels: string[]; confusion_matrix: number[][] };
    expect(doc.labels).toEqual(CLASSES);
    expect(doc.confusion_matrix).toHaveLength(3);
    expect(Object.keys(doc.metrics)).toEqual(['loss', 'accuracy']);
    const human = trainCli(['evaluate', runs.csv, '--data', path.join(dir, 'test.csv')]);
    expect(human.status).toBe(0);
    expect(human.stdout).toMatch(/accuracy/);
    expect(human.stdout).toMatch(/confusion matrix/);
    expect(human.stdout).toMatch(/setosa/);

    const g = trainCli(['generate', runs.gpt, '--prompt', 'the lazy', '--max-new-tokens', '20', '--seed', '1']);
    expect(g.status).toBe(0);
    expect(g.stdout.startsWith('the lazy')).toBe(true);
    expect(Buffer.byteLength(g.stdout)).toBeGreaterThanOrEqual('the lazy'.length + 1);
    const again = trainCli(['generate', runs.gpt, '--prompt', 'the lazy', '--max-new-tokens', '20', '--seed', '1']);
    expect(again.stdout).toBe(g.stdout);

    // --resume-from accepts the best marker (it used to be refused as a file).
    const cfg = path.join(dir, 'csv.yaml');
    const resumed = trainCli([
      'train', cfg, '--resume-from', path.join(runs.csv, 'checkpoints', 'best'), '--set', 'TRAIN.EPOCHS=3', '--set', `EXPERIMENT.OUTPUT_DIR=${path.join(dir, 'runs2')}`, '--set', `DATA.TRAIN_PATH=${path.join(dir, 'train.csv')}`,
    ]);
    expect(resumed.stderr).not.toMatch(/not a folder|internal error/);
    expect(resumed.status).toBe(0);
  });

  it('CLI: bad input exits 2 with one line naming the column, the width or the model', () => {
    const cases: Array<[string[], RegExp]> = [
      [['predict', runs.csv, '--input', path.join(dir, 'missing.csv')], /no column 'f_d'/],
      [['predict', runs.npy, '--input', path.join(dir, 'tokens.npy')], /has 16 features per row; the model takes 5/],
      [['generate', runs.csv, '--prompt', 'hi'], /generate needs a gpt model/],
      [['predict', runs.gpt, '--input', path.join(dir, 'text.txt')], /gpt models generate/],
      [['predict', runs.csv, '--input', path.join(dir, 'test.csv'), '--output', 'x.parquet'], /--output must end in .csv, .jsonl or .npy/],
      [['evaluate', path.join(dir, 'nowhere')], /no such file or folder/],
      [['generate', runs.gpt, '--prompt', 'x', '--top-p', '0'], /topP must be in \(0, 1\]/],
    ];
    for (const [args, message] of cases) {
      const r = trainCli(args);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

// The CLI path the tests above use.
test('the CLI entry point exists', () => {
  expect(fs.existsSync(CLI)).toBe(true);
});
