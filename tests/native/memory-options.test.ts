/**
 * Seed 003's memory options: TRAIN.EXPANDABLE_SEGMENTS (--use-expandable-segments) and
 * TRAIN.EMPTY_CACHE never | epoch | batch | chunk. On CPU they warn that they do nothing; on CUDA
 * (the device check sets TRAIN_NATIVE_TEST_CUDA=1) a chunked-attention gpt trains with each and
 * gives the same losses as without (emptying the cache changes memory, never numbers).
 */
import * as path from 'path';
import { nativeAvailable } from './helpers';
import { readJsonLines, smallConfig, tmpDir, trainCli, writeConfig } from './train-helpers';

(nativeAvailable ? test : test.skip)('on CPU each option warns once that it has no effect, and training is unchanged', () => {
  const dir = tmpDir('tn-mem-');
  const file = writeConfig(dir, smallConfig(path.join(dir, 'runs'), { TRAIN: { EPOCHS: 1, DEVICE: 'cpu', THREADS: 1 } }));
  const plain = trainCli(['train', file, '--set', 'EXPERIMENT.NAME=plain']);
  const opts = trainCli(['train', file, '--set', 'EXPERIMENT.NAME=opts', '--use-expandable-segments', '--set', 'TRAIN.EMPTY_CACHE=chunk']);
  expect([plain.status, opts.status]).toEqual([0, 0]);
  expect(opts.stdout.match(/warning: TRAIN.EXPANDABLE_SEGMENTS has no effect on cpu/g)).toHaveLength(1);
  expect(opts.stdout.match(/warning: TRAIN.EMPTY_CACHE chunk has no effect on cpu/g)).toHaveLength(1);
  expect(plain.stdout).not.toMatch(/no effect/);
  const losses = (name: string) => readJsonLines(path.join(dir, 'runs', name, 'metrics.jsonl')).map((r) => r.loss);
  expect(losses('opts')).toEqual(losses('plain'));
  const bad = trainCli(['train', file, '--set', 'TRAIN.EMPTY_CACHE=always']);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/TRAIN.EMPTY_CACHE/);
});

(nativeAvailable && process.env.TRAIN_NATIVE_TEST_CUDA === '1' ? test : test.skip)('CUDA: expandable segments and emptying the cache per chunk leave the losses as they were', () => {
  const dir = tmpDir('tn-mem-cuda-');
  const base = smallConfig(path.join(dir, 'runs'), {
    DATA: { SOURCE: 'synthetic:language', TRAIN_SAMPLES: 256, VAL_FRACTION: 0.25, BATCH_SIZE: 16, BLOCK_SIZE: 128 },
    MODEL: { TYPE: 'gpt', D_MODEL: 64, NUM_HEADS: 4, NUM_LAYERS: 2, TOKEN_LIMIT: 128, ATTENTION_CHUNK_SIZE: 32, DROPOUT: 0 },
    TRAIN: { EPOCHS: 1, DEVICE: 'cuda' },
  });
  const file = writeConfig(dir, base);
  const runs = [['plain'], ['opts', '--use-expandable-segments', '--set', 'TRAIN.EMPTY_CACHE=chunk']];
  for (const [name, ...extra] of runs) expect(trainCli(['train', file, '--set', `EXPERIMENT.NAME=${name}`, ...extra]).status).toBe(0);
  const losses = (name: string) => readJsonLines(path.join(dir, 'runs', name, 'metrics.jsonl')).filter((r) => r.split === 'train').map((r) => Number(r.loss));
  const a = losses('plain');
  const b = losses('opts');
  expect(b.length).toBe(a.length);
  b.forEach((v, i) => expect(Math.abs(v - a[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(a[i]))));
});
