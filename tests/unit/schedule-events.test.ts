/** Events (SPEC §4): epoch-boundary rules, checkpoint methods, generated plans, metric logging. */
import { ConfigError } from '../../lib/config/errors';
import { buildSchedule, buildScheduleJson, checkpointPlanFromConfig, EVENT, generateCheckpointPlan, allCombinations } from '../../lib/schedule';
import { stepsConfig } from './helpers/make-config';

describe('validation at epoch boundaries', () => {
  test('defaults to every epoch', () => {
    expect(buildScheduleJson(stepsConfig(10, 4)).events.validation).toEqual([10, 20, 30, 40]);
  });

  test('INTERVAL_EPOCHS N: end of epochs N, 2N, … (not epoch 0)', () => {
    const j = buildScheduleJson(stepsConfig(10, 7, { SCHEDULE: { VALIDATION: { INTERVAL_EPOCHS: 3 } } }));
    expect(j.events.validation).toEqual([30, 60]);
  });

  test('INTERVAL_STEPS s: the first boundary at or after each multiple of s (non-divisor interval)', () => {
    // 7 steps per epoch, s = 10: multiples 10, 20, 30, 40 → boundaries 14, 21, 35, 42 (28 holds none).
    const j = buildScheduleJson(stepsConfig(7, 6, { SCHEDULE: { VALIDATION: { INTERVAL_STEPS: 10 } } }));
    expect(j.events.validation).toEqual([14, 21, 35, 42]);
  });

  test('INTERVAL_STEPS that divides the epoch length fires at every boundary it reaches', () => {
    const j = buildScheduleJson(stepsConfig(10, 4, { SCHEDULE: { VALIDATION: { INTERVAL_STEPS: 20 } } }));
    expect(j.events.validation).toEqual([20, 40]);
  });

  test('INTERVAL_STEPS shorter than an epoch: every boundary once', () => {
    const j = buildScheduleJson(stepsConfig(10, 3, { SCHEDULE: { VALIDATION: { INTERVAL_STEPS: 3 } } }));
    expect(j.events.validation).toEqual([10, 20, 30]);
  });

  test('INTERVAL_FRACTION resolves to round(f·T) and uses the step rule', () => {
    // T = 70, 0.25 → 18 (17.5 rounds up): multiples 18, 36, 54 → boundaries 20, 40, 60.
    const j = buildScheduleJson(stepsConfig(10, 7, { SCHEDULE: { VALIDATION: { INTERVAL_FRACTION: 0.25 } } }));
    expect(j.events.validation).toEqual([20, 40, 60]);
  });

  test('fractional INTERVAL_EPOCHS becomes steps', () => {
    // 1.5 epochs of 10 steps = 15: multiples 15, 30, 45 → boundaries 20, 30, 50.
    const j = buildScheduleJson(stepsConfig(10, 5, { SCHEDULE: { VALIDATION: { INTERVAL_EPOCHS: 1.5 } } }));
    expect(j.events.validation).toEqual([20, 30, 50]);
  });

  test('MAX_STEPS cutting an epoch: total_steps is the last epoch boundary', () => {
    const c = stepsConfig(10, 5, { TRAIN: { MAX_STEPS: 25 } });
    const j = buildScheduleJson(c);
    expect(j.total_steps).toBe(25);
    expect(j.epochs).toBe(3);
    expect(j.events.validation).toEqual([10, 20, 25]);
    expect(j.events.checkpoint).toEqual([10, 20, 25]);
  });

  test('two of a triple is a config error naming both keys', () => {
    const c = stepsConfig(10, 5, { SCHEDULE: { VALIDATION: { INTERVAL_STEPS: 10, INTERVAL_EPOCHS: 1 } } });
    expect(() => buildSchedule(c)).toThrow(ConfigError);
    expect(() => buildSchedule(c)).toThrow(/SCHEDULE\.VALIDATION\.INTERVAL_STEPS and SCHEDULE\.VALIDATION\.INTERVAL_EPOCHS/);
  });
});

describe('mask-meta validations', () => {
  test('mask-meta validation only when an interval is given', () => {
    expect(buildScheduleJson(stepsConfig(10, 4)).events.mask_meta_validation).toEqual([]);
    const j = buildScheduleJson(stepsConfig(10, 4, { SCHEDULE: { VALIDATION: { MASK_META_INTERVAL_EPOCHS: 2 } } }));
    expect(j.events.mask_meta_validation).toEqual([20, 40]);
  });

  test('partial mask-meta validation only when enabled, with its own interval or with every validation', () => {
    const off = stepsConfig(10, 4, { SCHEDULE: { VALIDATION: { PARTIAL_MASK_META: { ENABLED: false, INTERVAL_EPOCHS: 1, WHITELIST: [['A']] } } } });
    expect(buildScheduleJson(off).events.partial_mask_meta_validation).toEqual([]);
    const own = stepsConfig(10, 4, { SCHEDULE: { VALIDATION: { PARTIAL_MASK_META: { ENABLED: true, INTERVAL_STEPS: 25, WHITELIST: [['A'], ['A', 'B']] } } } });
    const s = buildSchedule(own);
    expect(s.eventPlan.partialMaskMetaValidation).toEqual([30]);
    expect(s.eventPlan.partialCombinations).toEqual([['A'], ['A', 'B']]);
    const withValidation = stepsConfig(10, 4, { SCHEDULE: { VALIDATION: { INTERVAL_EPOCHS: 2, PARTIAL_MASK_META: { ENABLED: true, WHITELIST: [['A']] } } } });
    expect(buildScheduleJson(withValidation).events.partial_mask_meta_validation).toEqual([20, 40]);
  });

  test('final-epoch exhaustive validation: every non-empty subset, at total_steps', () => {
    expect(allCombinations(['T', 'S', 'E'])).toEqual([['T'], ['S'], ['E'], ['T', 'S'], ['T', 'E'], ['S', 'E'], ['T', 'S', 'E']]);
    const c = stepsConfig(10, 3, {
      SCHEDULE: { VALIDATION: { FINAL_EPOCH: { EXHAUSTIVE_PARTIAL_META_VALIDATION: true, EXHAUSTIVE_META_COMPONENTS: ['T', 'S'] } } },
    });
    const s = buildSchedule(c);
    expect(s.has(30, EVENT.EXHAUSTIVE_META_VALIDATION)).toBe(true);
    expect(s.has(20, EVENT.EXHAUSTIVE_META_VALIDATION)).toBe(false);
    const j = buildScheduleJson(c);
    expect(j.events.partial_mask_meta_validation).toEqual([30]);
    expect(j.exhaustive_meta_combinations).toEqual([['T'], ['S'], ['T', 'S']]);
  });
});

describe('checkpoints', () => {
  test('interval methods follow the epoch rules; default every epoch', () => {
    expect(buildScheduleJson(stepsConfig(10, 3)).events.checkpoint).toEqual([10, 20, 30]);
    const j = buildScheduleJson(stepsConfig(7, 6, { SCHEDULE: { CHECKPOINT: { INTERVAL_STEPS: 10 } } }));
    expect(j.events.checkpoint).toEqual([14, 21, 35, 42]);
  });

  test('explicit STEPS: sorted, unique, and steps past the run dropped with a warning', () => {
    const j = buildScheduleJson(stepsConfig(10, 3, { SCHEDULE: { CHECKPOINT: { STEPS: [25, 5, 5, 99] } } }));
    expect(j.events.checkpoint).toEqual([5, 25]);
    expect(j.warnings.some((w) => w.includes('99'))).toBe(true);
  });

  test('two checkpoint methods are a config error', () => {
    const gen = { FIRST_EPOCH_CHECKPOINTS: 2, SUBSEQUENT_EPOCHS_SPACING: 'log' as const, LOG_BASE: 2, MIN_CHECKPOINT_INTERVAL: 0 };
    expect(() => buildSchedule(stepsConfig(10, 3, { SCHEDULE: { CHECKPOINT: { INTERVAL_EPOCHS: 1, STEPS: [3] } } }))).toThrow(/choose one checkpoint method/);
    expect(() => buildSchedule(stepsConfig(10, 3, { SCHEDULE: { CHECKPOINT: { GENERATE: gen, STEPS: [3] } } }))).toThrow(/SCHEDULE\.CHECKPOINT\.STEPS/);
  });
});

describe('generated checkpoint plans (seed 001)', () => {
  const base = { stepsPerEpoch: 333, epochs: 3, logBase: 2 };

  test('20 first-epoch checkpoints, log base 2, minimum 0', () => {
    const plan = generateCheckpointPlan({ ...base, firstEpochCheckpoints: 20, spacing: 'log', minInterval: 0 });
    expect(plan[0]).toEqual([0, 17, 35, 52, 70, 87, 105, 122, 140, 157, 175, 192, 210, 227, 245, 262, 280, 297, 315, 333]);
    expect(plan[1]).toEqual([334, 336, 340, 348, 364, 396, 460, 588, 666]);
    // SPEC: epoch 3 ends at 3·333 = 999 (the seed's 1000 is its own rounding).
    expect(plan[2]).toEqual([667, 669, 673, 681, 697, 729, 793, 921, 999]);
  });

  test('5 first-epoch checkpoints, linear interval 50', () => {
    const plan = generateCheckpointPlan({ ...base, firstEpochCheckpoints: 5, spacing: 'linear', linearInterval: 50, minInterval: 0 });
    expect(plan[0]).toEqual([0, 83, 166, 249, 333]);
    expect(plan[1]).toEqual([334, 384, 434, 484, 534, 584, 634, 666]);
  });

  test('MIN_CHECKPOINT_INTERVAL drops generated points near the last kept one, never epoch ends', () => {
    const plan = generateCheckpointPlan({ ...base, firstEpochCheckpoints: 20, spacing: 'log', minInterval: 100 });
    expect(plan[0]).toHaveLength(20);
    expect(plan[1]).toEqual([460, 588, 666]);
  });

  test('first epoch with 1 or 0 checkpoints: just its end', () => {
    expect(generateCheckpointPlan({ ...base, firstEpochCheckpoints: 1, spacing: 'log', minInterval: 0 })[0]).toEqual([333]);
    expect(generateCheckpointPlan({ ...base, firstEpochCheckpoints: 0, spacing: 'log', minInterval: 0 })[0]).toEqual([333]);
  });

  test('linear interval defaults to floor(steps_per_epoch / 10)', () => {
    const plan = generateCheckpointPlan({ ...base, firstEpochCheckpoints: 0, spacing: 'linear', minInterval: 0 });
    expect(plan[1].slice(0, 3)).toEqual([334, 367, 400]);
  });

  test('the generate-checkpoints flags override the config', () => {
    const c = stepsConfig(333, 3, {
      SCHEDULE: { CHECKPOINT: { GENERATE: { FIRST_EPOCH_CHECKPOINTS: 20, SUBSEQUENT_EPOCHS_SPACING: 'log', LOG_BASE: 2, MIN_CHECKPOINT_INTERVAL: 100 } } },
    });
    const r = checkpointPlanFromConfig(c, { firstEpoch: 5, spacing: 'linear', linearInterval: 50, minInterval: 0 });
    expect(r.epochs[1]).toEqual([334, 384, 434, 484, 534, 584, 634, 666]);
    expect(buildScheduleJson(c).events.checkpoint.slice(20, 23)).toEqual([460, 588, 666]);
  });

  test('a log base below 1 is a config error', () => {
    expect(() => generateCheckpointPlan({ ...base, firstEpochCheckpoints: 2, spacing: 'log', logBase: 0.5, minInterval: 0 })).toThrow(/LOG_BASE/);
  });
});

describe('metric logging and the per-step event bits', () => {
  test('global_step % interval == 0 for STEP / CONSOLE / LR intervals', () => {
    const s = buildSchedule(stepsConfig(10, 10, { SCHEDULE: { METRICS: { STEP_INTERVAL: 7, CONSOLE_INTERVAL: 20, LR_INTERVAL: 50 } } }));
    expect(s.has(0, EVENT.LOG_STEP)).toBe(false);
    expect(s.has(7, EVENT.LOG_STEP)).toBe(true);
    expect(s.has(8, EVENT.LOG_STEP)).toBe(false);
    expect(s.has(40, EVENT.LOG_CONSOLE)).toBe(true);
    expect(s.has(50, EVENT.LOG_LR)).toBe(true);
    expect(s.eventsAt(100) & (EVENT.VALIDATION | EVENT.CHECKPOINT | EVENT.EPOCH_END | EVENT.STAGE_END)).toBe(
      EVENT.VALIDATION | EVENT.CHECKPOINT | EVENT.EPOCH_END | EVENT.STAGE_END,
    );
  });

  test('STEP_FRACTION resolves to at least one step', () => {
    const s = buildSchedule(stepsConfig(10, 10, { SCHEDULE: { METRICS: { STEP_FRACTION: 0.001 } } }));
    expect(s.eventPlan.metrics.step).toBe(1);
  });
});
