/**
 * The random decisions a step carries to the session (IndexedBatch): mixup members / partners /
 * λ, token masks — and the array-applying references the session's on-device code must match.
 */
import { applyMixup, applyMixupDecision, drawMixup } from '../../lib/data/mixup';
import { rngFor } from '../../lib/data/rng';
import type { DataBatch } from '../../lib/data/types';
import { applyTokenMask, drawTokenMask, IGNORE_INDEX } from '../../lib/train/masked-tokens';

describe('drawMixup / applyMixupDecision', () => {
  const opts = { prob: 1, alpha: 1, minGroupSize: 2, excludeNull: true };

  test('members are each qualifying group in batch order; partners a permutation within the group', () => {
    const groups = new Int32Array([3, 1, 3, -1, 1, 3, 7]);
    for (let seed = 0; seed < 20; seed++) {
      const d = drawMixup(groups, groups.length, true, { ...opts, rng: rngFor(seed) });
      expect(d).not.toBeNull();
      const { members, partners } = d as NonNullable<typeof d>;
      // group 3 first (first seen), then group 1; -1 excluded, 7 too small
      expect(Array.from(members)).toEqual([0, 2, 5, 1, 4]);
      expect(Array.from(partners.slice(0, 3)).sort()).toEqual([0, 2, 5]);
      expect(Array.from(partners.slice(3)).sort()).toEqual([1, 4]);
    }
  });

  test('no groups, nothing mixable, prob 0 or no group large enough: no decision', () => {
    expect(drawMixup(undefined, 4, true, { ...opts, rng: rngFor(1) })).toBeNull();
    expect(drawMixup(new Int32Array(4), 4, false, { ...opts, rng: rngFor(1) })).toBeNull();
    expect(drawMixup(new Int32Array(4), 4, true, { ...opts, prob: 0, rng: rngFor(1) })).toBeNull();
    expect(drawMixup(new Int32Array([0, 1, 2]), 3, true, { ...opts, rng: rngFor(1) })).toBeNull();
  });

  test('the decision reproduces applyMixup on a copy of the batch, drawing the same stream', () => {
    const make = (): DataBatch => ({
      batchSize: 6,
      features: Float32Array.from({ length: 12 }, (_, i) => i * 0.37),
      meta: Float32Array.from({ length: 6 }, (_, i) => 10 + i),
      labels: Float32Array.from({ length: 6 }, (_, i) => -i),
      groups: new Int32Array([0, 0, 1, 1, 0, 1]),
    });
    const a = make();
    const r = applyMixup(a, { ...opts, rng: rngFor(5, 9) });
    const b = make();
    const d = drawMixup(b.groups, 6, true, { ...opts, rng: rngFor(5, 9) });
    applyMixupDecision({ batchSize: 6, features: b.features, meta: b.meta, targets: b.labels as Float32Array }, d as NonNullable<typeof d>);
    expect(r).toEqual({ applied: true, lambda: d?.lambda });
    expect([b.features, b.meta, b.labels]).toEqual([a.features, a.meta, a.labels]);
  });

  test('applyMixupDecision: originals are read before mixing, in double precision, rounded to float32', () => {
    const features = new Float32Array([1, 10, 3, 30, 5, 50]); // 3 rows of 2
    const lambda = 0.1;
    applyMixupDecision({ batchSize: 3, features }, { members: new Int32Array([0, 1, 2]), partners: new Int32Array([1, 2, 0]), lambda });
    const mix = (x: number, y: number) => Math.fround(lambda * x + (1 - lambda) * y);
    expect(Array.from(features)).toEqual([mix(1, 3), mix(10, 30), mix(3, 5), mix(30, 50), mix(5, 1), mix(50, 10)]);
  });
});

describe('drawTokenMask / applyTokenMask', () => {
  test('every row has at least one masked position; the rate is about maskProb; same stream, same mask', () => {
    const rows = 400;
    const len = 20;
    const mask = drawTokenMask(rows, len, 0.15, rngFor(3, 0, 4));
    for (let r = 0; r < rows; r++) expect(mask.subarray(r * len, (r + 1) * len).some((v) => v === 1)).toBe(true);
    expect(mask.reduce((n, v) => n + v, 0) / mask.length).toBeCloseTo(0.15, 1);
    expect(drawTokenMask(rows, len, 0.15, rngFor(3, 0, 4))).toEqual(mask);
    const none = drawTokenMask(50, 8, 0, rngFor(1));
    for (let r = 0; r < 50; r++) expect(none.subarray(r * 8, (r + 1) * 8).reduce((n, v) => n + v, 0)).toBe(1);
  });

  test('masked positions become the [MASK] id and carry the original token as target; the rest are ignored', () => {
    const tokens = new Int32Array([5, 6, 7, 8, 9, 10]);
    const m = applyTokenMask(tokens, new Uint8Array([0, 1, 0, 1, 1, 0]), 99);
    expect(Array.from(m.tokens)).toEqual([5, 99, 7, 99, 99, 10]);
    expect(Array.from(m.targets)).toEqual([IGNORE_INDEX, 6, IGNORE_INDEX, 8, 9, IGNORE_INDEX]);
    expect(Array.from(tokens)).toEqual([5, 6, 7, 8, 9, 10]); // the input is not changed
  });
});
