/**
 * Seed 001's "steps based on actual dataset size" through the CLI: without DATA.TRAIN_SAMPLES,
 * `schedule` and `generate-checkpoints` count the samples from the data files (npy header, CSV
 * rows, text size with DATA.STRIDE) without loading them; a missing file is one line, exit 2.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { runCli } from './run-cli';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'train-native-counts-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const f = join(tmp, name);
  writeFileSync(f, text);
  return f;
}

function scheduleOf(config: string): { total_steps: number; steps_per_epoch: number } {
  const r = runCli(['schedule', config, '--json'], { cwd: tmp });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as { total_steps: number; steps_per_epoch: number };
}

test('csv: 1000 data rows, 20% held out, batch 50 → 16 steps per epoch', () => {
  write('d.csv', 'a,b,label\n' + Array.from({ length: 1000 }, (_, i) => `${i},${i % 3},${i % 2}`).join('\n') + '\n');
  const cfg = write('csv.yaml', 'DATA: { SOURCE: csv, TRAIN_PATH: d.csv, VAL_FRACTION: 0.2, BATCH_SIZE: 50 }\nTRAIN: { EPOCHS: 3 }\n');
  expect(scheduleOf(cfg)).toMatchObject({ steps_per_epoch: 16, total_steps: 48 });
});

test('npy: the first dimension of features.npy (header only; the data part may even be cut off)', () => {
  mkdirSync(join(tmp, 'npy'));
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (333, 4), }";
  const h = header + ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  writeFileSync(join(tmp, 'npy', 'features.npy'), Buffer.concat([Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, h.length, 0]), Buffer.from(h, 'latin1')]));
  const cfg = write('npy.yaml', 'DATA: { SOURCE: npy, TRAIN_PATH: npy, BATCH_SIZE: 1 }\nTRAIN: { EPOCHS: 2 }\nSCHEDULE: { CHECKPOINT: { GENERATE: { FIRST_EPOCH_CHECKPOINTS: 20, SUBSEQUENT_EPOCHS_SPACING: log, LOG_BASE: 2, MIN_CHECKPOINT_INTERVAL: 0 } } }\n');
  expect(scheduleOf(cfg).steps_per_epoch).toBe(333);
  const r = runCli(['generate-checkpoints', cfg, '--json'], { cwd: tmp });
  expect(r.status).toBe(0);
  const plan = JSON.parse(r.stdout) as { epochs: Array<{ steps: number[] }> };
  expect(plan.epochs[1].steps).toEqual([334, 336, 340, 348, 364, 396, 460, 588, 666]); // SPEC §4's example
});

test('text: overlapping blocks with DATA.STRIDE', () => {
  write('t.txt', 'x'.repeat(35000));
  const cfg = write('text.yaml', 'DATA: { SOURCE: text, TRAIN_PATH: t.txt, BLOCK_SIZE: 64, STRIDE: 16, BATCH_SIZE: 8 }\nMODEL: { TYPE: gpt, TOKEN_LIMIT: 64 }\nTRAIN: { EPOCHS: 1 }\n');
  expect(scheduleOf(cfg).steps_per_epoch).toBe(Math.floor((Math.floor((35000 - 64) / 16) + 1) / 8));
});

test('a data file that is not there: exit 2, one line naming it', () => {
  const cfg = write('missing.yaml', 'DATA: { SOURCE: csv, TRAIN_PATH: nowhere.csv }\n');
  const r = runCli(['schedule', cfg, '--json'], { cwd: tmp });
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain('nowhere.csv');
});
