/**
 * Training end to end through the CLI on every data source, as a user runs it: data files written
 * to a temporary folder, a YAML config, `node dist/cli.js train CONFIG`, then what the run left
 * behind (exit status, metrics.jsonl, checkpoints). Covers npy (MLP; transformer with metadata,
 * meta-masking, mixup groups and every metadata validation variant), csv with class names and a
 * separate validation file, tokens and text for gpt, and synthetic regression.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { describeNative, rng } from './helpers';
import { npyBytes, f4, i8 } from '../fixtures/data/helpers';
import { readSafetensorsFile } from '../../lib/checkpoint/safetensors';
import { checkpointNames, readJsonLines, tmpDir, trainCli, writeConfig } from './train-helpers';

type Row = Record<string, unknown>;

/** A small run that infers every model size from the data (no INPUT_DIM / NUM_CLASSES / VOCAB_SIZE). */
function baseConfig(out: string, data: Record<string, unknown>, model: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    EXPERIMENT: { NAME: 'run', OUTPUT_DIR: out, SEED: 3 },
    DATA: { BATCH_SIZE: 32, ...data },
    MODEL: model,
    LR_SCHEDULER: { NAME: 'cosine', BASE_LR: 0.01, WARMUP_STEPS: 2 },
    TRAIN: { EPOCHS: 3, DEVICE: 'cpu', THREADS: 1 },
    SCHEDULE: {
      VALIDATION: { INTERVAL_EPOCHS: 1 },
      CHECKPOINT: { INTERVAL_EPOCHS: 1, KEEP_LAST_N: 1 },
      METRICS: { STEP_INTERVAL: 4, CONSOLE_INTERVAL: 100, LR_INTERVAL: 4 },
    },
    LOGGING: { PROGRESS: 'plain', TENSORBOARD: false, HISTOGRAM_INTERVAL_EPOCHS: 0 },
    ...extra,
  };
}

/** Trains through the CLI into out/run and returns the run's metrics.jsonl rows. */
function trainOk(out: string, config: Record<string, unknown>): { rows: Row[]; runDir: string; stdout: string } {
  const file = writeConfig(out, config);
  const runDir = join(out, 'run');
  const r = trainCli(['train', file, '--run-dir', runDir]);
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  return { rows: readJsonLines(join(runDir, 'metrics.jsonl')), runDir, stdout: r.stdout };
}

const valRows = (rows: Row[], split = 'val'): Row[] => rows.filter((r) => r.split === split);
const stepsOf = (rows: Row[]): number[] => rows.map((r) => r.step as number);

/** Like the CLI's schedule dry run: the §7 JSON for a config file. */
function scheduleJson(file: string, sets: string[]): { total_steps: number; steps_per_epoch: number; events: Record<string, number[]>; exhaustive_meta_combinations?: string[][] } {
  const r = trainCli(['schedule', file, '--json', ...sets.flatMap((s) => ['--set', s])]);
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

describeNative('training on each data source through the CLI', () => {
  test('npy folder, MLP: features <f4 [N, D] + labels <i8 [N] with a VAL_FRACTION hold-out learns the rule', () => {
    const out = tmpDir();
    const data = join(out, 'data');
    mkdirSync(data);
    const n = 400;
    const d = 6;
    const r = rng(11);
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      const row = Array.from({ length: d }, () => r() * 2 - 1);
      x.push(...row);
      y.push(row[0] + row[1] > 0 ? 1 : 0); // a linear rule: chance is ~50%
    }
    writeFileSync(join(data, 'features.npy'), npyBytes('<f4', [n, d], f4(x)));
    writeFileSync(join(data, 'labels.npy'), npyBytes('<i8', [n], i8(y)));
    const { rows, runDir } = trainOk(out, baseConfig(out, { SOURCE: 'npy', TRAIN_PATH: data, VAL_FRACTION: 0.25 }, { TYPE: 'mlp', HIDDEN_SIZES: [32] }));

    // 300 training samples / 32 = 9 steps per epoch (DROP_LAST), validated after each of 3 epochs.
    const val = valRows(rows);
    expect(stepsOf(val)).toEqual([9, 18, 27]);
    for (const v of val) expect(Object.keys(v).sort()).toEqual(['accuracy', 'epoch', 'loss', 'split', 'step']);
    expect(val[2].accuracy as number).toBeGreaterThan(0.85);
    expect(val[2].loss as number).toBeLessThan(val[0].loss as number);
    expect(checkpointNames(runDir)).toEqual(['step-00000027']);
    // The model was built from the data: input 6, 2 classes.
    const shapes = readSafetensorsFile(join(runDir, 'checkpoints', 'step-00000027', 'model.safetensors')).tensors.map((t) => t.shape);
    expect(shapes).toContainEqual([32, 6]);
    expect(shapes).toContainEqual([2, 32]);
  });

  test('npy folder with metadata and groups, transformer: meta-masking, mixup and every metadata validation at its scheduled steps', () => {
    const out = tmpDir();
    const L = 8;
    const vocab = 6;
    /** Class = whether token 1 appears more often than token 2; metadata is noise around the class. */
    const folder = (name: string, n: number, seed: number): string => {
      const dir = join(out, name);
      mkdirSync(dir);
      const r = rng(seed);
      const tokens: number[] = [];
      const labels: number[] = [];
      const temporal: number[] = [];
      const spatial: number[] = [];
      const groups: number[] = [];
      for (let i = 0; i < n; i++) {
        let c1 = 0;
        let c2 = 0;
        for (let j = 0; j < L; j++) {
          const t = Math.floor(r() * vocab);
          tokens.push(t);
          if (t === 1) c1++;
          if (t === 2) c2++;
        }
        const c = c1 > c2 ? 1 : 0;
        labels.push(c);
        temporal.push(c + r() * 0.5, r());
        spatial.push(r(), c - r() * 0.5, r());
        groups.push(i % 10 === 0 ? -1 : c * 4 + (i % 4)); // groups are label-homogeneous; some samples have none
      }
      writeFileSync(join(dir, 'features.npy'), npyBytes('<i8', [n, L], i8(tokens)));
      writeFileSync(join(dir, 'labels.npy'), npyBytes('<i8', [n], i8(labels)));
      writeFileSync(join(dir, 'meta_TEMPORAL.npy'), npyBytes('<f4', [n, 2], f4(temporal)));
      writeFileSync(join(dir, 'meta_SPATIAL.npy'), npyBytes('<f4', [n, 3], f4(spatial)));
      writeFileSync(join(dir, 'groups.npy'), npyBytes('<i8', [n], i8(groups)));
      return dir;
    };
    const trainDir = folder('train', 160, 21);
    const valDir = folder('val', 48, 22);
    const config = baseConfig(
      out,
      { SOURCE: 'npy', TRAIN_PATH: trainDir, VAL_PATH: valDir, BATCH_SIZE: 16, META_COMPONENTS: ['TEMPORAL', 'SPATIAL'] },
      { TYPE: 'transformer', D_MODEL: 16, NUM_HEADS: 2, NUM_LAYERS: 1, TOKEN_LIMIT: 16 },
      { TRAIN: { EPOCHS: 4, DEVICE: 'cpu', THREADS: 1 } },
    );
    config.SCHEDULE = {
      ...(config.SCHEDULE as Row),
      VALIDATION: {
        INTERVAL_EPOCHS: 1,
        MASK_META_INTERVAL_EPOCHS: 1,
        PARTIAL_MASK_META: { ENABLED: true, INTERVAL_EPOCHS: 2, WHITELIST: [['TEMPORAL', 'SPATIAL'], ['SPATIAL']] },
        FINAL_EPOCH: { EXHAUSTIVE_PARTIAL_META_VALIDATION: true, EXHAUSTIVE_META_COMPONENTS: ['TEMPORAL', 'SPATIAL'] },
      },
      META_MASKING: {
        ENABLED: true,
        START_PROB: 0.5,
        END_PROB: 0.1,
        END_FRACTION: 0.5,
        PARTIAL: { ENABLED: true, START_PROB: 0.5, END_PROB: 0.5, PROB_END_FRACTION: 1, WHITELIST: [['TEMPORAL'], ['SPATIAL']] },
      },
      MIXUP: { GROUP_LEVELS: ['g'], MIN_GROUP_SIZE: 2, PROB: { ENABLED: true, START_PROB: 1, END_PROB: 0.5, END_FRACTION: 1 } },
    };
    const file = writeConfig(out, config, 'schedule-source.yaml');
    // The dry run reads no data: it is told the training split's size.
    const sched = scheduleJson(file, ['DATA.TRAIN_SAMPLES=160']);
    expect(sched.total_steps).toBe(40);
    expect(sched.events.validation).toEqual([10, 20, 30, 40]);
    expect(sched.events.mask_meta_validation).toEqual([10, 20, 30, 40]);
    expect(sched.events.partial_mask_meta_validation).toEqual([20, 40]);
    expect(sched.exhaustive_meta_combinations).toEqual([['TEMPORAL'], ['SPATIAL'], ['TEMPORAL', 'SPATIAL']]);

    const { rows } = trainOk(out, config);
    const splitSteps = (split: string) => stepsOf(valRows(rows, split));
    expect(splitSteps('val')).toEqual(sched.events.validation);
    expect(splitSteps('val_mask_meta')).toEqual(sched.events.mask_meta_validation);
    expect(splitSteps('val_partial_mask_meta/TEMPORAL+SPATIAL')).toEqual(sched.events.partial_mask_meta_validation);
    expect(splitSteps('val_partial_mask_meta/SPATIAL')).toEqual(sched.events.partial_mask_meta_validation);
    for (const combo of ['TEMPORAL', 'SPATIAL', 'TEMPORAL+SPATIAL']) expect(splitSteps(`val_exhaustive/${combo}`)).toEqual([sched.total_steps]);
    // Nothing else: exactly these validation splits appear.
    const splits = new Set(rows.map((r) => r.split));
    expect([...splits].sort()).toEqual(
      ['train', 'val', 'val_mask_meta', 'val_partial_mask_meta/TEMPORAL+SPATIAL', 'val_partial_mask_meta/SPATIAL', 'val_exhaustive/TEMPORAL', 'val_exhaustive/SPATIAL', 'val_exhaustive/TEMPORAL+SPATIAL'].sort(),
    );
    for (const r of rows.filter((x) => x.split !== 'train')) {
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.accuracy as number).toBeGreaterThanOrEqual(0);
      expect(r.accuracy as number).toBeLessThanOrEqual(1);
    }
    // Masking both components is the same input whichever way it is asked for.
    const at40 = (split: string) => valRows(rows, split).find((r) => r.step === 40) as Row;
    expect(at40('val_exhaustive/TEMPORAL+SPATIAL').loss).toBe(at40('val_mask_meta').loss);
    expect(at40('val_partial_mask_meta/TEMPORAL+SPATIAL').loss).toBe(at40('val_mask_meta').loss);
    expect(at40('val_exhaustive/SPATIAL').loss).toBe(at40('val_partial_mask_meta/SPATIAL').loss);
    // ...and masking changes the input: the metadata is informative, so hiding it costs loss.
    expect(at40('val_mask_meta').loss).not.toBe(at40('val').loss);
  });

  test('csv with class names in the label column and a separate VAL_PATH file', () => {
    const out = tmpDir();
    const r = rng(5);
    const names = ['high', 'low', 'mid'];
    const write = (file: string, n: number): void => {
      const lines = ['x0,label,x1'];
      for (let i = 0; i < n; i++) {
        const a = r() * 2 - 1;
        const b = r() * 2 - 1;
        const s = a + 0.3 * b;
        const label = s < -0.33 ? 'low' : s < 0.33 ? 'mid' : 'high';
        lines.push(`${a.toFixed(4)},${label},${b.toFixed(4)}`);
      }
      writeFileSync(file, lines.join('\n') + '\n');
    };
    write(join(out, 'train.csv'), 320);
    write(join(out, 'val.csv'), 96);
    const { rows, runDir } = trainOk(
      out,
      baseConfig(out, { SOURCE: 'csv', TRAIN_PATH: join(out, 'train.csv'), VAL_PATH: join(out, 'val.csv') }, { TYPE: 'mlp', HIDDEN_SIZES: [32] }, { TRAIN: { EPOCHS: 4, DEVICE: 'cpu', THREADS: 1 } }),
    );
    const val = valRows(rows);
    expect(stepsOf(val)).toEqual([10, 20, 30, 40]);
    expect(val[3].accuracy as number).toBeGreaterThan(0.7); // chance is about 1/3
    // 2 feature columns (the label column in the middle is not one), 3 classes.
    const shapes = readSafetensorsFile(join(runDir, 'checkpoints', 'step-00000040', 'model.safetensors')).tensors.map((t) => t.shape);
    expect(shapes).toContainEqual([32, 2]);
    expect(shapes).toContainEqual([names.length, 32]);
  });

  test('tokens: gpt on a flat uint16 file cut into DATA.BLOCK_SIZE 16 blocks', () => {
    const out = tmpDir();
    // A repeating pattern of period 11 over ids 100..110: the next token is always predictable.
    const count = 16 * 200 + 5; // a partial last block is dropped
    const ids = new Uint16Array(count);
    for (let i = 0; i < count; i++) ids[i] = 100 + ((i * 7) % 11);
    writeFileSync(join(out, 'train.bin'), Buffer.from(ids.buffer));
    const config = baseConfig(
      out,
      { SOURCE: 'tokens', TRAIN_PATH: join(out, 'train.bin'), TOKEN_DTYPE: 'uint16', BLOCK_SIZE: 16, VAL_FRACTION: 0.2 },
      { TYPE: 'gpt', D_MODEL: 32, NUM_HEADS: 2, NUM_LAYERS: 1, TOKEN_LIMIT: 16 },
      { LR_SCHEDULER: { NAME: 'cosine', BASE_LR: 0.003, WARMUP_STEPS: 2 } },
    );
    const { rows, runDir } = trainOk(out, config);
    // 200 blocks: 40 held out, 160 train = 5 steps per epoch.
    const val = valRows(rows);
    expect(stepsOf(val)).toEqual([5, 10, 15]);
    expect(Object.keys(val[0]).sort()).toEqual(['accuracy', 'epoch', 'loss', 'perplexity', 'split', 'step']);
    expect(val[2].loss as number).toBeLessThan(val[0].loss as number);
    expect(val[2].accuracy as number).toBeGreaterThan(val[0].accuracy as number);
    expect(val[2].perplexity as number).toBeCloseTo(Math.exp(val[2].loss as number), 4);
    // Vocabulary inferred as the largest id + 1 = 111.
    const shapes = readSafetensorsFile(join(runDir, 'checkpoints', 'step-00000015', 'model.safetensors')).tensors.map((t) => t.shape);
    expect(shapes).toContainEqual([111, 32]);
  });

  test('text: gpt on a UTF-8 file read as bytes, vocabulary 256', () => {
    const out = tmpDir();
    const text = 'the quick brown fox jumps over the lazy dog; über café naïve — ok. '.repeat(150);
    writeFileSync(join(out, 'corpus.txt'), text, 'utf8');
    const bytes = Buffer.byteLength(text, 'utf8');
    const config = baseConfig(
      out,
      { SOURCE: 'text', TRAIN_PATH: join(out, 'corpus.txt'), BLOCK_SIZE: 32, VAL_FRACTION: 0.2 },
      { TYPE: 'gpt', D_MODEL: 32, NUM_HEADS: 2, NUM_LAYERS: 1, TOKEN_LIMIT: 32 },
      { LR_SCHEDULER: { NAME: 'cosine', BASE_LR: 0.003, WARMUP_STEPS: 2 } },
    );
    const { rows, runDir } = trainOk(out, config);
    const blocks = Math.floor(bytes / 32);
    const spe = Math.floor((blocks - Math.round(0.2 * blocks)) / 32);
    const val = valRows(rows);
    expect(stepsOf(val)).toEqual([spe, 2 * spe, 3 * spe]);
    expect(val[2].loss as number).toBeLessThan(val[0].loss as number);
    // Bytes, not characters: the embedding has a row for each of the 256 byte values.
    const last = checkpointNames(runDir).slice(-1)[0];
    const shapes = readSafetensorsFile(join(runDir, 'checkpoints', last, 'model.safetensors')).tensors.map((t) => t.shape);
    expect(shapes).toContainEqual([256, 32]);
  });

  test('synthetic:regression with MODEL.TASK regression: validation reports mae, rmse and r2', () => {
    const out = tmpDir();
    const config = baseConfig(
      out,
      { SOURCE: 'synthetic:regression', TRAIN_SAMPLES: 384, VAL_FRACTION: 0.25 },
      { TYPE: 'mlp', TASK: 'regression', INPUT_DIM: 8, HIDDEN_SIZES: [32] },
    );
    const { rows } = trainOk(out, config);
    const val = valRows(rows);
    expect(stepsOf(val)).toEqual([12, 24, 36]);
    for (const v of val) {
      expect(Object.keys(v).sort()).toEqual(['epoch', 'loss', 'mae', 'r2', 'rmse', 'split', 'step']);
      for (const k of ['loss', 'mae', 'rmse', 'r2']) expect(Number.isFinite(v[k])).toBe(true);
      expect(v.mae as number).toBeGreaterThan(0);
      expect(v.rmse as number).toBeGreaterThanOrEqual(v.mae as number); // RMS >= mean absolute, always
      expect(v.rmse as number).toBeCloseTo(Math.sqrt(v.loss as number), 5); // the loss is the mean squared error
    }
    expect(val[2].rmse as number).toBeLessThan(val[0].rmse as number);
    expect(val[2].r2 as number).toBeGreaterThan(val[0].r2 as number);
  });
});
