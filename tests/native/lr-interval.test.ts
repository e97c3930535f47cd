/**
 * LR_SCHEDULER.INTERVAL epoch (SPEC §16), seed 004's example as a user runs it: five warmup epochs
 * at exactly 2e-4, 4e-4, 6e-4, 8e-4, 1e-3 — in `schedule --json` and in the steps training takes —
 * then ReduceLROnPlateau halvings, the LR constant within every epoch.
 */
import * as path from 'path';
import { nativeAvailable } from './helpers';
import { readJsonLines, tmpDir, trainCli, writeConfig } from './train-helpers';

const WARMUP = [2e-4, 4e-4, 6e-4, 8e-4, 1e-3];

function seed004(dir: string): string {
  return writeConfig(dir, {
    EXPERIMENT: { NAME: 'seed004', OUTPUT_DIR: path.join(dir, 'runs'), SEED: 3 },
    DATA: { SOURCE: 'synthetic:classification', TRAIN_SAMPLES: 640, VAL_FRACTION: 0.25, BATCH_SIZE: 64 },
    MODEL: { TYPE: 'mlp', INPUT_DIM: 32, NUM_CLASSES: 4, HIDDEN_SIZES: [32] },
    // THRESHOLD 10 (relative): no validation ever counts as an improvement, so with PATIENCE 0 every
    // validation after the warmup halves the LR.
    LR_SCHEDULER: { NAME: 'plateau', BASE_LR: 1e-3, WARMUP_LR: 0, WARMUP_EPOCHS: 5, INTERVAL: 'epoch', FACTOR: 0.5, PATIENCE: 0, THRESHOLD: 10, MIN_LR: 1e-6 },
    TRAIN: { EPOCHS: 8, DEVICE: 'cpu', THREADS: 1 },
    SCHEDULE: { METRICS: { STEP_INTERVAL: 1, CONSOLE_INTERVAL: 10, LR_INTERVAL: 1 } },
    LOGGING: { PROGRESS: 'none', TENSORBOARD: false },
  });
}

test('schedule --json: epochs 1-5 at exactly 2e-4 … 1e-3, constant within each epoch', () => {
  const dir = tmpDir('tn-interval-');
  const r = trainCli(['schedule', seed004(dir), '--json']);
  expect(r.status).toBe(0);
  const json = JSON.parse(r.stdout) as { steps_per_epoch: number; lr: { default: number[] } };
  const spe = json.steps_per_epoch;
  const lr = json.lr.default;
  WARMUP.forEach((want, e) => {
    for (let k = e * spe; k < (e + 1) * spe; k++) expect(lr[k]).toBe(want);
  });
});

(nativeAvailable ? test : test.skip)('training takes those LRs, then plateau halvings, one LR per epoch', () => {
  const dir = tmpDir('tn-interval-');
  const r = trainCli(['train', seed004(dir)]);
  expect(r.status).toBe(0);
  const records = readJsonLines(path.join(dir, 'runs', 'seed004', 'metrics.jsonl')).filter((m) => m.split === 'train' && typeof m.lr === 'number');
  const byEpoch = new Map<number, Set<number>>();
  for (const m of records) byEpoch.set(Number(m.epoch), (byEpoch.get(Number(m.epoch)) ?? new Set()).add(Number(m.lr)));
  const perEpoch = [...byEpoch.entries()].sort((a, b) => a[0] - b[0]).map(([, lrs]) => {
    expect(lrs.size).toBe(1);
    return [...lrs][0];
  });
  expect(perEpoch.slice(0, 5)).toEqual(WARMUP);
  expect(perEpoch.slice(5)).toEqual([1e-3 * 0.5, 1e-3 * 0.25, 1e-3 * 0.125]);
});
