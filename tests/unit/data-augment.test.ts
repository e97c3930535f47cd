/** Meta-masking and group-wise mixup (lib/data/meta-masking.ts, lib/data/mixup.ts; SPEC §6). */
import { drawMetaMask, applyMixup, metaMaskFor, validateMetaMasking } from '../../lib/data/augment';
import { rngFor } from '../../lib/data/rng';
import type { DataBatch, MetaComponent } from '../../lib/data/types';
import { expectError } from '../fixtures/data/helpers';

const COMPONENTS: MetaComponent[] = [
  { name: 'TIME', offset: 0, width: 2 },
  { name: 'PLACE', offset: 2, width: 3 },
  { name: 'ELEV', offset: 5, width: 1 },
];
const META_DIM = 6;

/** Which components are masked in row i: 'full', or the sorted names of masked components. */
function rowState(mask: Float32Array, i: number): string {
  const row = mask.subarray(i * META_DIM, (i + 1) * META_DIM);
  if (row.every((v) => v === 0)) return 'full';
  const masked = COMPONENTS.filter((c) => {
    const vals = row.subarray(c.offset, c.offset + c.width);
    const zeros = vals.filter((v) => v === 0).length;
    expect(zeros === 0 || zeros === c.width).toBe(true); // components are masked whole
    return zeros === c.width;
  });
  return masked.map((c) => c.name).sort().join('+');
}

describe('drawMetaMask', () => {
  const base = { whitelist: [['TIME'], ['PLACE', 'ELEV']], rng: rngFor(1) };

  test('probabilities 0 → all ones; full prob 1 → all zeros', () => {
    expect(drawMetaMask(50, COMPONENTS, { ...base, fullProb: 0, partialProb: 0 })).toEqual(new Float32Array(300).fill(1));
    expect(drawMetaMask(50, COMPONENTS, { ...base, fullProb: 1, partialProb: 1 })).toEqual(new Float32Array(300).fill(0));
  });

  test('partial masks only whitelist combinations, only on samples not fully masked; frequencies ≈ probabilities', () => {
    const n = 20000;
    const mask = drawMetaMask(n, COMPONENTS, { ...base, fullProb: 0.3, partialProb: 0.5, rng: rngFor(2) });
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const s = rowState(mask, i);
      counts[s] = (counts[s] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['', 'ELEV+PLACE', 'TIME', 'full'].sort());
    expect(counts.full / n).toBeCloseTo(0.3, 1);
    const partial = (counts.TIME + counts['ELEV+PLACE']) / (n - counts.full);
    expect(partial).toBeCloseTo(0.5, 1);
    expect(counts.TIME / (counts.TIME + counts['ELEV+PLACE'])).toBeCloseTo(0.5, 1); // uniform without weights
  });

  test('weights choose combinations in proportion', () => {
    const n = 20000;
    const mask = drawMetaMask(n, COMPONENTS, { ...base, fullProb: 0, partialProb: 1, weights: [1, 3], rng: rngFor(3) });
    let time = 0;
    for (let i = 0; i < n; i++) if (rowState(mask, i) === 'TIME') time++;
    expect(time / n).toBeCloseTo(0.25, 1);
  });

  test('deterministic for the same rng stream', () => {
    const opts = { whitelist: [['TIME']], fullProb: 0.2, partialProb: 0.4 };
    expect(drawMetaMask(64, COMPONENTS, { ...opts, rng: rngFor(9, 6, 100) })).toEqual(drawMetaMask(64, COMPONENTS, { ...opts, rng: rngFor(9, 6, 100) }));
  });

  test('unknown whitelist names and bad weights are config errors', () => {
    expectError(() => drawMetaMask(1, COMPONENTS, { ...base, whitelist: [['TIME', 'SPACE']], fullProb: 0, partialProb: 1 }), 'ConfigError', "config error: SCHEDULE.META_MASKING.PARTIAL.WHITELIST: unknown metadata component 'SPACE'; DATA.META_COMPONENTS has: TIME, PLACE, ELEV");
    expectError(() => drawMetaMask(1, COMPONENTS, { ...base, weights: [1], fullProb: 0, partialProb: 1 }), 'ConfigError', 'SCHEDULE.META_MASKING.PARTIAL.WEIGHTS: has 1 weights but WHITELIST has 2 combinations');
    expectError(() => validateMetaMasking(COMPONENTS, [['ELEV'], ['TIMES']]), 'ConfigError', "WHITELIST: unknown metadata component 'TIMES'");
    expectError(() => validateMetaMasking(COMPONENTS, [['ELEV']], [0]), 'ConfigError', 'WEIGHTS: weights must not all be 0');
    expect(() => validateMetaMasking(COMPONENTS, [['ELEV'], []], [1, 2])).not.toThrow();
  });
});

describe('metaMaskFor', () => {
  test('a fixed combination in every row; all names = fully masked; [] = nothing', () => {
    expect(metaMaskFor(COMPONENTS, ['PLACE'], 2, META_DIM)).toEqual(new Float32Array([1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1]));
    expect(metaMaskFor(COMPONENTS, ['TIME', 'PLACE', 'ELEV'], 1, META_DIM)).toEqual(new Float32Array(6));
    expect(metaMaskFor(COMPONENTS, [], 1, META_DIM)).toEqual(new Float32Array(6).fill(1));
    expectError(() => metaMaskFor(COMPONENTS, ['X'], 1, META_DIM), 'ConfigError', "SCHEDULE.VALIDATION.PARTIAL_MASK_META.WHITELIST: unknown metadata component 'X'");
  });
});

describe('applyMixup', () => {
  /** 8 samples, 2 features each: feature = [i, 100 + i]; groups as given. */
  function featureBatch(groups: number[]): DataBatch {
    const n = groups.length;
    const features = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) features.set([i, 100 + i], i * 2);
    return { batchSize: n, features, labels: new Int32Array(groups.map((g) => Math.max(g, 0))), groups: new Int32Array(groups), meta: Float32Array.from({ length: n }, (_, i) => 1000 + i) };
  }
  const opts = { alpha: 1, minGroupSize: 3, excludeNull: true };

  test('prob 0 leaves the batch unchanged', () => {
    const b = featureBatch([0, 0, 0, 0]);
    const before = b.features?.slice();
    expect(applyMixup(b, { ...opts, prob: 0, rng: rngFor(1) })).toEqual({ applied: false, lambda: 1 });
    expect(b.features).toEqual(before);
  });

  test('mixed values are convex combinations of members of the same group with one λ; small and null groups untouched', () => {
    const groups = [0, 1, 0, 2, 0, 1, -1, 0, -1, -1, -1];
    for (let seed = 0; seed < 20; seed++) {
      const b = featureBatch(groups);
      const labelsBefore = b.labels?.slice();
      const r = applyMixup(b, { ...opts, prob: 1, rng: rngFor(seed) });
      expect(r.applied).toBe(true);
      expect(r.lambda).toBeGreaterThanOrEqual(0);
      expect(r.lambda).toBeLessThanOrEqual(1);
      const f = b.features as Float32Array;
      const members = [0, 2, 4, 7];
      for (let i = 0; i < groups.length; i++) {
        if (!members.includes(i)) {
          // group 1 (2 members) and 2 (1 member) are below MIN_GROUP_SIZE; -1 is excluded
          expect([f[2 * i], f[2 * i + 1], (b.meta as Float32Array)[i]]).toEqual([i, 100 + i, 1000 + i]);
          continue;
        }
        // x_i = λ x_i + (1-λ) x_p for some member p of group 0, the same p for features and meta
        const partner = members.find((p) => Math.abs(r.lambda * i + (1 - r.lambda) * p - f[2 * i]) < 1e-4);
        expect(partner).toBeDefined();
        const p = partner as number;
        expect(f[2 * i + 1]).toBeCloseTo(r.lambda * (100 + i) + (1 - r.lambda) * (100 + p), 3);
        expect((b.meta as Float32Array)[i]).toBeCloseTo(r.lambda * (1000 + i) + (1 - r.lambda) * (1000 + p), 2);
      }
      expect(b.labels).toEqual(labelsBefore); // class labels kept
    }
  });

  test('partners are a permutation of the group (each member used once), not the identity', () => {
    let moved = 0;
    for (let seed = 0; seed < 10; seed++) {
      const b = featureBatch([5, 5, 5, 5, 5]);
      const r = applyMixup(b, { ...opts, prob: 1, alpha: 0.4, rng: rngFor(11, seed) });
      const f = b.features as Float32Array;
      expect(r.applied).toBe(true);
      expect(r.lambda).toBeLessThan(1);
      // Recover perm(i) from x'_i = λ i + (1-λ) perm(i).
      const partners = [0, 1, 2, 3, 4].map((i) => Math.round((f[2 * i] - r.lambda * i) / (1 - r.lambda)) + 0); // + 0 turns -0 into 0
      expect([...partners].sort()).toEqual([0, 1, 2, 3, 4]);
      moved += partners.filter((p, i) => p !== i).length;
    }
    expect(moved).toBeGreaterThan(10); // samples really are mixed with others
  });

  test('excludeNull false mixes the -1 group too; no group large enough → not applied', () => {
    const b = featureBatch([-1, -1, -1, 0]);
    expect(applyMixup(featureBatch([-1, -1, -1, 0]), { ...opts, prob: 1, rng: rngFor(4) }).applied).toBe(false);
    expect(applyMixup(b, { ...opts, excludeNull: false, prob: 1, rng: rngFor(4) }).applied).toBe(true);
  });

  test('regression targets are mixed like the features', () => {
    const b: DataBatch = { batchSize: 3, features: new Float32Array([0, 1, 2]), labels: new Float32Array([10, 11, 12]), groups: new Int32Array([0, 0, 0]) };
    const r = applyMixup(b, { ...opts, prob: 1, rng: rngFor(6) });
    const f = b.features as Float32Array;
    const y = b.labels as Float32Array;
    for (let i = 0; i < 3; i++) expect(y[i] - 10).toBeCloseTo(f[i], 4);
    expect(r.applied).toBe(true);
  });

  test('batches without groups, and token batches without meta, are unchanged', () => {
    const noGroups: DataBatch = { batchSize: 4, features: new Float32Array([1, 2, 3, 4]) };
    expect(applyMixup(noGroups, { ...opts, prob: 1, rng: rngFor(1) }).applied).toBe(false);
    const tokens: DataBatch = { batchSize: 4, tokens: new Int32Array([1, 2, 3, 4]), labels: new Int32Array(4), groups: new Int32Array(4) };
    expect(applyMixup(tokens, { ...opts, prob: 1, rng: rngFor(1) }).applied).toBe(false);
    expect(tokens.tokens).toEqual(new Int32Array([1, 2, 3, 4]));
  });

  test('per-batch probability ≈ prob', () => {
    let applied = 0;
    for (let step = 0; step < 2000; step++) if (applyMixup(featureBatch([0, 0, 0]), { ...opts, prob: 0.3, rng: rngFor(1, 7, step) }).applied) applied++;
    expect(applied / 2000).toBeCloseTo(0.3, 1);
  });
});
