/** Properties over random valid configs (fast-check): what must hold for every schedule. */
import fc from 'fast-check';
import type { SchedulerKeys, SchedulerName, TrainNativeConfig } from '../../lib/config/types';
import { buildSchedule, buildScheduleJson } from '../../lib/schedule';
import { stepsConfig } from './helpers/make-config';

const MONOTONE: SchedulerName[] = ['constant', 'none', 'linear', 'cosine', 'polynomial', 'step', 'multistep', 'exponential', 'inverse_sqrt', 'wsd', 'plateau'];
const ALL: SchedulerName[] = [...MONOTONE, 'cosine_restart', 'onecycle'];

const keysArb: fc.Arbitrary<Partial<SchedulerKeys>> = fc
  .record({
    NAME: fc.constantFrom(...ALL),
    BASE_LR: fc.double({ min: 1e-6, max: 1, noNaN: true }),
    minRatio: fc.double({ min: 0, max: 1, noNaN: true }),
    WARMUP_FRACTION: fc.option(fc.double({ min: 0, max: 0.5, noNaN: true }), { nil: undefined }),
    POWER: fc.double({ min: 0.5, max: 3, noNaN: true }),
    DECAY_STEPS: fc.integer({ min: 1, max: 40 }),
    DECAY_RATE: fc.double({ min: 0.05, max: 1, noNaN: true }),
    MILESTONES_STEPS: fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 4 }),
    GAMMA: fc.double({ min: 0.05, max: 1, noNaN: true }),
    RESTART_STEPS: fc.integer({ min: 1, max: 60 }),
    T_MULT: fc.integer({ min: 1, max: 3 }),
    PCT_START: fc.double({ min: 0.05, max: 0.45, noNaN: true }),
    ANNEAL_STRATEGY: fc.constantFrom('cos' as const, 'linear' as const),
    THREE_PHASE: fc.boolean(),
    STABLE_DURATION_FRACTION: fc.double({ min: 0, max: 0.9, noNaN: true }),
    DECAY_DURATION_FRACTION: fc.double({ min: 0, max: 0.5, noNaN: true }),
    DECAY_TYPE: fc.constantFrom('cosine' as const, 'linear' as const, '1-sqrt' as const),
  })
  .map(({ minRatio, ...k }) => ({
    ...k,
    MIN_LR: k.BASE_LR * minRatio * 0.5,
    WARMUP_FRACTION: k.NAME === 'onecycle' ? undefined : k.WARMUP_FRACTION,
  }));

const configArb: fc.Arbitrary<TrainNativeConfig> = fc
  .record({
    spe: fc.integer({ min: 1, max: 40 }),
    epochs: fc.integer({ min: 2, max: 12 }),
    maxSteps: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
    keys: keysArb,
    groupMult: fc.option(fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 10, noNaN: true })), { nil: undefined }),
    stage1: fc.option(fc.integer({ min: 1, max: 11 }), { nil: undefined }),
    stage2: fc.option(keysArb, { nil: undefined }),
    validation: fc.oneof(
      fc.record({ INTERVAL_EPOCHS: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ INTERVAL_STEPS: fc.integer({ min: 1, max: 200 }) }),
      fc.record({ INTERVAL_FRACTION: fc.double({ min: 0.01, max: 1, noNaN: true }) }),
    ),
    checkpoint: fc.oneof(
      fc.record({ INTERVAL_STEPS: fc.integer({ min: 1, max: 200 }) }),
      fc.record({ STEPS: fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 6 }) }),
      fc.record({
        GENERATE: fc.record({
          FIRST_EPOCH_CHECKPOINTS: fc.integer({ min: 0, max: 30 }),
          SUBSEQUENT_EPOCHS_SPACING: fc.constantFrom('log' as const, 'linear' as const),
          LOG_BASE: fc.constantFrom(1.5, 2, 3),
          MIN_CHECKPOINT_INTERVAL: fc.integer({ min: 0, max: 50 }),
        }),
      }),
    ),
  })
  .filter((r) => r.stage1 === undefined || r.stage1 < r.epochs)
  .map((r) => {
    const c = stepsConfig(r.spe, r.epochs, {
      LR_SCHEDULER: r.keys,
      SCHEDULE: { VALIDATION: r.validation, CHECKPOINT: r.checkpoint },
    });
    c.TRAIN.MAX_STEPS = r.maxSteps;
    if (r.groupMult !== undefined) c.LR_SCHEDULER.PARAMETER_GROUPS = [{ NAME: 'g', PATTERNS: ['g.*'], LR_MULTIPLIER: r.groupMult, LR_SCHEDULER: {} }];
    if (r.stage1 !== undefined) {
      c.STAGES.STAGE1.ENABLED = true;
      c.STAGES.STAGE1.EPOCHS = r.stage1;
      // Stage 2 inherits stage 1's keys; drop warmup when its scheduler is onecycle.
      c.STAGES.STAGE2.LR_SCHEDULER = r.stage2 ?? {};
      const s2name = c.STAGES.STAGE2.LR_SCHEDULER.NAME ?? c.LR_SCHEDULER.NAME;
      if (s2name === 'onecycle' && c.LR_SCHEDULER.WARMUP_FRACTION !== undefined) c.STAGES.STAGE2.LR_SCHEDULER.WARMUP_STEPS = undefined;
      if (s2name === 'onecycle') {
        c.STAGES.STAGE2.LR_SCHEDULER.WARMUP_FRACTION = undefined;
        if (c.LR_SCHEDULER.WARMUP_FRACTION !== undefined) c.LR_SCHEDULER.NAME = 'onecycle';
        c.LR_SCHEDULER.WARMUP_FRACTION = undefined;
      }
    }
    return c;
  });

describe('schedule properties over random valid configs', () => {
  test('LRs finite and >= 0; warmup non-decreasing; monotone decays never rise after warmup', () => {
    fc.assert(
      fc.property(configArb, (c) => {
        const s = buildSchedule(c);
        s.lrPlan.specs.forEach((groupSpecs, si) => {
          const stage = s.stages[si];
          groupSpecs.forEach((spec, gi) => {
            const curve = s.lrCurve(gi);
            for (let k = stage.start; k < stage.end; k++) {
              const v = curve[k];
              if (!Number.isFinite(v) || v < 0) throw new Error(`lr[${k}] = ${v} (${spec.name})`);
              const local = k - stage.start;
              if (local === 0) continue;
              const prev = curve[k - 1];
              const tol = 1e-12 * Math.max(Math.abs(prev), Math.abs(v));
              if (spec.name !== 'onecycle' && local < spec.warmup && spec.warmupLr <= spec.base && v < prev - tol) {
                throw new Error(`warmup falls at ${k}`);
              }
              if (MONOTONE.includes(spec.name) && local > spec.warmup && spec.min <= spec.base && v > prev + tol) {
                throw new Error(`${spec.name} rises at ${k}: ${prev} → ${v}`);
              }
            }
          });
        });
      }),
      { numRuns: 300 },
    );
  });

  test('events sorted, unique and inside [0, total_steps]; arrays T long', () => {
    fc.assert(
      fc.property(configArb, (c) => {
        const j = buildScheduleJson(c);
        const T = j.total_steps;
        for (const [name, steps] of Object.entries(j.events)) {
          steps.forEach((s, i) => {
            if (!Number.isInteger(s) || s < 0 || s > T) throw new Error(`${name}: ${s} outside [0, ${T}]`);
            if (i > 0 && s <= steps[i - 1]) throw new Error(`${name} not sorted/unique at ${i}: ${steps.join(',')}`);
          });
        }
        for (const curve of Object.values(j.lr)) expect(curve).toHaveLength(T);
        for (const p of Object.values(j.probabilities)) expect(p).toHaveLength(T);
        // Validation happens only at epoch boundaries.
        for (const v of j.events.validation) expect(v === T || v % j.steps_per_epoch === 0).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
