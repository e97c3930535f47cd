/** Probability schedules (SPEC §6). */
import { buildSchedule, buildScheduleJson } from '../../lib/schedule';
import { stepsConfig } from './helpers/make-config';

describe('probability schedules', () => {
  test('all zeros when disabled', () => {
    const j = buildScheduleJson(stepsConfig(10, 2));
    expect(j.probabilities.meta_mask).toEqual(new Array(20).fill(0));
    expect(j.probabilities.partial_meta_mask).toEqual(new Array(20).fill(0));
    expect(j.probabilities.mixup).toEqual(new Array(20).fill(0));
  });

  test('meta-mask: linear from START_PROB at 0 to END_PROB at END_FRACTION, constant after', () => {
    const s = buildSchedule(stepsConfig(10, 10, { SCHEDULE: { META_MASKING: { ENABLED: true, START_PROB: 1, END_PROB: 0.05, END_FRACTION: 0.3 } } }));
    expect(s.metaMaskProb(0)).toBe(1);
    expect(s.metaMaskProb(15)).toBeCloseTo(1 - 0.95 * 0.5, 15);
    expect(s.metaMaskProb(30)).toBe(0.05);
    expect(s.metaMaskProb(99)).toBe(0.05);
  });

  test('meta-mask END_STEPS and END_EPOCHS', () => {
    const a = buildSchedule(stepsConfig(10, 10, { SCHEDULE: { META_MASKING: { ENABLED: true, START_PROB: 0, END_PROB: 1, END_STEPS: 40 } } }));
    expect(a.metaMaskProb(10)).toBe(0.25);
    const b = buildSchedule(stepsConfig(10, 10, { SCHEDULE: { META_MASKING: { ENABLED: true, START_PROB: 0, END_PROB: 1, END_EPOCHS: 2 } } }));
    expect(b.metaMaskProb(10)).toBe(0.5);
  });

  test('partial meta-mask: zero outside [START_FRACTION, END_FRACTION), ramp from the window start to PROB_END', () => {
    const c = stepsConfig(10, 10, {
      SCHEDULE: {
        META_MASKING: {
          PARTIAL: { ENABLED: true, START_FRACTION: 0.1, END_FRACTION: 0.9, START_PROB: 0.01, END_PROB: 0.7, PROB_END_FRACTION: 0.5, WHITELIST: [['A'], ['B']] },
        },
      },
    });
    const s = buildSchedule(c);
    expect(s.partialMetaMaskProb(9)).toBe(0);
    expect(s.partialMetaMaskProb(10)).toBe(0.01);
    expect(s.partialMetaMaskProb(30)).toBeCloseTo(0.01 + 0.69 * 0.5, 15);
    expect(s.partialMetaMaskProb(50)).toBe(0.7);
    expect(s.partialMetaMaskProb(89)).toBe(0.7);
    expect(s.partialMetaMaskProb(90)).toBe(0);
    expect(s.probabilityPlan.partialWeights).toEqual([1, 1]);
  });

  test('a partial window whose start is not before its end is a config error', () => {
    const c = stepsConfig(10, 10, { SCHEDULE: { META_MASKING: { PARTIAL: { ENABLED: true, START_FRACTION: 0.5, END_FRACTION: 0.5, WHITELIST: [['A']] } } } });
    expect(() => buildSchedule(c)).toThrow(/SCHEDULE\.META_MASKING\.PARTIAL\.START_FRACTION/);
  });

  test('WEIGHTS must match WHITELIST', () => {
    const c = stepsConfig(10, 10, { SCHEDULE: { META_MASKING: { PARTIAL: { ENABLED: true, WHITELIST: [['A']], WEIGHTS: [1, 2] } } } });
    expect(() => buildSchedule(c)).toThrow(/WEIGHTS/);
  });

  test('mixup: ramp, only the first GROUP_LEVELS entry used, level switching is a config error', () => {
    const c = stepsConfig(10, 10, {
      SCHEDULE: { MIXUP: { GROUP_LEVELS: ['L10', 'L20'], PROB: { ENABLED: true, START_PROB: 1, END_PROB: 0.2, END_FRACTION: 0.4 } } },
    });
    const s = buildSchedule(c);
    expect(s.mixupProb(0)).toBe(1);
    expect(s.mixupProb(20)).toBeCloseTo(0.6, 15);
    expect(s.mixupProb(40)).toBe(0.2);
    expect(s.probabilityPlan.mixupGroupLevel).toBe('L10');
    expect(s.warnings.some((w) => w.includes('only the first level'))).toBe(true);
    c.SCHEDULE.MIXUP.LEVEL_SWITCH_STEPS = [10];
    expect(() => buildSchedule(c)).toThrow(/SCHEDULE\.MIXUP\.LEVEL_SWITCH_STEPS/);
  });
});
