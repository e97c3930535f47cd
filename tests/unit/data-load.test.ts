/** loadData: npy folders, VAL_FRACTION hold-out, synthetic sources, checks against MODEL. */
import * as crypto from 'crypto';
import type { TrainNativeConfig } from '../../lib/config/types';
import { loadData } from '../../lib/data/load';
import type { DataBatch, Dataset } from '../../lib/data/types';
import type { NativeBatch } from '../../lib/native/types';
import { expectError, f4, i4, i8, npyBytes, tmpDir, writeFiles } from '../fixtures/data/helpers';
import { makeConfig } from './helpers/make-config';

function all(ds: Dataset): DataBatch {
  return ds.gather(Array.from({ length: ds.size }, (_, i) => i));
}

function npyConfig(data: Record<string, unknown> = {}, model: Record<string, unknown> = {}, seed = 42): TrainNativeConfig {
  return makeConfig({ EXPERIMENT: { SEED: seed }, DATA: { SOURCE: 'npy', TRAIN_PATH: 'data/train', ...data }, MODEL: model });
}

/** A folder of N samples: features[i] = [i, 10 i], labels = i % 3, optional extras. */
function npyFolder(n: number, extra: Record<string, Uint8Array> = {}): string {
  const dir = tmpDir();
  const feats: number[] = [];
  for (let i = 0; i < n; i++) feats.push(i, 10 * i);
  writeFiles(dir, {
    'data/train/features.npy': npyBytes('<f4', [n, 2], f4(feats)),
    'data/train/labels.npy': npyBytes('<i8', [n], i8(Array.from({ length: n }, (_, i) => i % 3))),
    ...extra,
  });
  return dir;
}

function digest(b: DataBatch): string {
  const h = crypto.createHash('sha256');
  for (const a of [b.features, b.tokens, b.labels, b.meta, b.groups]) if (a) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

describe('DataBatch', () => {
  test('is assignable to NativeBatch (compile-time) and gather copies rows in index order', () => {
    const dir = npyFolder(4);
    const { train } = loadData(npyConfig(), { baseDir: dir });
    const b = train.gather([3, 1]);
    const native: NativeBatch = b; // fails to compile if the shapes drift apart
    expect(native.batchSize).toBe(2);
    expect(b.features).toEqual(new Float32Array([3, 30, 1, 10]));
    expect(b.labels).toEqual(new Int32Array([0, 1]));
    b.features?.fill(-1);
    expect(train.gather([3]).features).toEqual(new Float32Array([3, 30])); // a copy, not a view
  });
});

describe('npy source', () => {
  test('features, labels, meta components in DATA.META_COMPONENTS order, default groups.npy', () => {
    const dir = npyFolder(3, {
      'data/train/meta_TIME.npy': npyBytes('<f8', [3], new Uint8Array(new Float64Array([0.1, 0.2, 0.3]).buffer)),
      'data/train/meta_PLACE.npy': npyBytes('<f4', [3, 2], f4([1, 2, 3, 4, 5, 6])),
      'data/train/groups.npy': npyBytes('<i4', [3], i4([5, -1, 5])),
    });
    const { train, val, description } = loadData(npyConfig({ META_COMPONENTS: ['TIME', 'PLACE'] }), { baseDir: dir });
    expect(val).toBeNull();
    expect(train.size).toBe(3);
    expect(train.numClasses).toBe(3);
    expect(train.metaDim).toBe(3);
    expect(train.metaComponents).toEqual([
      { name: 'TIME', offset: 0, width: 1 },
      { name: 'PLACE', offset: 1, width: 2 },
    ]);
    expect(train.hasGroups).toBe(true);
    const b = all(train);
    expect(b.meta).toEqual(new Float32Array([0.1, 1, 2, 0.2, 3, 4, 0.3, 5, 6]));
    expect(b.groups).toEqual(new Int32Array([5, -1, 5]));
    expect(description).toContain('npy data/train: 3 samples x 2 features, 3 classes, metadata TIME[1] PLACE[2], mixup groups; no validation data');
  });

  test('more than 2 feature axes are flattened for mlp; integer [N, L] is tokens for transformer', () => {
    const dir = tmpDir();
    writeFiles(dir, {
      'data/train/features.npy': npyBytes('|u1', [2, 2, 2], new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])),
      'data/train/labels.npy': npyBytes('|u1', [2], new Uint8Array([0, 1])),
    });
    const mlp = loadData(npyConfig(), { baseDir: dir }).train;
    expect(mlp.kind).toBe('features');
    expect(mlp.width).toBe(4);
    writeFiles(dir, { 'data/train/features.npy': npyBytes('<i4', [2, 3], i4([1, 2, 3, 9, 8, 7])) });
    const tr = loadData(npyConfig({}, { TYPE: 'transformer' }), { baseDir: dir }).train;
    expect(tr.kind).toBe('tokens');
    expect(tr.width).toBe(3);
    expect(tr.vocabSize).toBe(10);
    expect(tr.gather([1]).tokens).toEqual(new Int32Array([9, 8, 7]));
  });

  test('gpt needs no labels; regression reads [N, K] float targets', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'data/train/features.npy': npyBytes('<i8', [2, 2], i8([1, 2, 3, 4])) });
    expect(loadData(npyConfig({}, { TYPE: 'gpt' }), { baseDir: dir }).train.labelKind).toBe('none');
    writeFiles(dir, {
      'data/train/features.npy': npyBytes('<f4', [2, 1], f4([1, 2])),
      'data/train/labels.npy': npyBytes('<f4', [2, 2], f4([0.5, 1.5, 2.5, 3.5])),
    });
    const r = loadData(npyConfig({}, { TASK: 'regression' }), { baseDir: dir }).train;
    expect(r.outputDim).toBe(2);
    expect(all(r).labels).toEqual(new Float32Array([0.5, 1.5, 2.5, 3.5]));
  });

  test('missing features / labels / meta / named groups say what the folder should contain', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'data/train/x.npy': npyBytes('<f4', [1, 1], f4([1])) });
    expectError(() => loadData(npyConfig(), { baseDir: dir }), 'DataError', 'data error: data/train/features.npy: file not found; the npy folder data/train should contain features.npy');
    const d2 = npyFolder(2);
    expectError(() => loadData(npyConfig({ LABELS: 'y.npy' }), { baseDir: d2 }), 'DataError', 'data/train/y.npy: file not found; the npy folder data/train should contain y.npy (MODEL.TASK classification needs labels; DATA.LABELS names it)');
    expectError(() => loadData(npyConfig({ META_COMPONENTS: ['TIME'] }), { baseDir: d2 }), 'DataError', 'data/train/meta_TIME.npy: file not found', 'DATA.META_COMPONENTS lists TIME');
    expectError(() => loadData(npyConfig({ GROUPS: 'g.npy' }), { baseDir: d2 }), 'DataError', 'data/train/g.npy: file not found');
    expectError(() => loadData(npyConfig({ TRAIN_PATH: 'nowhere' }), { baseDir: d2 }), 'DataError', 'data error: nowhere: folder not found');
  });

  test('N mismatch between arrays', () => {
    const dir = npyFolder(3, { 'data/train/labels.npy': npyBytes('<i4', [2], i4([0, 1])) });
    expectError(() => loadData(npyConfig(), { baseDir: dir }), 'DataError', 'data/train/labels.npy: has shape (2,) but data/train/features.npy has 3 samples');
  });

  test('float labels for classification', () => {
    const dir = npyFolder(2, { 'data/train/labels.npy': npyBytes('<f4', [2], f4([0, 1])) });
    expectError(() => loadData(npyConfig(), { baseDir: dir }), 'DataError', 'data error: data/train/labels.npy: labels for MODEL.TASK classification must be integers, got <f4');
  });

  test('labels out of range: negative, or >= MODEL.NUM_CLASSES', () => {
    const neg = npyFolder(2, { 'data/train/labels.npy': npyBytes('<i4', [2], i4([0, -1])) });
    expectError(() => loadData(npyConfig(), { baseDir: neg }), 'DataError', 'data/train/labels.npy: class labels must be >= 0, got -1 at sample 1');
    const dir = npyFolder(4); // labels 0, 1, 2, 0
    expectError(() => loadData(npyConfig({}, { NUM_CLASSES: 2 }), { baseDir: dir }), 'DataError', 'data error: data/train: has class label 2 but MODEL.NUM_CLASSES is 2 (labels must be 0..1)');
    expect(loadData(npyConfig({}, { NUM_CLASSES: 3 }), { baseDir: dir }).train.numClasses).toBe(3);
  });

  test('NaN / Inf in features', () => {
    const dir = npyFolder(2, { 'data/train/features.npy': npyBytes('<f4', [2, 2], f4([1, 2, 3, NaN])) });
    expectError(() => loadData(npyConfig(), { baseDir: dir }), 'DataError', 'data/train/features.npy: features contain NaN at sample 1, column 1; every value must be finite');
    writeFiles(dir, { 'data/train/features.npy': npyBytes('<f4', [2, 2], f4([1, Infinity, 3, 4])) });
    expectError(() => loadData(npyConfig(), { baseDir: dir }), 'DataError', 'features contain Infinity at sample 0, column 1');
  });

  test('MODEL.INPUT_DIM differing from the data', () => {
    const dir = npyFolder(2);
    expectError(() => loadData(npyConfig({}, { INPUT_DIM: 3 }), { baseDir: dir }), 'DataError', 'data/train: has 2 features per sample but MODEL.INPUT_DIM is 3');
  });

  test('token ids >= MODEL.VOCAB_SIZE and sequences longer than TOKEN_LIMIT', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'data/train/features.npy': npyBytes('<i4', [1, 4], i4([1, 2, 3, 20])) });
    expectError(() => loadData(npyConfig({}, { TYPE: 'gpt', VOCAB_SIZE: 20 }), { baseDir: dir }), 'DataError', 'has token id 20 but MODEL.VOCAB_SIZE is 20');
    expectError(() => loadData(npyConfig({}, { TYPE: 'gpt', TOKEN_LIMIT: 3 }), { baseDir: dir }), 'DataError', 'has sequences of 4 tokens but MODEL.TOKEN_LIMIT is 3');
    writeFiles(dir, { 'data/train/features.npy': npyBytes('<f4', [1, 2], f4([1, 2])) });
    expectError(() => loadData(npyConfig({}, { TYPE: 'gpt' }), { baseDir: dir }), 'DataError', 'token ids for MODEL.TYPE gpt must be integers, got <f4');
  });

  test('VAL_PATH must have the training layout', () => {
    const dir = npyFolder(3, {
      'data/val/features.npy': npyBytes('<f4', [1, 3], f4([1, 2, 3])),
      'data/val/labels.npy': npyBytes('<i4', [1], i4([0])),
    });
    expectError(() => loadData(npyConfig({ VAL_PATH: 'data/val' }), { baseDir: dir }), 'DataError', 'data error: data/val: features per sample is 3 here but 2 in the training data data/train; both splits need the same layout');
  });

  test('missing TRAIN_PATH is a ConfigError on DATA.TRAIN_PATH', () => {
    const c = makeConfig({ DATA: { SOURCE: 'npy' } });
    expectError(() => loadData(c, { baseDir: tmpDir() }), 'ConfigError', 'config error: DATA.TRAIN_PATH: DATA.SOURCE npy reads files: set DATA.TRAIN_PATH');
  });
});

describe('VAL_FRACTION hold-out', () => {
  test('disjoint, complete, round(f · N) held out, seeded', () => {
    const dir = npyFolder(50);
    const a = loadData(npyConfig({ VAL_FRACTION: 0.23 }), { baseDir: dir });
    const ids = (ds: Dataset): number[] => Array.from(all(ds).features ?? []).filter((_, k) => k % 2 === 0);
    const tr = ids(a.train);
    const va = ids(a.val as Dataset);
    expect(va.length).toBe(12); // round(0.23 * 50) = 11.5 → 12
    expect(tr.length).toBe(38);
    expect([...tr, ...va].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(tr).toEqual([...tr].sort((x, y) => x - y)); // file order kept within a split
    expect(va).not.toEqual(Array.from({ length: 12 }, (_, i) => 38 + i)); // random, not the tail
    // labels travel with their samples
    expect(Array.from(all(a.val as Dataset).labels ?? [])).toEqual(va.map((i) => i % 3));
    // same seed → same split; another seed → another split
    expect(ids(loadData(npyConfig({ VAL_FRACTION: 0.23 }), { baseDir: dir }).val as Dataset)).toEqual(va);
    expect(ids(loadData(npyConfig({ VAL_FRACTION: 0.23 }, {}, 7), { baseDir: dir }).val as Dataset)).not.toEqual(va);
    expect(a.description).toContain('validation: 12 of 50 samples held out at random (VAL_FRACTION 0.23, seed 42)');
  });

  test('TRAIN_SAMPLES must equal the training split size', () => {
    const dir = npyFolder(10);
    expect(loadData(npyConfig({ VAL_FRACTION: 0.2, TRAIN_SAMPLES: 8 }), { baseDir: dir }).train.size).toBe(8);
    expectError(() => loadData(npyConfig({ VAL_FRACTION: 0.2, TRAIN_SAMPLES: 10 }), { baseDir: dir }), 'DataError', 'data error: DATA.TRAIN_SAMPLES: is 10 but data/train has 8 training samples after the hold-out; remove DATA.TRAIN_SAMPLES or fix it');
  });

  test('a fraction that holds out nothing is an error', () => {
    const dir = npyFolder(3);
    expectError(() => loadData(npyConfig({ VAL_FRACTION: 0.1 }), { baseDir: dir }), 'DataError', "DATA.VAL_FRACTION: 0.1 of data/train's 3 samples holds out 0");
  });
});

describe('synthetic sources', () => {
  const synth = (source: string, data: Record<string, unknown> = {}, model: Record<string, unknown> = {}, seed = 42): TrainNativeConfig =>
    makeConfig({ EXPERIMENT: { SEED: seed }, DATA: { SOURCE: source, ...data }, MODEL: model });

  test('classification: shapes, defaults, TRAIN_SAMPLES + round(VAL_FRACTION · TRAIN_SAMPLES)', () => {
    const { train, val } = loadData(synth('synthetic:classification', { TRAIN_SAMPLES: 100, VAL_FRACTION: 0.25 }), { baseDir: '.' });
    expect([train.size, train.width, train.numClasses, train.kind, train.labelKind]).toEqual([100, 32, 4, 'features', 'class']);
    expect(val?.size).toBe(25);
    const labels = all(train).labels as Int32Array;
    expect(new Set(labels).size).toBe(4);
    expect(train.hasGroups).toBe(true);
    expect(all(train).groups).toEqual(labels); // group = class
    const d = loadData(synth('synthetic:classification'), { baseDir: '.' });
    expect(d.train.size).toBe(4096);
    expect(d.val).toBeNull();
  });

  test('same seed → same bytes; another seed or split → other bytes', () => {
    const cfg = synth('synthetic:classification', { TRAIN_SAMPLES: 64, VAL_FRACTION: 0.5, META_COMPONENTS: ['A', 'B'] }, { INPUT_DIM: 5, NUM_CLASSES: 3 });
    const a = loadData(cfg, { baseDir: '.' });
    const b = loadData(cfg, { baseDir: '.' });
    expect(digest(all(a.train))).toBe(digest(all(b.train)));
    expect(digest(all(a.val as Dataset))).toBe(digest(all(b.val as Dataset)));
    expect(digest(all(a.train))).not.toBe(digest(all(a.val as Dataset)));
    const c = loadData(synth('synthetic:classification', { TRAIN_SAMPLES: 64, META_COMPONENTS: ['A', 'B'] }, { INPUT_DIM: 5, NUM_CLASSES: 3 }, 43), { baseDir: '.' });
    expect(digest(all(a.train))).not.toBe(digest(all(c.train)));
    expect(a.train.width).toBe(5);
    expect(a.train.metaComponents).toEqual([
      { name: 'A', offset: 0, width: 4 },
      { name: 'B', offset: 4, width: 4 },
    ]);
    expect(all(a.train).meta?.length).toBe(64 * 8);
  });

  test('classification is learnable but not trivial: nearest training-centroid accuracy in (0.7, 0.97)', () => {
    const { train, val } = loadData(synth('synthetic:classification', { TRAIN_SAMPLES: 2000, VAL_FRACTION: 0.5 }), { baseDir: '.' });
    const d = train.width;
    const tb = all(train);
    const cent = new Float64Array(4 * d);
    const cnt = new Float64Array(4);
    (tb.labels as Int32Array).forEach((y, n) => {
      cnt[y]++;
      for (let j = 0; j < d; j++) cent[y * d + j] += (tb.features as Float32Array)[n * d + j];
    });
    for (let k = 0; k < 4 * d; k++) cent[k] /= cnt[Math.floor(k / d)];
    const vb = all(val as Dataset);
    let ok = 0;
    (vb.labels as Int32Array).forEach((y, n) => {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += ((vb.features as Float32Array)[n * d + j] - cent[c * d + j]) ** 2;
        if (s < bestD) [bestD, best] = [s, c];
      }
      if (best === y) ok++;
    });
    const acc = ok / (val as Dataset).size;
    expect(acc).toBeGreaterThan(0.7);
    expect(acc).toBeLessThan(0.97);
  });

  test('regression: one target per sample', () => {
    const { train } = loadData(synth('synthetic:regression', { TRAIN_SAMPLES: 10 }, { TASK: 'regression', INPUT_DIM: 3 }), { baseDir: '.' });
    expect([train.labelKind, train.outputDim, train.width]).toEqual(['regression', 1, 3]);
    expect(all(train).labels).toBeInstanceOf(Float32Array);
  });

  test('sequence: the label is the most frequent marker token', () => {
    const { train } = loadData(synth('synthetic:sequence', { TRAIN_SAMPLES: 200 }, { TYPE: 'transformer' }), { baseDir: '.' });
    expect([train.kind, train.width, train.vocabSize, train.numClasses]).toEqual(['tokens', 32, 64, 4]);
    const b = all(train);
    for (let n = 0; n < 200; n++) {
      const counts = [0, 0, 0, 0];
      for (const t of (b.tokens as Int32Array).subarray(n * 32, (n + 1) * 32)) if (t < 4) counts[t]++;
      const y = (b.labels as Int32Array)[n];
      expect(counts.filter((c, k) => k !== y).every((c) => c < counts[y])).toBe(true);
    }
  });

  test('language: BLOCK_SIZE tokens below VOCAB_SIZE, no labels', () => {
    const { train } = loadData(synth('synthetic:language', { TRAIN_SAMPLES: 20, BLOCK_SIZE: 16 }, { TYPE: 'gpt', VOCAB_SIZE: 10 }), { baseDir: '.' });
    expect([train.kind, train.width, train.vocabSize, train.labelKind]).toEqual(['tokens', 16, 10, 'none']);
    const toks = all(train).tokens as Int32Array;
    expect(Math.max(...toks)).toBeLessThan(10);
    expect(Math.min(...toks)).toBeGreaterThanOrEqual(0);
    // A Markov chain, not uniform noise: the most common successor of a token dominates.
    const next = new Map<string, number>();
    for (let n = 0; n < 20; n++) for (let j = 1; j < 16; j++) {
      const key = `${toks[n * 16 + j - 1]}>${toks[n * 16 + j]}`;
      next.set(key, (next.get(key) ?? 0) + 1);
    }
    expect(next.size).toBeLessThan(60); // uniform transitions over 10 tokens would give close to 100 distinct pairs
  });

  test('config conflicts', () => {
    expectError(() => loadData(synth('synthetic:language', { META_COMPONENTS: ['A'] }, { TYPE: 'gpt' }), { baseDir: '.' }), 'ConfigError', 'DATA.META_COMPONENTS: synthetic:language generates no metadata');
    expectError(() => loadData(synth('synthetic:classification', { TRAIN_PATH: 'x' }), { baseDir: '.' }), 'ConfigError', 'DATA.TRAIN_PATH: DATA.SOURCE synthetic:classification generates its data');
    expectError(() => loadData(synth('synthetic:sequence', { BLOCK_SIZE: 64 }, { TOKEN_LIMIT: 32 }), { baseDir: '.' }), 'ConfigError', 'DATA.BLOCK_SIZE: 64 tokens is longer than MODEL.TOKEN_LIMIT 32');
    expectError(() => loadData(synth('synthetic:images'), { baseDir: '.' }), 'ConfigError', "DATA.SOURCE: unknown synthetic task 'images'");
    expectError(() => loadData(synth('synthetic:classification', { TRAIN_SAMPLES: 3, VAL_FRACTION: 0.1 }), { baseDir: '.' }), 'ConfigError', 'DATA.VAL_FRACTION: 0.1 x 3 training samples rounds to 0 validation samples');
    expectError(() => loadData(synth('synthetic:sequence', {}, { VOCAB_SIZE: 4 }), { baseDir: '.' }), 'ConfigError', 'MODEL.VOCAB_SIZE: synthetic:sequence uses tokens 0..3 as class markers');
  });
});
