/** Time base (SPEC §1), resolution (§2), scaling, parameter groups and stage 2 (§3). */
import { ConfigError } from '../../lib/config/errors';
import type { ParameterGroupConfig } from '../../lib/config/types';
import { buildSchedule, buildScheduleJson, resolveTimeBase } from '../../lib/schedule';
import { makeConfig, stepsConfig } from './helpers/make-config';

function group(name: string, patterns: string[], extra: Partial<ParameterGroupConfig> = {}): ParameterGroupConfig {
  return { NAME: name, PATTERNS: patterns, LR_MULTIPLIER: 1, LR_SCHEDULER: {}, ...extra };
}

describe('time base', () => {
  test('DROP_LAST floors, otherwise ceils, over B·W; accumulation ceils', () => {
    const c = makeConfig({ DATA: { TRAIN_SAMPLES: 1000, BATCH_SIZE: 32 }, DIST: { WORLD_SIZE: 2 }, TRAIN: { ACCUMULATION_STEPS: 3, EPOCHS: 4 } });
    const tb = resolveTimeBase(c);
    expect(tb.batchesPerEpoch).toBe(15); // floor(1000 / 64)
    expect(tb.stepsPerEpoch).toBe(5); // ceil(15 / 3)
    expect(tb.totalSteps).toBe(20);
    expect(tb.effectiveBatchSize).toBe(192);
    c.DATA.DROP_LAST = false;
    expect(resolveTimeBase(c).batchesPerEpoch).toBe(16);
    expect(resolveTimeBase(c).stepsPerEpoch).toBe(6); // a short last accumulation window still steps
  });

  test('MAX_STEPS overrides epochs; the caller’s N overrides DATA.TRAIN_SAMPLES', () => {
    const c = makeConfig({ DATA: { TRAIN_SAMPLES: 320, BATCH_SIZE: 32 }, TRAIN: { MAX_STEPS: 35 } });
    expect(resolveTimeBase(c).totalSteps).toBe(35);
    expect(resolveTimeBase(c).epochs).toBe(4);
    expect(resolveTimeBase(c, 640).stepsPerEpoch).toBe(20);
  });

  test('buildSchedule takes N from the caller once data is read', () => {
    const s = buildSchedule(makeConfig({ DATA: { BATCH_SIZE: 10 }, TRAIN: { EPOCHS: 3 } }), { trainSamples: 95 });
    expect([s.stepsPerEpoch, s.totalSteps]).toEqual([9, 27]);
  });

  test('without N a dry run asks for DATA.TRAIN_SAMPLES', () => {
    const err = (() => {
      try {
        buildSchedule(makeConfig());
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.keyPath).toBe('DATA.TRAIN_SAMPLES');
    expect(err.message).toMatch(/set DATA\.TRAIN_SAMPLES/);
  });

  test('zero batches per epoch is a config error', () => {
    expect(() => resolveTimeBase(makeConfig({ DATA: { TRAIN_SAMPLES: 10, BATCH_SIZE: 32 } }))).toThrow(/zero batches per epoch/);
  });

  test('a warmup longer than the run is a config error naming the key', () => {
    expect(() => buildSchedule(stepsConfig(10, 2, { LR_SCHEDULER: { WARMUP_EPOCHS: 3 } }))).toThrow(/LR_SCHEDULER\.WARMUP_EPOCHS/);
  });

  test('step without a decay interval is a config error', () => {
    expect(() => buildSchedule(stepsConfig(10, 2, { LR_SCHEDULER: { NAME: 'step' } }))).toThrow(/LR_SCHEDULER\.DECAY_STEPS/);
  });
});

describe('LR scaling by effective batch size', () => {
  const base = { DATA: { TRAIN_SAMPLES: 64 * 2 * 4 * 10, BATCH_SIZE: 64 }, DIST: { WORLD_SIZE: 2 }, TRAIN: { ACCUMULATION_STEPS: 4, EPOCHS: 2 } };

  test('linear: BASE, WARMUP and MIN all × eff_bs / REFERENCE_BS', () => {
    const s = buildSchedule(makeConfig({ ...base, LR_SCHEDULER: { NAME: 'linear', BASE_LR: 1e-3, WARMUP_LR: 1e-4, MIN_LR: 1e-5, WARMUP_STEPS: 2, REFERENCE_BS: 256 } }));
    const spec = s.lrPlan.specs[0][0];
    expect(s.lrPlan.scale).toBe(2);
    expect([spec.base, spec.warmupLr, spec.min]).toEqual([2e-3, 2e-4, 2e-5]);
    expect(s.lr(0)).toBe(2e-4);
    expect(s.lr(2)).toBe(2e-3);
  });

  test('sqrt: × sqrt(eff_bs / REFERENCE_BS)', () => {
    const s = buildSchedule(makeConfig({ ...base, LR_SCHEDULER: { NAME: 'constant', BASE_LR: 1e-3, REFERENCE_BS: 256, SCALING: 'sqrt' } }));
    expect(s.lr(5)).toBeCloseTo(1e-3 * Math.SQRT2, 18);
  });
});

describe('parameter groups', () => {
  test('each group: LR_SCHEDULER overlaid by its keys; multiplier scales BASE/WARMUP/MIN unless it sets BASE_LR', () => {
    const c = stepsConfig(10, 10, {
      LR_SCHEDULER: {
        NAME: 'cosine',
        BASE_LR: 1e-3,
        MIN_LR: 1e-5,
        WARMUP_LR: 1e-4,
        WARMUP_STEPS: 10,
        PARAMETER_GROUPS: [
          group('backbone', ['backbone.*'], { LR_MULTIPLIER: 0.1 }),
          group('head', ['head.*'], { LR_MULTIPLIER: 10, BASE_LR: 5e-3 }),
          group('norm', ['*.norm.*'], { LR_SCHEDULER: { NAME: 'constant', WARMUP_STEPS: 0 } }),
        ],
      },
    });
    const j = buildScheduleJson(c);
    expect(Object.keys(j.lr)).toEqual(['default', 'backbone', 'head', 'norm']);
    expect(j.lr.default[0]).toBe(1e-4);
    expect(j.lr.backbone[0]).toBeCloseTo(1e-5, 18);
    expect(j.lr.backbone[10]).toBeCloseTo(1e-4, 18);
    expect(j.lr.backbone[99]).toBeGreaterThan(1e-6); // MIN multiplied too
    expect(j.lr.head[10]).toBe(5e-3); // own BASE_LR, multiplier ignored
    expect(j.lr.head[0]).toBe(1e-4); // inherited WARMUP_LR not multiplied either
    expect(j.lr.norm.every((v) => v === 1e-3)).toBe(true);
    const s = buildSchedule(c);
    expect(s.lrInto(10, new Float64Array(4))[2]).toBe(5e-3);
  });

  test('a group overriding one key of a triple replaces the inherited one (no two-of-three clash)', () => {
    const c = stepsConfig(10, 10, {
      LR_SCHEDULER: { WARMUP_FRACTION: 0.1, PARAMETER_GROUPS: [group('g', ['g.*'], { LR_SCHEDULER: { WARMUP_EPOCHS: 3 } })] },
    });
    const s = buildSchedule(c);
    expect(s.lrPlan.specs[0].map((x) => x.warmup)).toEqual([10, 30]);
  });

  test('duplicate group names are a config error', () => {
    const c = stepsConfig(10, 2, { LR_SCHEDULER: { PARAMETER_GROUPS: [group('a', ['x']), group('a', ['y'])] } });
    expect(() => buildSchedule(c)).toThrow(/PARAMETER_GROUPS\[1\]\.NAME/);
  });
});

describe('two stages (seeds 002 / 003)', () => {
  // Seed 002 scenario 1: 120 epochs, 30 of stage 1, stage 2 at 2e-4 with cosine to 1e-5 after 3 warmup epochs.
  const twoStage = () =>
    stepsConfig(10, 120, {
      LR_SCHEDULER: { NAME: 'onecycle', BASE_LR: 2.5e-4 },
      STAGES: {
        STAGE1: { ENABLED: true, EPOCHS: 30 },
        STAGE2: { LR_SCHEDULER: { NAME: 'cosine', BASE_LR: 2e-4, MIN_LR: 1e-5, WARMUP_EPOCHS: 3 } },
      },
    });

  test('stage 1 runs its schedule over its own steps; stage 2 warms up from MIN_LR and decays over the rest', () => {
    const s = buildSchedule(twoStage());
    expect(s.stages).toEqual([
      { name: 'stage1', start: 0, end: 300 },
      { name: 'stage2', start: 300, end: 1200 },
    ]);
    expect(s.lr(0)).toBeCloseTo(2.5e-4 / 25, 18); // OneCycleLR over 300 steps
    expect(s.lr(299)).toBeLessThan(1e-7);
    expect(s.lr(300)).toBe(1e-5); // stage-2 warmup starts at MIN_LR
    expect(s.lr(315)).toBeCloseTo(1e-5 + (2e-4 - 1e-5) * 0.5, 18);
    expect(s.lr(330)).toBe(2e-4);
    expect(s.lrPlan.specs[1][0].total).toBe(900);
    expect(s.lr(1199)).toBeCloseTo(1e-5, 8);
    const j = buildScheduleJson(twoStage());
    expect(j.total_steps).toBe(1200);
    expect(j.stages).toEqual([
      { name: 'stage1', start_step: 0, end_step: 300 },
      { name: 'stage2', start_step: 300, end_step: 1200 },
    ]);
  });

  test('stage-2 warmup starts at WARMUP_LR when one is given', () => {
    const c = twoStage();
    c.LR_SCHEDULER.NAME = 'cosine';
    c.LR_SCHEDULER.WARMUP_LR = 0;
    expect(buildSchedule(c).lr(300)).toBe(0);
  });

  test('stage-2 fractions are relative to stage 2', () => {
    const c = twoStage();
    c.STAGES.STAGE2.LR_SCHEDULER = { NAME: 'cosine', WARMUP_FRACTION: 0.1 };
    expect(buildSchedule(c).lrPlan.specs[1][0].warmup).toBe(90);
  });

  test('SKIP_STAGE1: the run is stage 2 alone over the remaining epochs', () => {
    const c = twoStage();
    c.STAGES.SKIP_STAGE1 = true;
    const s = buildSchedule(c);
    expect(s.totalSteps).toBe(900);
    expect(s.stages).toEqual([{ name: 'stage2', start: 0, end: 900 }]);
    expect(s.lr(0)).toBe(1e-5);
  });

  test('STAGE1.EPOCHS must leave stage 2 at least one epoch', () => {
    const c = twoStage();
    c.STAGES.STAGE1.EPOCHS = 120;
    expect(() => buildSchedule(c)).toThrow(/STAGES\.STAGE1\.EPOCHS/);
  });

  test('the stage end is an event', () => {
    const s = buildSchedule(twoStage());
    expect(s.eventsAt(300) & 512).toBe(512);
    expect(s.stageIndexAt(299)).toBe(0);
    expect(s.stageIndexAt(300)).toBe(1);
  });
});
