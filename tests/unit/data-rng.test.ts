/** Seeded PRNG (lib/data/rng.ts): determinism, stream independence, distribution moments. */
import { Rng, rngFor } from '../../lib/data/rng';

function draws(rng: Rng, n: number, f: (r: Rng) => number): number[] {
  return Array.from({ length: n }, () => f(rng));
}

function meanVar(xs: number[]): [number, number] {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return [m, xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length];
}

describe('rng', () => {
  test('same integers → same sequence; any other integer → another sequence', () => {
    const a = draws(rngFor(42, 2, 7), 5, (r) => r.nextUint32());
    expect(draws(rngFor(42, 2, 7), 5, (r) => r.nextUint32())).toEqual(a);
    for (const other of [rngFor(42, 2, 8), rngFor(43, 2, 7), rngFor(42, 7, 2), rngFor(42, 2), rngFor(42, 2, 7, 0)]) {
      expect(draws(other, 5, (r) => r.nextUint32())).not.toEqual(a);
    }
  });

  test('large seeds (beyond 32 bits) are distinguished', () => {
    expect(rngFor(2 ** 33).nextUint32()).not.toBe(rngFor(0).nextUint32());
    expect(() => rngFor(1.5)).toThrow('must be integers');
  });

  test('nextFloat in [0, 1) with mean 1/2; nextInt in range and roughly uniform', () => {
    const r = rngFor(1);
    const xs = draws(r, 20000, (g) => g.nextFloat());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(meanVar(xs)[0]).toBeCloseTo(0.5, 1);
    const counts = [0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 70000; i++) counts[r.nextInt(7)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400);
    expect(() => r.nextInt(0)).toThrow();
  });

  test('normal: mean 0, variance 1', () => {
    const [m, v] = meanVar(draws(rngFor(2), 40000, (g) => g.normal()));
    expect(Math.abs(m)).toBeLessThan(0.02);
    expect(Math.abs(v - 1)).toBeLessThan(0.03);
  });

  test.each([
    [0.5, 1],
    [2, 3],
    [1, 1],
  ])('gamma(%p) and beta(%p, %p): mean and variance', (a, b) => {
    const [gm, gv] = meanVar(draws(rngFor(3, a * 10), 40000, (g) => g.gamma(a)));
    expect(Math.abs(gm - a)).toBeLessThan(0.03 * Math.max(1, a));
    expect(Math.abs(gv - a)).toBeLessThan(0.08 * Math.max(1, a));
    const xs = draws(rngFor(4, b), 40000, (g) => g.beta(a, b));
    const [bm, bv] = meanVar(xs);
    expect(Math.abs(bm - a / (a + b))).toBeLessThan(0.01);
    expect(Math.abs(bv - (a * b) / ((a + b) ** 2 * (a + b + 1)))).toBeLessThan(0.005);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThanOrEqual(1);
  });

  test('beta with tiny alpha is still in [0, 1] and mostly near the ends', () => {
    const xs = draws(rngFor(5), 2000, (g) => g.beta(0.05, 0.05));
    expect(xs.every((x) => x >= 0 && x <= 1)).toBe(true);
    expect(xs.filter((x) => x < 0.05 || x > 0.95).length).toBeGreaterThan(1600);
  });
});
