/**
 * How runs end: early stopping for each of its reasons (logged, returned and saved in
 * trainer_state.json), a non-finite loss stopping the run (default) or being skipped, and
 * checkpoint retention keeping exactly top-N ∪ last-N.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { describeNative } from './helpers';
import { train } from '../../lib/train';
import { validateConfig } from '../../lib/config';
import type { TrainResult } from '../../lib/train';
import { checkpointNames, readJsonLines, smallConfig, tmpDir, trainerState } from './train-helpers';

async function run(overrides: Record<string, unknown>): Promise<{ r: TrainResult; runDir: string; earlyStops: string[]; skipped: number }> {
  const out = tmpDir();
  const runDir = join(out, 'run');
  const config = validateConfig(smallConfig(out, overrides));
  const earlyStops: string[] = [];
  const { Trainer } = await import('../../lib/train');
  const t = new Trainer({ config, runDir });
  let skipped = 0;
  t.on('earlyStop', (e) => earlyStops.push(e.code));
  t.on('step', (e) => (skipped += e.skipped ? 1 : 0));
  const r = await t.run();
  return { r, runDir, earlyStops, skipped };
}

const ES = (extra: Record<string, unknown>) => ({ TRAIN: { EPOCHS: 6, EARLY_STOP: { ACTIVE: true, ...extra } } });

describeNative('early stopping: every reason stops the run, is returned and saved', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['patience', { PATIENCE_EPOCHS: 1, MIN_DELTA: 100 }, /has not decreased by more than 100/],
    ['max_steps', { MAX_STEPS: 32 }, /MAX_STEPS \(32\)/],
    ['max_loss', { MAX_LOSS: 1e-6 }, /above TRAIN\.EARLY_STOP\.MAX_LOSS/],
    ['min_lr', { MIN_LR: 1 }, /below TRAIN\.EARLY_STOP\.MIN_LR/],
    ['max_grad_norm', { MAX_GRAD_NORM: 1e-9 }, /above TRAIN\.EARLY_STOP\.MAX_GRAD_NORM/],
  ];
  test.each(cases)('%s', async (code, es, pattern) => {
    const { r, runDir, earlyStops } = await run(ES(es));
    expect(r.status).toBe('early_stopped');
    expect(r.reason).toMatch(pattern);
    expect(earlyStops).toEqual([code]);
    expect(r.step).toBeLessThan(r.totalSteps);
    const last = checkpointNames(runDir).slice(-1)[0];
    const st = trainerState(runDir, last) as { step: number; stopReason: string; earlyStop: { code: string } };
    expect(st.step).toBe(r.step);
    expect(st.stopReason).toBe(r.reason);
    expect(st.earlyStop.code).toBe(code);
    // Resuming a stopped run does nothing and says why.
    const resumeConfig = validateConfig(smallConfig(join(runDir, '..'), { TRAIN: { EPOCHS: 6, AUTO_RESUME: true, EARLY_STOP: { ACTIVE: true, ...es } } }));
    const again = await train({ config: resumeConfig, runDir });
    expect(again.status).toBe('early_stopped');
    expect(again.step).toBe(r.step);
  });
});

describeNative('a non-finite loss', () => {
  const explode = { OPTIMIZER: { NAME: 'sgd', MOMENTUM: 0 }, LR_SCHEDULER: { NAME: 'constant', BASE_LR: 1e38, WARMUP_STEPS: 0 }, TRAIN: { GRAD_CLIP: 0 } };

  test('stops the run by default, is never saved as a checkpoint, and the earlier checkpoints stay intact', async () => {
    const { r, runDir, earlyStops } = await run(explode);
    expect(r.status).toBe('non_finite_loss');
    expect(r.reason).toMatch(/non-finite/);
    expect(earlyStops).toEqual(['non_finite_loss']);
    for (const n of checkpointNames(runDir)) {
      const st = trainerState(runDir, n) as { step: number };
      expect(st.step).toBeLessThan(r.step);
    }
  });

  test('is skipped with TRAIN.ON_NONFINITE: skip, and never becomes best', async () => {
    const { r, runDir, skipped } = await run({ ...explode, TRAIN: { GRAD_CLIP: 0, ON_NONFINITE: 'skip' } });
    expect(r.status).toBe('completed');
    expect(skipped).toBeGreaterThan(0);
    const nonFinite = readJsonLines(join(runDir, 'metrics.jsonl'))
      .filter((x) => x.split === 'val' && x.loss === null)
      .map((x) => `step-${String(x.step).padStart(8, '0')}`);
    expect(nonFinite.length).toBeGreaterThan(0);
    if (r.best) expect(nonFinite).not.toContain(r.best.checkpoint);
  });
});

describeNative('retention keeps exactly the union of the KEEP_TOP_N best and KEEP_LAST_N newest', () => {
  test.each([
    [1, 2],
    [2, 1],
    [0, 3],
    [3, 0],
  ])('KEEP_TOP_N %i, KEEP_LAST_N %i', async (top, last) => {
    const { r, runDir } = await run({ TRAIN: { EPOCHS: 6 }, LR_SCHEDULER: { BASE_LR: 0.05 }, SCHEDULE: { CHECKPOINT: { INTERVAL_EPOCHS: 1, KEEP_TOP_N: top, KEEP_LAST_N: last } } });
    expect(r.status).toBe('completed');
    // Every epoch's val_loss from metrics.jsonl; the checkpoint of epoch e is step e * 16.
    const val = readJsonLines(join(runDir, 'metrics.jsonl')).filter((x) => x.split === 'val');
    const all = val.map((v) => ({ name: `step-${String(v.step).padStart(8, '0')}`, loss: v.loss as number }));
    expect(all).toHaveLength(6);
    const bestN = [...all].sort((a, b) => a.loss - b.loss || b.name.localeCompare(a.name)).slice(0, top).map((c) => c.name);
    const lastN = all.slice(all.length - last).map((c) => c.name);
    const expected = [...new Set([...bestN, ...lastN])].sort();
    expect(checkpointNames(runDir)).toEqual(expected.length ? expected : [all[all.length - 1].name]);
    const best = [...all].sort((a, b) => a.loss - b.loss)[0];
    if (top > 0) expect(readFileSync(join(runDir, 'checkpoints', 'best'), 'utf8').trim()).toBe(best.name);
  });

  test('a monitored metric that validation never produces is reported once', async () => {
    const out = tmpDir();
    const config = validateConfig(smallConfig(out, { TRAIN: { EARLY_STOP: { METRIC: 'val_acc' } } }));
    const { Trainer } = await import('../../lib/train');
    const t = new Trainer({ config, runDir: join(out, 'run') });
    const warnings: string[] = [];
    t.on('warning', (w) => warnings.push(w));
    const r = await t.run();
    expect(r.best).toBeNull();
    expect(warnings.filter((w) => w.includes('val_acc'))).toEqual([
      'TRAIN.EARLY_STOP.METRIC val_acc is not a validation metric of this run (val_loss, val_accuracy): early stopping and best / top-N checkpoints ignore it',
    ]);
  });
});
