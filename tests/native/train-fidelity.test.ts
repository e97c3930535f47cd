/**
 * Issue 12 through the CLI, as a user runs it: seed 002's four scenarios scaled down
 * (configs/seed-002.yaml; docs/training.md), resume with a changed configuration (SPEC §15),
 * --weights-only, seed 004's per-epoch warmup then ReduceLROnPlateau (SPEC §16), the memory
 * options on CPU, and DATA.RANDOM_OFFSETS resuming exactly.
 */
import { copyFileSync, existsSync, writeFileSync } from 'fs';
import { join } from 'path';
import { describeNative } from './helpers';
import { train, Trainer } from '../../lib/train';
import { loadConfig } from '../../lib/config';
import { checkpointNames, readJsonLines, ROOT, smallConfig, tensors, tmpDir, trainCli, trainerState, writeConfig } from './train-helpers';

/** The LR each optimizer step used, by global step, from metrics.jsonl's train lines (STEP_INTERVAL 1). */
function lrByStep(runDir: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const r of readJsonLines(join(runDir, 'metrics.jsonl'))) if (r.split === 'train') m.set(r.step as number, r.lr as number);
  return m;
}

function epochsOf(runDir: string): number[] {
  return readJsonLines(join(runDir, 'metrics.jsonl')).map((r) => r.epoch as number);
}

const cosine = (min: number, max: number, p: number) => min + ((max - min) * (1 + Math.cos(Math.PI * p))) / 2;

describeNative("seed 002's scenarios (configs/seed-002.yaml)", () => {
  const cwd = tmpDir('tn-seed002-');
  copyFileSync(join(ROOT, 'configs', 'seed-002.yaml'), join(cwd, 'seed-002.yaml'));
  const run = (args: string[]) => trainCli(['train', 'seed-002.yaml', ...args], cwd);
  const S1 = 3 * 8; // stage 1: 3 epochs of 8 steps (batch 32); stage 2: epochs of 16 steps (batch 16)
  const EPOCH8 = S1 + 5 * 16;

  test('scenario 1: two stages, --stage2-batch-size, --warmup-epochs, --progressive-unfreeze', () => {
    const r = run(['--batch-size', '32', '--stage2-batch-size', '16', '--epochs', '12', '--stage1-epochs', '3', '--lr', '0.0025', '--stage2-lr', '0.002', '--scheduler', 'cosine', '--min-lr', '0.0001', '--warmup-epochs', '1', '--progressive-unfreeze']);
    expect((r.stdout + r.stderr)).toContain('done: 168/168 steps');
    expect((r.stdout + r.stderr)).toContain('stage 1: supervised training with the base frozen (steps 1–24)');
    expect((r.stdout + r.stderr)).toContain('step 0: layers.* frozen (stage 1)');
    expect((r.stdout + r.stderr)).toContain('step 24: base frozen (head only)');
    expect((r.stdout + r.stderr)).toContain('step 40: top 1 of 2 blocks thawed');
    expect((r.stdout + r.stderr)).toContain('step 56: top 2 of 2 blocks thawed');
    const dir = join(cwd, 'runs', 'seed-002');
    const lr = lrByStep(dir);
    expect(lr.get(1)).toBe(0); // stage-1 warmup from 0
    expect(lr.get(S1 + 1)).toBe(0.0001); // stage-2 warmup starts at MIN_LR (SPEC §3)
    expect(lr.get(S1 + 16 + 1)).toBe(0.002); // one stage-2 epoch (16 steps) later: --stage2-lr
    const epochs = epochsOf(dir);
    expect(Math.max(...epochs)).toBe(12);
    expect(checkpointNames(dir)).toContain(`step-${String(EPOCH8).padStart(8, '0')}`);
  });

  test('scenario 2: resume at epoch 8 with --epochs 15 --scheduler cosine --stage2-lr 3e-3 --skip-stage1', () => {
    const from = join('runs', 'seed-002', 'checkpoints', `step-${String(EPOCH8).padStart(8, '0')}`);
    const r = run(['--resume-from', from, '--batch-size', '32', '--stage2-batch-size', '16', '--epochs', '15', '--stage1-epochs', '3', '--lr', '0.0025', '--stage2-lr', '0.003', '--scheduler', 'cosine', '--min-lr', '0.0001', '--progressive-unfreeze', '--skip-stage1']);
    expect(r.status).toBe(0);
    expect((r.stdout + r.stderr)).toContain('changed since checkpoint step-00000104: LR_SCHEDULER.WARMUP_EPOCHS 1 → (unset), STAGES.STAGE2.LR_SCHEDULER.BASE_LR 0.002 → 0.003, TRAIN.EPOCHS 12 → 15');
    expect((r.stdout + r.stderr)).toContain('the schedule is re-based at step 104: epochs 9–15');
    const dir = join(cwd, 'runs', 'seed-002-2');
    const T = EPOCH8 + 7 * 16;
    expect((r.stdout + r.stderr)).toContain(`done: ${T}/${T} steps`);
    const lr = lrByStep(dir);
    expect(lr.get(EPOCH8 + 1)).toBe(0.003); // no warmup: the new LR at once
    expect(lr.get(T)).toBe(cosine(0.0001, 0.003, (T - 1 - EPOCH8) / (T - EPOCH8)));
    const epochs = epochsOf(dir);
    expect(epochs[0]).toBe(9);
    expect(epochs[epochs.length - 1]).toBe(15);
    for (let i = 1; i < epochs.length; i++) expect(epochs[i]).toBeGreaterThanOrEqual(epochs[i - 1]);
    const st = trainerState(dir, `step-${String(T).padStart(8, '0')}`);
    expect(st.source).toEqual({ checkpoint: join(cwd, from), step: EPOCH8, mode: 'rebased' });
    expect(st.epoch).toBe(16);
    // The source run is untouched.
    expect(checkpointNames(join(cwd, 'runs', 'seed-002'))).toContain('step-00000168');
  });

  test('scenario 3: fresh cosine_restart --t-mult 2 --warmup-epochs 2: training uses exactly the LRs `schedule --json` shows', () => {
    const args = ['--batch-size', '32', '--stage2-batch-size', '16', '--epochs', '12', '--stage1-epochs', '3', '--lr', '0.0025', '--stage2-lr', '0.0025', '--scheduler', 'cosine_restart', '--min-lr', '0.0001', '--warmup-epochs', '2', '--t-mult', '2', '--progressive-unfreeze', '--set', 'EXPERIMENT.NAME=optimal', '--set', 'LR_SCHEDULER.RESTART_EPOCHS=2'];
    const r = run(args);
    expect(r.status).toBe(0);
    const json = trainCli(['schedule', 'seed-002.yaml', '--json', ...args], cwd);
    const planned = (JSON.parse(json.stdout) as { lr: { default: number[] }; total_steps: number }).lr.default;
    expect(planned.length).toBe(168);
    const lr = lrByStep(join(cwd, 'runs', 'optimal'));
    for (let k = 0; k < 168; k++) expect({ k, lr: lr.get(k + 1) }).toEqual({ k, lr: planned[k] });
  });

  test('scenario 4: resume with --epochs 14 --stage2-lr 5e-3 --min-lr 5e-4, no warmup', () => {
    const from = join('runs', 'seed-002', 'checkpoints', `step-${String(EPOCH8).padStart(8, '0')}`);
    const r = run(['--resume-from', from, '--batch-size', '32', '--stage2-batch-size', '16', '--epochs', '14', '--stage1-epochs', '3', '--lr', '0.0025', '--stage2-lr', '0.005', '--scheduler', 'cosine', '--min-lr', '0.00005', '--skip-stage1', '--set', 'EXPERIMENT.NAME=aggressive']);
    expect(r.status).toBe(0);
    const dir = join(cwd, 'runs', 'aggressive');
    const T = EPOCH8 + 6 * 16;
    const lr = lrByStep(dir);
    expect(lr.get(EPOCH8 + 1)).toBe(0.005);
    expect(lr.get(T)).toBe(cosine(0.00005, 0.005, (T - 1 - EPOCH8) / (T - EPOCH8)));
    expect(epochsOf(dir)[0]).toBe(9);
  });

  test('a changed batch size on resume: epochs continue from the checkpoint and never go backwards', () => {
    const from = join('runs', 'seed-002', 'checkpoints', `step-${String(EPOCH8).padStart(8, '0')}`);
    const r = run(['--resume-from', from, '--stage2-batch-size', '64', '--set', 'EXPERIMENT.NAME=batch']);
    expect(r.status).toBe(0);
    expect((r.stdout + r.stderr)).toContain('STAGES.STAGE2.BATCH_SIZE 16 → 64');
    const epochs = epochsOf(join(cwd, 'runs', 'batch'));
    expect(epochs[0]).toBe(9);
    expect(epochs[epochs.length - 1]).toBe(12);
    for (let i = 1; i < epochs.length; i++) expect(epochs[i]).toBeGreaterThanOrEqual(epochs[i - 1]);
    expect((r.stdout + r.stderr)).toContain(`done: ${EPOCH8 + 4 * 4}/${EPOCH8 + 4 * 4} steps`);
  });

  test('--weights-only: the weights alone; optimizer, counters and schedule from step 0 in a new run directory', () => {
    const from = join('runs', 'seed-002', 'checkpoints', `step-${String(EPOCH8).padStart(8, '0')}`);
    const r = run(['--resume-from', from, '--weights-only', '--stage2-batch-size', '16', '--set', 'EXPERIMENT.NAME=weights']);
    expect(r.status).toBe(0);
    const dir = join(cwd, 'runs', 'weights');
    expect(checkpointNames(dir)[0]).toBe('step-00000008');
    expect(epochsOf(dir)[0]).toBe(1);
    expect(trainerState(dir, 'step-00000008').source).toEqual({ checkpoint: join(cwd, from), step: EPOCH8, mode: 'weights-only' });
    // Step 1 starts from the checkpoint's weights: its loss is the trained model's, far below a fresh model's ln(4).
    const first = readJsonLines(join(dir, 'metrics.jsonl')).find((x) => x.split === 'train' && x.step === 1) as { loss: number };
    expect(first.loss).toBeLessThan(1.0);
  });
});

describeNative('--auto-resume with a changed schedule', () => {
  test('re-based in its own run directory; a second --auto-resume continues the re-based run, not the old checkpoint', () => {
    const out = tmpDir();
    const file = writeConfig(out, smallConfig(out, { SCHEDULE: { METRICS: { STEP_INTERVAL: 1 } }, LOGGING: { PROGRESS: 'plain', TENSORBOARD: false } }));
    const dir = join(out, 'run');
    expect(trainCli(['train', file]).status).toBe(0); // 2 epochs of 16 steps
    const more = trainCli(['train', file, '--auto-resume', '--epochs', '4']);
    expect(more.status).toBe(0);
    expect(more.stdout).toContain('changed since checkpoint step-00000032: TRAIN.EPOCHS 2 → 4');
    expect(more.stdout).toContain('the schedule is re-based at step 32: epochs 3–4, steps 33–64');
    expect(more.stdout).toContain('done: 64/64 steps');
    expect(existsSync(join(out, 'run-2'))).toBe(false);
    expect(trainerState(dir, 'step-00000064').source).toEqual({ checkpoint: join(dir, 'checkpoints', 'step-00000032'), step: 32, mode: 'rebased' });
    // The re-based schedule (its WARMUP_STEPS 4 from s0, then cosine) decays to the new end.
    const lr = lrByStep(dir);
    expect(lr.get(64)).toBeLessThan(lr.get(40) as number);
    // One line per step in metrics.jsonl: the logs were trimmed at the checkpoint, steps never repeat.
    const steps = readJsonLines(join(dir, 'metrics.jsonl')).filter((x) => x.split === 'train').map((x) => x.step as number);
    expect(steps).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(Math.max(...epochsOf(dir))).toBe(4);
    const again = trainCli(['train', file, '--auto-resume', '--epochs', '4']);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('nothing to do: the run already finished all 64 steps');
  });
});

describeNative("seed 002's stages: what trains when", () => {
  /** Two hidden layers, supervised stage 1 for 3 epochs of 8 steps, stage 2 at batch 16 (16 steps an epoch). */
  function stagesConfig(out: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return smallConfig(out, {
      DATA: { TRAIN_SAMPLES: 256 },
      MODEL: { HIDDEN_SIZES: [32, 32], DROPOUT: 0 },
      STAGES: { STAGE1: { ENABLED: true, EPOCHS: 3, OBJECTIVE: 'supervised' }, STAGE2: { BATCH_SIZE: 16, PROGRESSIVE_UNFREEZE: true } },
      TRAIN: { EPOCHS: 6 },
      ...extra,
    });
  }

  test('stage 1 leaves the base byte-equal and trains the head; progressive unfreezing thaws the top layer first', () => {
    const out = tmpDir();
    const file = writeConfig(out, stagesConfig(out, { SCHEDULE: { CHECKPOINT: { INTERVAL_EPOCHS: undefined, STEPS: [0, 24, 40, 56, 72] } } }));
    expect(trainCli(['train', file]).status).toBe(0);
    const dir = join(out, 'run');
    expect(checkpointNames(dir)).toEqual(['step-00000000', 'step-00000024', 'step-00000040', 'step-00000056', 'step-00000072']);
    const at = (step: number) => tensors(dir, `step-${String(step).padStart(8, '0')}`);
    const same = (a: number, b: number, prefix: string) => [...at(a)].filter(([k]) => k.startsWith(prefix)).every(([k, v]) => v.equals(at(b).get(k) as Buffer));
    expect(same(0, 24, 'layers.')).toBe(true); // stage 1: the base frozen
    expect(same(0, 24, 'head.')).toBe(false); // … and the head trained
    expect(same(24, 40, 'layers.')).toBe(true); // stage-2 epoch 0: head only
    expect(same(40, 56, 'layers.1.')).toBe(false); // epoch 1: the top hidden layer thawed
    expect(same(40, 56, 'layers.0.')).toBe(true);
    expect(same(56, 72, 'layers.0.')).toBe(false); // epoch 2: both
  });

  test('exact resume inside stage 2 (its own batch size) equals the uninterrupted run', async () => {
    const out = tmpDir();
    const file = writeConfig(out, stagesConfig(out, { LOGGING: { PROGRESS: 'none', TENSORBOARD: false } }));
    const { config } = loadConfig({ file });
    const straight = await train({ config, runDir: join(out, 'straight') });
    expect(straight.step).toBe(24 + 3 * 16);
    const controller = new AbortController();
    const first = new Trainer({ config, runDir: join(out, 'resumed'), signal: controller.signal });
    first.on('step', (e) => {
      if (e.step === 24 + 16 + 5) controller.abort();
    });
    expect((await first.run()).status).toBe('aborted');
    const { config: again } = loadConfig({ file, sets: ['TRAIN.AUTO_RESUME=true'] });
    expect((await train({ config: again, runDir: join(out, 'resumed') })).resumedFrom).toBe('step-00000045');
    for (const f of ['model', 'optimizer'] as const) {
      const a = tensors(join(out, 'straight'), 'step-00000072', f);
      const b = tensors(join(out, 'resumed'), 'step-00000072', f);
      for (const [k, v] of a) expect({ k, equal: v.equals(b.get(k) as Buffer) }).toEqual({ k, equal: true });
    }
    expect(epochsOf(join(out, 'resumed'))).toEqual(epochsOf(join(out, 'straight')));
  });
});

describeNative('seed 004: per-epoch warmup, then ReduceLROnPlateau', () => {
  test('epochs 1-5 at exactly 2e-4 … 1e-3, constant within each epoch, then halvings', () => {
    const out = tmpDir();
    const file = writeConfig(out, smallConfig(out, {
      DATA: { TRAIN_SAMPLES: 128 },
      LR_SCHEDULER: { NAME: 'plateau', INTERVAL: 'epoch', BASE_LR: 0.001, WARMUP_LR: 0, WARMUP_EPOCHS: 5, WARMUP_STEPS: undefined, FACTOR: 0.5, PATIENCE: 1, THRESHOLD: 0.5 },
      TRAIN: { EPOCHS: 10 },
      SCHEDULE: { METRICS: { STEP_INTERVAL: 1 } },
    }));
    const r = trainCli(['train', file]);
    expect(r.status).toBe(0);
    const lr = lrByStep(join(out, 'run'));
    const perEpoch = Array.from({ length: 10 }, (_, e) => lr.get(e * 4 + 1));
    for (let k = 1; k <= 40; k++) expect(lr.get(k)).toBe(perEpoch[Math.floor((k - 1) / 4)]);
    expect(perEpoch.slice(0, 5)).toEqual([2e-4, 4e-4, 6e-4, 8e-4, 1e-3]);
    // THRESHOLD 0.5 makes every later validation a plateau: with PATIENCE 1, a halving every second epoch.
    const after = perEpoch.slice(5) as number[];
    expect(after[after.length - 1]).toBeLessThan(1e-3);
    for (const v of after) expect(Math.log2(1e-3 / v)).toBeCloseTo(Math.round(Math.log2(1e-3 / v)), 9);
    const json = trainCli(['schedule', file, '--json']);
    const planned = (JSON.parse(json.stdout) as { lr: { default: number[] } }).lr.default;
    expect([0, 4, 8, 12, 16].map((k) => planned[k])).toEqual([2e-4, 4e-4, 6e-4, 8e-4, 1e-3]);
  });
});

describeNative('memory options on CPU', () => {
  test('--use-expandable-segments and TRAIN.EMPTY_CACHE: batch warn that they have no effect', () => {
    const out = tmpDir();
    const file = writeConfig(out, smallConfig(out, { TRAIN: { EPOCHS: 1, EMPTY_CACHE: 'batch' } }));
    const r = trainCli(['train', file, '--use-expandable-segments']);
    expect(r.status).toBe(0);
    expect((r.stdout + r.stderr)).toContain('warning: TRAIN.EXPANDABLE_SEGMENTS has no effect on cpu');
    expect((r.stdout + r.stderr)).toContain('warning: TRAIN.EMPTY_CACHE batch has no effect on cpu');
  });
});

describeNative('DATA.STRIDE and DATA.RANDOM_OFFSETS', () => {
  test('text with overlapping blocks and random offsets: an aborted and resumed run equals an uninterrupted one', async () => {
    const out = tmpDir();
    let text = '';
    for (let i = 0; text.length < 6000; i++) text += `line ${i}: the quick brown fox ${i % 7} jumps over ${i % 13}\n`;
    writeFileSync(join(out, 'corpus.txt'), text);
    const file = writeConfig(out, smallConfig(out, {
      DATA: { SOURCE: 'text', TRAIN_PATH: join(out, 'corpus.txt'), TRAIN_SAMPLES: undefined, VAL_FRACTION: 0.1, BATCH_SIZE: 16, BLOCK_SIZE: 32, STRIDE: 8, RANDOM_OFFSETS: true },
      MODEL: { TYPE: 'gpt', D_MODEL: 16, NUM_HEADS: 2, NUM_LAYERS: 1, TOKEN_LIMIT: 32, DROPOUT: 0, INPUT_DIM: undefined, NUM_CLASSES: undefined, HIDDEN_SIZES: undefined },
      TRAIN: { EPOCHS: 3 },
      LOGGING: { PROGRESS: 'none', TENSORBOARD: false },
    }));
    const { config } = loadConfig({ file });
    const straight = await train({ config, runDir: join(out, 'straight') });
    expect(straight.status).toBe('completed');
    // (6000 - 32 - 7) / 8 + 1 blocks, 10% held out, batches of 16.
    const blocks = Math.floor((Buffer.byteLength(text) - 32 - 7) / 8) + 1;
    const spe = Math.floor((blocks - Math.round(0.1 * blocks)) / 16);
    expect(straight.totalSteps).toBe(3 * spe);

    const controller = new AbortController();
    const first = new Trainer({ config, runDir: join(out, 'resumed'), signal: controller.signal });
    first.on('step', (e) => {
      if (e.step === spe + 3) controller.abort(); // mid-epoch 2
    });
    expect((await first.run()).status).toBe('aborted');
    const { config: again } = loadConfig({ file, sets: ['TRAIN.AUTO_RESUME=true'] });
    const second = await train({ config: again, runDir: join(out, 'resumed') });
    expect(second.step).toBe(3 * spe);
    const name = `step-${String(3 * spe).padStart(8, '0')}`;
    expect(existsSync(join(out, 'resumed', 'checkpoints', name))).toBe(true);
    const a = tensors(join(out, 'straight'), name);
    const b = tensors(join(out, 'resumed'), name);
    for (const [k, v] of a) expect({ k, equal: v.equals(b.get(k) as Buffer) }).toEqual({ k, equal: true });
  });
});
