/**
 * Counts from data files (seed 001: steps from the actual dataset size): countTrainSamples reads
 * headers and sizes only, and must give the training split loadData makes from the same files —
 * and `schedule` / `generate-checkpoints` then work on a file-data config without TRAIN_SAMPLES.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { validateConfig } from '../../lib/config';
import { countTrainSamples } from '../../lib/data/count';
import { loadData } from '../../lib/data';
import { encodeNpy } from '../../lib/inference/output';
import { runCli } from '../e2e/run-cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-count-'));
fs.mkdirSync(path.join(dir, 'npy'));
fs.writeFileSync(path.join(dir, 'npy', 'features.npy'), encodeNpy(new Float32Array(1001 * 3).fill(0.5), [1001, 3]));
fs.writeFileSync(path.join(dir, 'npy', 'labels.npy'), encodeNpy(Int32Array.from({ length: 1001 }, (_, i) => i % 3), [1001]));
fs.writeFileSync(path.join(dir, 'd.csv'), ['a,b,label', ...Array.from({ length: 257 }, (_, i) => `${i},1,${i % 2}`), '', ''].join('\n'));
fs.writeFileSync(path.join(dir, 't.txt'), 'x'.repeat(10_000));
fs.writeFileSync(path.join(dir, 'tok.bin'), Buffer.alloc(2 * 5000));

const cases: Array<[string, Record<string, unknown>]> = [
  ['npy + VAL_FRACTION', { SOURCE: 'npy', TRAIN_PATH: 'npy', VAL_FRACTION: 0.15 }],
  ['csv', { SOURCE: 'csv', TRAIN_PATH: 'd.csv' }],
  ['text + BLOCK_SIZE', { SOURCE: 'text', TRAIN_PATH: 't.txt', BLOCK_SIZE: 96, VAL_FRACTION: 0.1 }],
  ['tokens', { SOURCE: 'tokens', TRAIN_PATH: 'tok.bin', BLOCK_SIZE: 64 }],
];

test.each(cases)('%s: the count equals the training split loadData makes', (_, data) => {
  const model = data.SOURCE === 'text' || data.SOURCE === 'tokens' ? { TYPE: 'gpt', TOKEN_LIMIT: 128 } : { TYPE: 'mlp' };
  const config = validateConfig({ DATA: data, MODEL: model });
  expect(countTrainSamples(config, dir)).toBe(loadData(config, { baseDir: dir }).train.size);
});

test('schedule and generate-checkpoints read the count from the files (no DATA.TRAIN_SAMPLES)', () => {
  fs.writeFileSync(path.join(dir, 'c.yaml'), 'DATA: {SOURCE: npy, TRAIN_PATH: npy, VAL_FRACTION: 0.15, BATCH_SIZE: 50}\nTRAIN: {EPOCHS: 3}\n');
  const s = runCli(['schedule', 'c.yaml', '--json'], { cwd: dir });
  expect(s.stderr).toBe('');
  const json = JSON.parse(s.stdout) as { steps_per_epoch: number; total_steps: number };
  // 1001 - round(0.15 * 1001) = 851 training samples: floor(851 / 50) = 17 steps an epoch (DROP_LAST).
  expect([json.steps_per_epoch, json.total_steps]).toEqual([17, 51]);
  const g = runCli(['generate-checkpoints', 'c.yaml', '--json'], { cwd: dir });
  expect(g.status).toBe(0);
  const missing = runCli(['schedule', 'c.yaml', '--set', 'DATA.TRAIN_PATH=nowhere'], { cwd: dir });
  expect(missing.status).toBe(2);
  expect(missing.stderr).toMatch(/nowhere\/features\.npy: cannot read the file/);
});
