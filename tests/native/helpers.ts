/**
 * Shared helpers for the native tests: skip cleanly (with one message) when the addon is not
 * built, and build small deterministic synthetic batches from TypedArrays.
 */
import { isNativeAvailable, nativeLoadError } from '../../lib/native';
import type { NativeBatch } from '../../lib/native';

export const nativeAvailable = isNativeAvailable();
if (!nativeAvailable) {
  // stderr rather than console.warn: one plain line, not a jest code frame per test file
  process.stderr.write(`[tests/native] skipping addon tests: ${nativeLoadError()?.message ?? 'addon unavailable'}\n`);
}
export const describeNative: jest.Describe = nativeAvailable ? describe : describe.skip;

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Classification: class = which of the first `classes` features is largest. */
export function classificationBatch(b: number, dim: number, classes: number, seed: number): NativeBatch {
  const r = rng(seed);
  const features = new Float32Array(b * dim);
  const labels = new Int32Array(b);
  for (let i = 0; i < b; i++) {
    let best = 0;
    for (let j = 0; j < dim; j++) {
      features[i * dim + j] = r() * 2 - 1;
      if (j < classes && features[i * dim + j] > features[i * dim + best]) best = j;
    }
    labels[i] = best;
  }
  return { batchSize: b, features, labels };
}

/** Regression: y = sum of features * fixed weights. */
export function regressionBatch(b: number, dim: number, seed: number): NativeBatch {
  const r = rng(seed);
  const features = new Float32Array(b * dim);
  const labels = new Float32Array(b);
  for (let i = 0; i < b; i++) {
    let y = 0;
    for (let j = 0; j < dim; j++) {
      const x = r() * 2 - 1;
      features[i * dim + j] = x;
      y += x * ((j % 3) - 1) * 0.5;
    }
    labels[i] = y;
  }
  return { batchSize: b, features, labels };
}

/** Token sequences: class = whether token 1 appears more often than token 2. */
export function sequenceBatch(b: number, n: number, vocab: number, seed: number): NativeBatch {
  const r = rng(seed);
  const tokens = new Int32Array(b * n);
  const labels = new Int32Array(b);
  for (let i = 0; i < b; i++) {
    let c1 = 0;
    let c2 = 0;
    for (let j = 0; j < n; j++) {
      const t = 1 + Math.floor(r() * (vocab - 1));
      tokens[i * n + j] = t;
      if (t === 1) c1++;
      if (t === 2) c2++;
    }
    labels[i] = c1 > c2 ? 1 : 0;
  }
  return { batchSize: b, tokens, labels };
}

/** Periodic sequences (a learnable LM task): tokens follow start, start+1, ... mod vocab. */
export function lmBatch(b: number, n: number, vocab: number, seed: number): NativeBatch {
  const r = rng(seed);
  const tokens = new Int32Array(b * n);
  for (let i = 0; i < b; i++) {
    const start = Math.floor(r() * vocab);
    for (let j = 0; j < n; j++) tokens[i * n + j] = (start + j) % vocab;
  }
  return { batchSize: b, tokens };
}

/** Masked-token batch over lmBatch's sequences: every 4th position masked with token 0, targets elsewhere -100. */
export function maskedBatch(b: number, n: number, vocab: number, seed: number): NativeBatch {
  const base = lmBatch(b, n, vocab, seed);
  const tokens = Int32Array.from(base.tokens as Int32Array);
  const targets = new Int32Array(b * n).fill(-100);
  for (let i = 0; i < b * n; i += 4) {
    targets[i] = tokens[i];
    tokens[i] = 0;
  }
  return { batchSize: b, tokens, targets, objective: 'masked_tokens' };
}
