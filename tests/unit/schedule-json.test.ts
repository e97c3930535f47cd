/** The SPEC §7 JSON object, the resolved values of the human summary, and the sanity warnings. */
import { buildSchedule, buildScheduleJson, resolvedValues } from '../../lib/schedule';
import { makeConfig, stepsConfig } from './helpers/make-config';

describe('buildScheduleJson (SPEC §7)', () => {
  test('a whole small schedule, exactly', () => {
    const c = stepsConfig(3, 2, {
      LR_SCHEDULER: { NAME: 'linear', BASE_LR: 1, MIN_LR: 0, WARMUP_STEPS: 2, WARMUP_LR: 0 },
      SCHEDULE: { META_MASKING: { ENABLED: true, START_PROB: 1, END_PROB: 0, END_STEPS: 4 }, METRICS: { STEP_INTERVAL: 1, CONSOLE_INTERVAL: 1, LR_INTERVAL: 1 } },
    });
    expect(buildScheduleJson(c)).toEqual({
      total_steps: 6,
      steps_per_epoch: 3,
      epochs: 2,
      effective_batch_size: 1,
      lr: { default: [0, 0.5, 1, 0.75, 0.5, 0.25] },
      events: { validation: [3, 6], mask_meta_validation: [], partial_mask_meta_validation: [], checkpoint: [3, 6] },
      probabilities: { meta_mask: [1, 0.75, 0.5, 0.25, 0, 0], partial_meta_mask: [0, 0, 0, 0, 0, 0], mixup: [0, 0, 0, 0, 0, 0] },
      warnings: [],
    });
  });

  test('is plain JSON (round-trips through JSON.stringify)', () => {
    const j = buildScheduleJson(makeConfig({ DATA: { TRAIN_SAMPLES: 3200 } }));
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
    expect(j.total_steps).toBe(1000);
  });

  test('resolved values carry steps and epoch equivalents', () => {
    const rv = resolvedValues(stepsConfig(10, 10, { LR_SCHEDULER: { WARMUP_FRACTION: 0.05 }, SCHEDULE: { VALIDATION: { INTERVAL_STEPS: 25 } } }));
    expect(rv.find((v) => v.key === 'LR_SCHEDULER.WARMUP_FRACTION')).toEqual({ key: 'LR_SCHEDULER.WARMUP_FRACTION', given: 0.05, steps: 5, epochs: 0.5 });
    expect(rv.find((v) => v.key === 'SCHEDULE.VALIDATION.INTERVAL_STEPS')).toEqual({ key: 'SCHEDULE.VALIDATION.INTERVAL_STEPS', given: 25, steps: 25, epochs: 2.5 });
    expect(rv.find((v) => v.key === 'TRAIN.EPOCHS')).toEqual({ key: 'TRAIN.EPOCHS', given: 10, steps: 100, epochs: 10 });
    expect(rv.find((v) => v.key === 'steps_per_epoch')?.steps).toBe(10);
  });
});

describe('sanity warnings', () => {
  const warns = (c: ReturnType<typeof stepsConfig>) => buildSchedule(c).warnings;

  test('a sensible config has none', () => {
    expect(warns(stepsConfig(100, 10, { LR_SCHEDULER: { WARMUP_FRACTION: 0.05 } }))).toEqual([]);
  });

  test('warmup over half the run', () => {
    expect(warns(stepsConfig(10, 10, { LR_SCHEDULER: { WARMUP_FRACTION: 0.6 } })).join('\n')).toMatch(/LR_SCHEDULER\.WARMUP_FRACTION: warmup takes 60 of the 100 steps/);
  });

  test('an interval that never fires', () => {
    expect(warns(stepsConfig(10, 10, { SCHEDULE: { VALIDATION: { MASK_META_INTERVAL_EPOCHS: 20 } } })).join('\n')).toMatch(/MASK_META_INTERVAL_EPOCHS: .* never fires/);
  });

  test('KEEP_TOP_N without validation', () => {
    expect(warns(stepsConfig(10, 10, { SCHEDULE: { VALIDATION: { INTERVAL_STEPS: 1000 }, CHECKPOINT: { KEEP_TOP_N: 3 } } })).join('\n')).toMatch(/KEEP_TOP_N/);
  });

  test('early-stop patience longer than the run', () => {
    expect(warns(stepsConfig(10, 10, { TRAIN: { EARLY_STOP: { ACTIVE: true, PATIENCE_EPOCHS: 20 } } })).join('\n')).toMatch(/patience \(200 steps\) is not shorter than the run/);
  });

  test('MIN_LR above BASE_LR', () => {
    expect(warns(stepsConfig(10, 10, { LR_SCHEDULER: { BASE_LR: 1e-4, MIN_LR: 1e-3 } })).join('\n')).toMatch(/MIN_LR .* is above BASE_LR/);
  });

  test('a generated plan keeping many checkpoints', () => {
    const c = stepsConfig(1000, 10, {
      SCHEDULE: { CHECKPOINT: { GENERATE: { FIRST_EPOCH_CHECKPOINTS: 50, SUBSEQUENT_EPOCHS_SPACING: 'linear', LOG_BASE: 2, MIN_CHECKPOINT_INTERVAL: 0, LINEAR_INTERVAL: 100 } } },
    });
    expect(warns(c).join('\n')).toMatch(/saves \d+ checkpoints/);
  });

  test('a plateau scheduler that can never reduce', () => {
    expect(warns(stepsConfig(10, 5, { LR_SCHEDULER: { NAME: 'plateau', PATIENCE: 10 } })).join('\n')).toMatch(/LR_SCHEDULER\.PATIENCE/);
  });

  test('an early-stop metric whose direction cannot be inferred', () => {
    expect(warns(stepsConfig(10, 5, { TRAIN: { EARLY_STOP: { ACTIVE: true, METRIC: 'val_score' } } })).join('\n')).toMatch(/cannot tell/);
  });
});
