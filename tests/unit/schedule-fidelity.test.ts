/**
 * Issue 12 in the schedule engine and the data layer, without native code: LR per epoch (SPEC §16,
 * seed 004), the schedule re-based at a resumed step (SPEC §15, seed 002), stage 2's own batch size
 * (SPEC §17), the resume plan's changed keys, sample counts read from files (seed 001) and the
 * block layout of DATA.STRIDE / DATA.RANDOM_OFFSETS.
 */
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseConfigText } from '../../lib/config';
import type { TrainNativeConfig } from '../../lib/config/types';
import { buildSchedule } from '../../lib/schedule';
import { countTrainSamples } from '../../lib/data/count';
import { readNpyShape } from '../../lib/data/npy';
import { loadData } from '../../lib/data';
import { ArrayDataset } from '../../lib/data/array-dataset';
import { tokensForEpoch } from '../../lib/data/offsets';
import { blockCount } from '../../lib/data/sources/token-source';
import { changedKeys, planResume, scheduleKeysOf } from '../../lib/train/resume-plan';
import type { TrainerState } from '../../lib/train/state';

function cfg(yaml: string): TrainNativeConfig {
  return parseConfigText(yaml, { file: 'test.yaml' });
}

const SEED_004 = `
DATA: { TRAIN_SAMPLES: 100, BATCH_SIZE: 10 }
LR_SCHEDULER: { NAME: plateau, INTERVAL: epoch, BASE_LR: 0.001, WARMUP_LR: 0, WARMUP_EPOCHS: 5, FACTOR: 0.5, PATIENCE: 5 }
TRAIN: { EPOCHS: 20 }
`;

describe('LR_SCHEDULER.INTERVAL: epoch (SPEC §16)', () => {
  test("seed 004: epochs 1-5 at exactly 2e-4, 4e-4, 6e-4, 8e-4, 1e-3, constant within each epoch", () => {
    const s = buildSchedule(cfg(SEED_004));
    expect(s.stepsPerEpoch).toBe(10);
    const perEpoch = Array.from({ length: 20 }, (_, e) => s.lr(e * 10));
    expect(perEpoch.slice(0, 5)).toEqual([2e-4, 4e-4, 6e-4, 8e-4, 1e-3]);
    expect(perEpoch.slice(5)).toEqual(Array(15).fill(1e-3));
    for (let k = 0; k < 200; k++) expect(s.lr(k)).toBe(perEpoch[Math.floor(k / 10)]);
  });

  test('the plateau scheduler takes over after the warmup epochs (step 50 = epoch 6)', () => {
    const p = buildSchedule(cfg(SEED_004)).createPlateau(0);
    expect(p?.activeFrom).toBe(50);
  });

  test('cosine per epoch: the curve evaluated on the epoch index', () => {
    const s = buildSchedule(cfg('DATA: { TRAIN_SAMPLES: 40, BATCH_SIZE: 10 }\nLR_SCHEDULER: { NAME: cosine, INTERVAL: epoch, BASE_LR: 0.01, MIN_LR: 0.001 }\nTRAIN: { EPOCHS: 5 }'));
    for (let e = 0; e < 5; e++) expect(s.lr(e * 4 + 3)).toBeCloseTo(0.001 + 0.009 * 0.5 * (1 + Math.cos((Math.PI * e) / 5)), 15);
  });

  test('a duration in steps is a config error naming the key', () => {
    expect(() => buildSchedule(cfg('DATA: { TRAIN_SAMPLES: 40, BATCH_SIZE: 10 }\nLR_SCHEDULER: { INTERVAL: epoch, WARMUP_STEPS: 8 }'))).toThrow(/LR_SCHEDULER\.WARMUP_STEPS.*WARMUP_EPOCHS/);
  });
});

const TWO_STAGES = `
DATA: { TRAIN_SAMPLES: 64, BATCH_SIZE: 8 }
LR_SCHEDULER: { NAME: cosine, BASE_LR: 0.0025, MIN_LR: 0.0001 }
STAGES: { STAGE1: { ENABLED: true, EPOCHS: 3, OBJECTIVE: supervised }, STAGE2: { BATCH_SIZE: 4, LR_SCHEDULER: { BASE_LR: 0.002 } } }
TRAIN: { EPOCHS: 12 }
`;

describe("stage 2's batch size (SPEC §17)", () => {
  test('stage-1 epochs have 8 steps, stage-2 epochs 16; epochs count on across the change', () => {
    const s = buildSchedule(cfg(TWO_STAGES));
    expect(s.totalSteps).toBe(3 * 8 + 9 * 16);
    expect(s.stages.map((x) => [x.name, x.start, x.end])).toEqual([
      ['stage1', 0, 24],
      ['stage2', 24, 168],
    ]);
    expect(s.eventPlan.boundaries).toEqual([8, 16, 24, 40, 56, 72, 88, 104, 120, 136, 152, 168]);
    expect([0, 23, 24, 39, 40, 167].map((k) => s.epochOfStep(k))).toEqual([1, 3, 4, 4, 5, 12]);
    expect(s.timeBase.epochs).toBe(12);
  });
});

describe('resume with a changed configuration: the schedule re-based at s0 (SPEC §15)', () => {
  // Seed 002 scenario 2 scaled down: 12 epochs (3 in stage 1) resumed at the end of epoch 8 with
  // --epochs 15 --scheduler cosine --stage2-lr 3e-3: epochs 9-15 cosine from 3e-3 to MIN_LR, no warmup.
  const resumed = cfg(TWO_STAGES.replace('BASE_LR: 0.002 }', 'BASE_LR: 0.003 }').replace('EPOCHS: 12', 'EPOCHS: 15'));
  const s0 = 24 + 5 * 16;

  test('LR at the first resumed step is the new stage-2 BASE_LR, at the last step the cosine end', () => {
    const s = buildSchedule(resumed, { origin: { step: s0, epochsDone: 8 } });
    const T = s0 + 7 * 16;
    expect(s.totalSteps).toBe(T);
    expect(s.lr(s0)).toBe(0.003);
    const p = (T - 1 - s0) / (T - s0);
    expect(s.lr(T - 1)).toBe(0.0001 + ((0.003 - 0.0001) * (1 + Math.cos(Math.PI * p))) / 2);
    expect(s.epochOfStep(s0)).toBe(9);
    expect(s.epochOfStep(T - 1)).toBe(15);
  });

  test('a changed batch size: epochs continue from the checkpoint with the new length, never backwards', () => {
    const s = buildSchedule(cfg(TWO_STAGES.replace('BATCH_SIZE: 4,', 'BATCH_SIZE: 8,')), { origin: { step: s0, epochsDone: 8 } });
    expect(s.totalSteps).toBe(s0 + 4 * 8);
    const epochs = Array.from({ length: s.totalSteps - s0 }, (_, i) => s.epochOfStep(s0 + i));
    expect(epochs[0]).toBe(9);
    expect(epochs[epochs.length - 1]).toBe(12);
    for (let i = 1; i < epochs.length; i++) expect(epochs[i]).toBeGreaterThanOrEqual(epochs[i - 1]);
    expect(s.eventPlan.boundaries.filter((b) => b > s0)).toEqual([s0 + 8, s0 + 16, s0 + 24, s0 + 32]);
  });

  test('a configured warmup starts at s0 (from MIN_LR in stage 2) and its fraction resolves against s0 … T', () => {
    const c = cfg(TWO_STAGES.replace('BASE_LR: 0.002 }', 'BASE_LR: 0.003, WARMUP_FRACTION: 0.25 }').replace('EPOCHS: 12', 'EPOCHS: 15'));
    const s = buildSchedule(c, { origin: { step: s0, epochsDone: 8 } });
    const w = Math.round(0.25 * (s.totalSteps - s0));
    expect(s.lr(s0)).toBe(0.0001);
    expect(s.lr(s0 + w)).toBe(0.003);
  });

  test('planResume: the changed keys; same settings continue exactly; --weights-only', () => {
    const before = cfg(TWO_STAGES);
    const st = { step: s0, sampler: { epoch: 8, batch: 0 }, scheduleKeys: scheduleKeysOf(before, 64) } as unknown as TrainerState;
    const plan = planResume(resumed, st, '/nowhere/checkpoints/step-00000104', 64, false);
    expect(plan.mode).toBe('rebased');
    expect(plan.origin).toEqual({ step: s0, epochsDone: 8 });
    expect(plan.changes).toEqual([
      { key: 'STAGES.STAGE2.LR_SCHEDULER.BASE_LR', from: '0.002', to: '0.003' },
      { key: 'TRAIN.EPOCHS', from: '12', to: '15' },
    ]);
    const skip = { ...before, STAGES: { ...before.STAGES, SKIP_STAGE1: true } };
    expect(planResume(skip, st, '/nowhere', 64, false).mode).toBe('exact');
    expect(planResume(before, st, '/nowhere', 32, false).changes).toEqual([{ key: 'training samples', from: '64', to: '32' }]);
    expect(planResume({ ...before, TRAIN: { ...before.TRAIN, RESUME_WEIGHTS_ONLY: true } }, st, '/nowhere', 64, true).mode).toBe('weights-only');
    expect(changedKeys({ a: '1' }, { b: '2' })).toEqual([
      { key: 'a', from: '1', to: null },
      { key: 'b', from: null, to: '2' },
    ]);
  });
});

describe('sample counts from data files (seed 001)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tn-count-'));

  function npy(file: string, shape: number[]): void {
    const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')},), }`;
    const pad = 64 - ((10 + header.length + 1) % 64);
    const h = header + ' '.repeat(pad) + '\n';
    const pre = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, h.length & 0xff, h.length >> 8]);
    writeFileSync(file, Buffer.concat([pre, Buffer.from(h, 'latin1'), Buffer.alloc(4 * shape.reduce((a, b) => a * b, 1))]));
  }

  test('npy: the first dimension of features.npy, from the header', () => {
    npy(join(dir, 'features.npy'), [1234, 3]);
    expect(readNpyShape(join(dir, 'features.npy'), 'features.npy')[0]).toBe(1234);
    const c = cfg(`DATA: { SOURCE: npy, TRAIN_PATH: ${dir}, VAL_FRACTION: 0.1 }`);
    expect(countTrainSamples(c, '/')).toBe(1234 - Math.round(123.4));
  });

  test('csv: data rows after the header (blank lines not counted)', () => {
    writeFileSync(join(dir, 'd.csv'), 'a,b,label\n1,2,x\n3,4,y\n\n5,6,x\n');
    expect(countTrainSamples(cfg(`DATA: { SOURCE: csv, TRAIN_PATH: d.csv }`), dir)).toBe(3);
  });

  test('text: blocks from the file size, with STRIDE and RANDOM_OFFSETS, equal to what loading makes', () => {
    writeFileSync(join(dir, 't.txt'), 'x'.repeat(35000));
    for (const extra of ['', ', STRIDE: 16', ', STRIDE: 16, RANDOM_OFFSETS: true']) {
      const c = cfg(`DATA: { SOURCE: text, TRAIN_PATH: t.txt, BLOCK_SIZE: 64, VAL_FRACTION: 0.1${extra} }\nMODEL: { TYPE: gpt, TOKEN_LIMIT: 64 }`);
      expect(countTrainSamples(c, dir)).toBe(loadData(c, { baseDir: dir }).train.size);
    }
    expect(blockCount(35000, 64, 64)).toBe(546);
    expect(blockCount(35000, 64, 16)).toBe(2184);
    expect(blockCount(35000, 64, 16, true)).toBe(2183);
  });
});

describe('DATA.RANDOM_OFFSETS', () => {
  const stream = Int32Array.from({ length: 1000 }, (_, i) => i);
  const data = new ArrayDataset({ size: 50, kind: 'tokens', width: 8, tokens: new Int32Array(400), labelKind: 'none', vocabSize: 1000, metaComponents: [] });
  data.tokenStream = { stream, blocking: { block: 8, stride: 16, randomOffsets: true } };

  test('each block starts at its place plus an offset in [0, STRIDE), a function of (seed, epoch)', () => {
    const e0 = tokensForEpoch(data, 7, 0) as Int32Array;
    const e1 = tokensForEpoch(data, 7, 1) as Int32Array;
    expect(tokensForEpoch(data, 7, 0)).toEqual(e0);
    expect(e1).not.toEqual(e0);
    for (let i = 0; i < 50; i++) {
      const start = e0[i * 8];
      expect(start - i * 16).toBeGreaterThanOrEqual(0);
      expect(start - i * 16).toBeLessThan(16);
      for (let j = 0; j < 8; j++) expect(e0[i * 8 + j]).toBe(start + j); // a contiguous window
    }
  });

  test('a subset (validation hold-out) keeps each sample on its own stream block', () => {
    const sub = data.subset([3, 10, 40]);
    const all = tokensForEpoch(data, 7, 2) as Int32Array;
    const part = tokensForEpoch(sub, 7, 2) as Int32Array;
    expect(Array.from(part)).toEqual([...all.slice(24, 32), ...all.slice(80, 88), ...all.slice(320, 328)]);
  });
});
