/**
 * The VAL_FRACTION hold-out: a seeded random choice of round(fraction · N) samples for validation;
 * the rest is the training split. Both index lists are ascending (file order is kept within each
 * split), disjoint and together cover 0..N-1. A pure function of (N, fraction, seed).
 */
import { rngFor, RNG_PURPOSE } from './rng';

export interface HoldOut {
  train: Int32Array;
  val: Int32Array;
}

/** Fisher–Yates permutation of 0..n-1 from `rng`. */
export function permutation(n: number, rng: { nextInt(n: number): number }): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

export function holdOutSplit(size: number, fraction: number, seed: number): HoldOut {
  const valCount = Math.round(fraction * size);
  const perm = permutation(size, rngFor(seed, RNG_PURPOSE.valSplit));
  const val = perm.slice(0, valCount).sort();
  const train = perm.slice(valCount).sort();
  return { train, val };
}
