/**
 * A small seeded PRNG (sfc32, state seeded through splitmix32) with the distributions the data
 * pipeline needs, and `rngFor(seed, ...stream)`: an independent generator derived by hashing
 * integers (seed, epoch or step, purpose id). Deriving a fresh generator from the step number makes
 * every random choice a pure function of the step, so checkpoints need no RNG state for data.
 */

const TWO_32 = 4294967296;

/** splitmix32: a well-mixed 32-bit sequence from any 32-bit state; used only to seed sfc32. */
function splitmix32(state: number): { value: number; state: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return { value: z >>> 0, state: next };
}

/** murmur3's 32-bit finaliser: avalanche so that nearby stream ids give unrelated hashes. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Low and high 32-bit words of an integer (exact up to 2^53; negatives in two's complement). */
function words(n: number): [number, number] {
  if (!Number.isInteger(n)) throw new RangeError(`rng: seeds and stream ids must be integers, got ${n}`);
  return [n >>> 0, Math.floor(n / TWO_32) >>> 0];
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Box–Muller yields pairs; the second value waits here. */
  private spareNormal: number | null = null;

  /** `seed32`: any 32-bit integer; prefer `rngFor` to derive generators from several integers. */
  constructor(seed32: number) {
    let s = seed32 | 0;
    const take = (): number => {
      const r = splitmix32(s);
      s = r.state;
      return r.value;
    };
    this.a = take();
    this.b = take();
    this.c = take();
    this.d = take();
    // sfc32's author recommends discarding the first outputs after seeding.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 bits of resolution. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling); n in [1, 2^32]. */
  nextInt(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n <= TWO_32)) throw new RangeError(`rng.nextInt: n must be an integer in [1, 2^32], got ${n}`);
    const limit = TWO_32 - (TWO_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal (Box–Muller, polar form). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    for (;;) {
      const u = 2 * this.nextFloat() - 1;
      const v = 2 * this.nextFloat() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        this.spareNormal = v * m;
        return u * m;
      }
    }
  }

  /** Gamma(shape, 1) by Marsaglia–Tsang; shape < 1 uses Gamma(shape + 1) · U^(1/shape). */
  gamma(shape: number): number {
    if (!(shape > 0 && Number.isFinite(shape))) throw new RangeError(`rng.gamma: shape must be > 0, got ${shape}`);
    if (shape < 1) {
      const u = 1 - this.nextFloat(); // (0, 1]: avoids 0^(1/shape)
      return this.gamma(shape + 1) * Math.pow(u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.nextFloat();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    const s = x + y;
    // Both can underflow to 0 for tiny shapes; the limit is a fair coin between 0 and 1.
    if (s === 0) return this.nextFloat() < a / (a + b) ? 1 : 0;
    return x / s;
  }
}

/**
 * An independent generator for the stream (seed, ...stream): the same integers always give the
 * same sequence, and different integers give unrelated sequences.
 */
export function rngFor(seed: number, ...stream: number[]): Rng {
  let h = 0x6a09e667;
  for (const n of [seed, stream.length, ...stream]) {
    for (const w of words(n)) h = fmix32((h ^ w) + 0x9e3779b9 + ((h << 6) | 0) + (h >>> 2));
  }
  return new Rng(h | 0);
}

/**
 * Purpose ids of the streams lib/data draws itself (hold-out split, epoch shuffles, synthetic data).
 * They sit far above any step or epoch number, so a caller's streams such as
 * rngFor(seed, step, purpose, microBatch) never coincide with these.
 */
export const RNG_PURPOSE = {
  valSplit: 0x44410001,
  shuffle: 0x44410002,
  syntheticModel: 0x44410003,
  syntheticTrain: 0x44410004,
  syntheticVal: 0x44410005,
} as const;
