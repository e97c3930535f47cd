/**
 * SPEC §16 through `schedule --json` (no native code): seed 004's per-epoch warmup with many steps
 * per epoch, and the config error for a duration in steps.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { runCli } from './run-cli';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'train-native-interval-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test("seed 004: 2e-4, 4e-4, 6e-4, 8e-4, 1e-3 for epochs 1-5 with 250 steps an epoch, then BASE_LR (plateau's dry run)", () => {
  const f = join(tmp, 's004.yaml');
  writeFileSync(f, 'DATA: { TRAIN_SAMPLES: 8000, BATCH_SIZE: 32 }\nLR_SCHEDULER: { NAME: plateau, INTERVAL: epoch, BASE_LR: 0.001, WARMUP_LR: 0, WARMUP_EPOCHS: 5, FACTOR: 0.5, PATIENCE: 5 }\nTRAIN: { EPOCHS: 8 }\n');
  const r = runCli(['schedule', f, '--json']);
  expect(r.status).toBe(0);
  const j = JSON.parse(r.stdout) as { steps_per_epoch: number; lr: { default: number[] } };
  expect(j.steps_per_epoch).toBe(250);
  const lr = j.lr.default;
  expect(Array.from({ length: 8 }, (_, e) => lr[e * 250])).toEqual([2e-4, 4e-4, 6e-4, 8e-4, 1e-3, 1e-3, 1e-3, 1e-3]);
  for (let k = 0; k < lr.length; k++) expect(lr[k]).toBe(lr[k - (k % 250)]);
});

test('INTERVAL: epoch with WARMUP_STEPS: exit 2 naming the key', () => {
  const f = join(tmp, 'bad.yaml');
  writeFileSync(f, 'DATA: { TRAIN_SAMPLES: 800, BATCH_SIZE: 32 }\nLR_SCHEDULER: { INTERVAL: epoch, WARMUP_STEPS: 100 }\n');
  const r = runCli(['schedule', f, '--json']);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('LR_SCHEDULER.WARMUP_STEPS');
  expect(r.stderr).toContain('WARMUP_EPOCHS');
});
