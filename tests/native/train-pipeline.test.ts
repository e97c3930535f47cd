/**
 * Pipelined steps (lib/train/pipeline.ts): a run with several steps in flight ends with the same
 * bytes — every checkpoint's weights, optimizer moments and trainer state, and metrics.jsonl — as
 * the same run one step at a time. Covered: dropout, mixup, meta-masking, gradient accumulation, a
 * plateau scheduler fed by validation, a stage-1 early stop handing over to stage 2, and skipped
 * non-finite steps.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { describeNative } from './helpers';
import { validateConfig } from '../../lib/config';
import { train } from '../../lib/train';
import { checkpointNames, readJsonLines, smallConfig, tensors, tmpDir, trainerState } from './train-helpers';

function expectSameRuns(a: string, b: string): void {
  const names = checkpointNames(a);
  expect(names.length).toBeGreaterThan(1);
  expect(checkpointNames(b)).toEqual(names);
  for (const name of names) {
    for (const file of ['model', 'optimizer'] as const) {
      const ta = tensors(a, name, file);
      const tb = tensors(b, name, file);
      expect([...tb.keys()].sort()).toEqual([...ta.keys()].sort());
      for (const [k, v] of ta) expect({ name, k, equal: v.equals(tb.get(k) as Buffer) }).toEqual({ name, k, equal: true });
    }
    const { savedAt: _a, ...sa } = trainerState(a, name);
    const { savedAt: _b, ...sb } = trainerState(b, name);
    expect(sb).toEqual(sa);
  }
  const lines = (d: string) => readJsonLines(join(d, 'metrics.jsonl')).map((x) => JSON.stringify(x));
  expect(lines(b)).toEqual(lines(a));
  expect(readFileSync(join(b, 'checkpoints', 'latest'), 'utf8')).toBe(readFileSync(join(a, 'checkpoints', 'latest'), 'utf8'));
}

async function compareDepths(overrides: Record<string, unknown>): Promise<void> {
  const out = tmpDir();
  const config = validateConfig(smallConfig(out, overrides));
  const one = await train({ config, runDir: join(out, 'one'), pipelineDepth: 1 });
  const many = await train({ config, runDir: join(out, 'many'), pipelineDepth: 8 });
  expect({ ...many, runDir: '' }).toEqual({ ...one, runDir: '' });
  expectSameRuns(join(out, 'one'), join(out, 'many'));
}

describeNative('pipelined steps equal one step at a time', () => {
  test('transformer with dropout, mixup, meta-masking, accumulation and a plateau scheduler', async () => {
    await compareDepths({
      DATA: { SOURCE: 'synthetic:sequence', TRAIN_SAMPLES: 256, BATCH_SIZE: 16, BLOCK_SIZE: 8, META_COMPONENTS: ['TEMPORAL', 'SPATIAL'] },
      MODEL: { TYPE: 'transformer', D_MODEL: 16, NUM_HEADS: 2, NUM_LAYERS: 1, TOKEN_LIMIT: 8, DROPOUT: 0.2 },
      LR_SCHEDULER: { NAME: 'plateau', PATIENCE: 0, FACTOR: 0.5 },
      TRAIN: { EPOCHS: 3, ACCUMULATION_STEPS: 2 },
      SCHEDULE: {
        METRICS: { STEP_INTERVAL: 3, CONSOLE_INTERVAL: 5, LR_INTERVAL: 4 },
        MIXUP: { GROUP_LEVELS: ['class'], MIN_GROUP_SIZE: 2, PROB: { ENABLED: true, START_PROB: 1.0, END_PROB: 0.2, END_FRACTION: 0.5 } },
        META_MASKING: { ENABLED: true, START_PROB: 0.5, END_PROB: 0.1, END_FRACTION: 0.8 },
      },
    });
  });

  test('two stages: stage 1 stops early, stage 2 thaws block by block', async () => {
    await compareDepths({
      DATA: { SOURCE: 'synthetic:sequence', TRAIN_SAMPLES: 256, BATCH_SIZE: 32, BLOCK_SIZE: 16 },
      MODEL: { TYPE: 'transformer', D_MODEL: 32, NUM_HEADS: 2, NUM_LAYERS: 2, TOKEN_LIMIT: 64, DROPOUT: 0.1 },
      TRAIN: { EPOCHS: 6, EARLY_STOP: { ACTIVE: true, MAX_STEPS: 8 } },
      STAGES: { STAGE1: { ENABLED: true, EPOCHS: 3 }, STAGE2: { PROGRESSIVE_UNFREEZE: true } },
    });
  });

  test('non-finite steps skipped (TRAIN.ON_NONFINITE: skip)', async () => {
    await compareDepths({ OPTIMIZER: { NAME: 'sgd', MOMENTUM: 0 }, LR_SCHEDULER: { NAME: 'constant', BASE_LR: 1e38, WARMUP_STEPS: 0 }, TRAIN: { GRAD_CLIP: 0, ON_NONFINITE: 'skip' } });
  });
});
