/**
 * Two-stage training (seeds 002, 003): stage 1 pretrains the transformer encoder on masked tokens,
 * stage 2 trains the supervised head — with the encoder frozen (FREEZE_BASE: it stays byte-equal),
 * thawed block by block (PROGRESSIVE_UNFREEZE), or as a separate run started from a stage-1
 * checkpoint with `--skip-stage1 --resume-from`.
 */
import { join } from 'path';
import { describeNative } from './helpers';
import { validateConfig } from '../../lib/config';
import { train } from '../../lib/train';
import { checkpointNames, readJsonLines, smallConfig, tensors, tmpDir, trainCli, writeConfig } from './train-helpers';

function twoStage(out: string, stage2: Record<string, unknown>): Record<string, unknown> {
  return smallConfig(out, {
    DATA: { SOURCE: 'synthetic:sequence', TRAIN_SAMPLES: 256, VAL_FRACTION: 0.25, BATCH_SIZE: 32, BLOCK_SIZE: 16 },
    MODEL: { TYPE: 'transformer', D_MODEL: 32, NUM_HEADS: 2, NUM_LAYERS: 2, TOKEN_LIMIT: 64, DROPOUT: 0 },
    LR_SCHEDULER: { NAME: 'cosine', BASE_LR: 0.003, WARMUP_STEPS: 2 },
    TRAIN: { EPOCHS: 4 },
    STAGES: { STAGE1: { ENABLED: true, EPOCHS: 2 }, STAGE2: stage2 },
  });
}

const step = (n: number) => `step-${String(n).padStart(8, '0')}`;
const SPE = 8; // 256 samples / 32

function changed(runDir: string, a: string, b: string, prefix: string): string[] {
  const ta = tensors(runDir, a);
  const tb = tensors(runDir, b);
  return [...ta.keys()].filter((k) => k.startsWith(prefix) && !ta.get(k)!.equals(tb.get(k)!)).sort();
}

describeNative('two-stage training', () => {
  test('FREEZE_BASE: stage 1 trains the encoder, stage 2 leaves it byte-equal and trains the head', async () => {
    const out = tmpDir();
    const runDir = join(out, 'run');
    const stages: string[] = [];
    const { Trainer } = await import('../../lib/train');
    const t = new Trainer({ config: validateConfig(twoStage(out, { FREEZE_BASE: true, LR_SCHEDULER: { BASE_LR: 0.01 } })), runDir });
    t.on('stage', (e) => stages.push(`${e.stage}@${e.step}`));
    const r = await t.run();
    expect(r.status).toBe('completed');
    expect(stages).toEqual(['stage1@0', `stage2@${2 * SPE}`]);
    expect(checkpointNames(runDir)).toEqual([step(SPE), step(2 * SPE), step(3 * SPE), step(4 * SPE)]);
    expect(changed(runDir, step(SPE), step(2 * SPE), 'encoder.').length).toBeGreaterThan(0);
    expect(changed(runDir, step(2 * SPE), step(4 * SPE), 'encoder.')).toEqual([]);
    expect(changed(runDir, step(2 * SPE), step(4 * SPE), 'head.')).toEqual(['head.bias', 'head.weight']);
    // Stage 1 validates the masked-token objective, stage 2 the classifier (perplexity only in stage 1).
    const val = readJsonLines(join(runDir, 'metrics.jsonl')).filter((x) => x.split === 'val');
    expect(val.map((v) => 'perplexity' in v)).toEqual([true, true, false, false]);
  });

  test('PROGRESSIVE_UNFREEZE: head only in the first stage-2 epoch, then the top block', async () => {
    const out = tmpDir();
    const runDir = join(out, 'run');
    const r = await train({ config: validateConfig(twoStage(out, { PROGRESSIVE_UNFREEZE: true })), runDir });
    expect(r.status).toBe('completed');
    expect(changed(runDir, step(2 * SPE), step(3 * SPE), 'encoder.')).toEqual([]);
    const epoch2 = changed(runDir, step(3 * SPE), step(4 * SPE), 'encoder.');
    expect(epoch2.length).toBeGreaterThan(0);
    expect(epoch2.every((n) => n.startsWith('encoder.layers.1.') || n.startsWith('encoder.ln_f.'))).toBe(true);
  });

  test('--skip-stage1 --resume-from a stage-1 checkpoint starts a stage-2 run from that encoder', async () => {
    const out = tmpDir();
    const cfg = twoStage(out, { FREEZE_BASE: true });
    const file = writeConfig(out, cfg);
    const pre = trainCli(['train', file, '--epochs', '3', '--run-dir', join(out, 'pre')]);
    expect(pre.stderr).toBe('');
    expect(pre.status).toBe(0);
    const stage1End = join(out, 'pre', 'checkpoints', step(2 * SPE));
    const r = trainCli(['train', file, '--skip-stage1', '--resume-from', stage1End, '--stage2-lr', '0.02']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('stage 2 starts from the stage-1 encoder');
    const runDir = join(out, 'run');
    // Stage 2 alone: TRAIN.EPOCHS - STAGE1.EPOCHS = 2 epochs.
    expect(checkpointNames(runDir)).toEqual([step(SPE), step(2 * SPE)]);
    const enc1 = tensors(join(out, 'pre'), step(2 * SPE));
    const enc2 = tensors(runDir, step(2 * SPE));
    for (const [k, v] of enc1) if (k.startsWith('encoder.')) expect({ k, equal: v.equals(enc2.get(k)!) }).toEqual({ k, equal: true });
    const lrs = readJsonLines(join(runDir, 'metrics.jsonl')).filter((x) => x.split === 'train').map((x) => x.lr as number);
    expect(Math.max(...lrs)).toBeLessThanOrEqual(0.02);
    expect(Math.max(...lrs)).toBeGreaterThan(0.01);
  });

  test('an early stop in stage 1 ends pretraining, not the run: stage 2 starts at its first step', async () => {
    const out = tmpDir();
    const runDir = join(out, 'run');
    const cfg = twoStage(out, { FREEZE_BASE: true });
    (cfg.TRAIN as Record<string, unknown>).EPOCHS = 5;
    (cfg.TRAIN as Record<string, unknown>).EARLY_STOP = { ACTIVE: true, PATIENCE_STEPS: SPE, MIN_DELTA: 100 };
    (cfg.STAGES as { STAGE1: Record<string, unknown> }).STAGE1.EPOCHS = 3;
    const { Trainer } = await import('../../lib/train');
    const t = new Trainer({ config: validateConfig(cfg), runDir });
    const steps: number[] = [];
    const stages: string[] = [];
    t.on('step', (e) => steps.push(e.step));
    t.on('stage', (e) => stages.push(`${e.stage}@${e.step}`));
    const r = await t.run();
    // Stage 1 (steps 1-24) stops at 16: patience 8 steps without a 100 improvement after step 8.
    expect(steps.slice(14, 18)).toEqual([15, 16, 25, 26]);
    expect(stages).toEqual(['stage1@0', `stage2@${3 * SPE}`]);
    const st = JSON.parse(require('fs').readFileSync(join(runDir, 'checkpoints', step(2 * SPE), 'trainer_state.json'), 'utf8')) as { nextStep: number; stopReason: unknown };
    expect(st).toMatchObject({ nextStep: 3 * SPE, stopReason: null });
    // Stage 2 watches its own metric from scratch and stops by the same rule 8 steps after its first validation.
    expect(r.status).toBe('early_stopped');
    expect(r.step).toBe(5 * SPE);
  });
});
