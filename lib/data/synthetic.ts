/**
 * Synthetic sources (`synthetic:<task>`): seeded, learnable toy tasks for trying models and
 * schedules without a dataset. The task's fixed parameters (centroids, linear map, Markov chain)
 * come from EXPERIMENT.SEED; training and validation samples are drawn from separate streams of
 * the same task, so the same seed always gives the same bytes.
 *   classification: MODEL.INPUT_DIM (32) features = class centroid + N(0, 1) noise, NUM_CLASSES (4)
 *     classes; centroids are spaced so the Bayes accuracy is roughly 90% (learnable, not perfect).
 *   regression: features ~ N(0, 1), target = linear map + a sine of a second projection + noise.
 *   sequence: BLOCK_SIZE (32) tokens over VOCAB_SIZE (64); tokens 0..K-1 are markers, the label
 *     is the marker that occurs most often (ties cannot occur); the rest are filler tokens.
 *   language: BLOCK_SIZE (64) tokens of a seeded Markov chain over VOCAB_SIZE (64): each token
 *     has 4 likely successors plus a little uniform mass; no labels (gpt).
 * classification and sequence also generate DATA.META_COMPONENTS (width 4 each, class-dependent
 * mean + noise) and mixup groups (group = class id), so meta-masking and mixup can be tried.
 */
import { ConfigError } from '../config/errors';
import type { TrainNativeConfig } from '../config/types';
import { ArrayDataset } from './array-dataset';
import { rngFor, RNG_PURPOSE, type Rng } from './rng';
import { metaLayout } from './sources/common';

export type SyntheticTask = 'classification' | 'regression' | 'sequence' | 'language';
export const SYNTHETIC_TASKS: readonly SyntheticTask[] = ['classification', 'regression', 'sequence', 'language'];

export const SYNTHETIC_DEFAULTS = {
  trainSamples: 4096,
  inputDim: 32,
  numClasses: 4,
  vocabSize: 64,
  sequenceBlockSize: 32,
  languageBlockSize: 64,
  metaWidth: 4,
} as const;

/** Expected distance between two class centroids, in noise standard deviations. */
const CENTROID_DISTANCE = 3.4;
const TASK_IDS: Record<SyntheticTask, number> = { classification: 1, regression: 2, sequence: 3, language: 4 };

function normals(rng: Rng, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * scale;
  return out;
}

/** Class-dependent metadata: per (class, component) mean vectors, plus unit noise per sample. */
function classMeta(config: TrainNativeConfig, labels: Int32Array, numClasses: number, rng: Rng): { components: ReturnType<typeof metaLayout>; meta?: Float32Array } {
  const names = config.DATA.META_COMPONENTS;
  const w = SYNTHETIC_DEFAULTS.metaWidth;
  const components = metaLayout(names.map((name) => ({ name, width: w })));
  if (names.length === 0) return { components };
  const metaDim = names.length * w;
  const means = normals(rngFor(config.EXPERIMENT.SEED, RNG_PURPOSE.syntheticModel, TASK_IDS.classification, 1), numClasses * metaDim, 1);
  const meta = new Float32Array(labels.length * metaDim);
  for (let n = 0; n < labels.length; n++) {
    for (let j = 0; j < metaDim; j++) meta[n * metaDim + j] = means[labels[n] * metaDim + j] + rng.normal();
  }
  return { components, meta };
}

function classification(config: TrainNativeConfig, count: number, rng: Rng): ArrayDataset {
  const d = config.MODEL.INPUT_DIM ?? SYNTHETIC_DEFAULTS.inputDim;
  const k = config.MODEL.NUM_CLASSES ?? SYNTHETIC_DEFAULTS.numClasses;
  // Centroid coordinates ~ N(0, s²): two centroids are about s·sqrt(2d) apart.
  const centroids = normals(rngFor(config.EXPERIMENT.SEED, RNG_PURPOSE.syntheticModel, TASK_IDS.classification), k * d, CENTROID_DISTANCE / Math.sqrt(2 * d));
  const labels = new Int32Array(count);
  const features = new Float32Array(count * d);
  for (let n = 0; n < count; n++) {
    const c = rng.nextInt(k);
    labels[n] = c;
    for (let j = 0; j < d; j++) features[n * d + j] = centroids[c * d + j] + rng.normal();
  }
  const { components, meta } = classMeta(config, labels, k, rng);
  return new ArrayDataset({ size: count, kind: 'features', width: d, features, labelKind: 'class', labels, numClasses: k, metaComponents: components, meta, groups: labels.slice() });
}

function regression(config: TrainNativeConfig, count: number, rng: Rng): ArrayDataset {
  const d = config.MODEL.INPUT_DIM ?? SYNTHETIC_DEFAULTS.inputDim;
  const model = rngFor(config.EXPERIMENT.SEED, RNG_PURPOSE.syntheticModel, TASK_IDS.regression);
  const w = normals(model, d, 1 / Math.sqrt(d));
  const v = normals(model, d, 1 / Math.sqrt(d));
  const features = normals(rng, count * d, 1);
  const labels = new Float32Array(count);
  for (let n = 0; n < count; n++) {
    let lin = 0;
    let proj = 0;
    for (let j = 0; j < d; j++) {
      lin += w[j] * features[n * d + j];
      proj += v[j] * features[n * d + j];
    }
    labels[n] = lin + 0.5 * Math.sin(2 * proj) + 0.1 * rng.normal();
  }
  return new ArrayDataset({ size: count, kind: 'features', width: d, features, labelKind: 'regression', labels, outputDim: 1, metaComponents: [] });
}

function sequence(config: TrainNativeConfig, count: number, rng: Rng): ArrayDataset {
  const len = config.DATA.BLOCK_SIZE ?? SYNTHETIC_DEFAULTS.sequenceBlockSize;
  const vocab = config.MODEL.VOCAB_SIZE ?? SYNTHETIC_DEFAULTS.vocabSize;
  const k = config.MODEL.NUM_CLASSES ?? SYNTHETIC_DEFAULTS.numClasses;
  if (vocab <= k) throw new ConfigError(`synthetic:sequence uses tokens 0..${k - 1} as class markers and needs filler tokens too: VOCAB_SIZE must exceed NUM_CLASSES (${k}), got ${vocab}`, 'MODEL.VOCAB_SIZE');
  if (len < 2) throw new ConfigError(`synthetic:sequence needs sequences of at least 2 tokens, got ${len}`, 'DATA.BLOCK_SIZE');
  // Other markers appear 0..maxOther times, the label's marker strictly more often; all fit in len.
  const maxOther = Math.max(0, Math.min(3, Math.floor((len - 2) / k) - 1));
  const tokens = new Int32Array(count * len);
  const labels = new Int32Array(count);
  const positions = new Int32Array(len);
  for (let n = 0; n < count; n++) {
    const row = tokens.subarray(n * len, (n + 1) * len);
    for (let j = 0; j < len; j++) row[j] = k + rng.nextInt(vocab - k);
    const c = rng.nextInt(k);
    labels[n] = c;
    const counts = new Array<number>(k);
    for (let m = 0; m < k; m++) counts[m] = m === c ? 0 : rng.nextInt(maxOther + 1);
    counts[c] = Math.max(0, ...counts) + 1 + rng.nextInt(2);
    // Marker positions: the first sum(counts) entries of a random permutation of 0..len-1.
    for (let j = 0; j < len; j++) positions[j] = j;
    let p = 0;
    for (let m = 0; m < k; m++) {
      for (let t = 0; t < counts[m]; t++, p++) {
        const s = p + rng.nextInt(len - p);
        const tmp = positions[p];
        positions[p] = positions[s];
        positions[s] = tmp;
        row[positions[p]] = m;
      }
    }
  }
  const { components, meta } = classMeta(config, labels, k, rng);
  return new ArrayDataset({ size: count, kind: 'tokens', width: len, tokens, labelKind: 'class', labels, numClasses: k, vocabSize: vocab, metaComponents: components, meta, groups: labels.slice() });
}

function language(config: TrainNativeConfig, count: number, rng: Rng): ArrayDataset {
  const len = config.DATA.BLOCK_SIZE ?? SYNTHETIC_DEFAULTS.languageBlockSize;
  const vocab = config.MODEL.VOCAB_SIZE ?? SYNTHETIC_DEFAULTS.vocabSize;
  const model = rngFor(config.EXPERIMENT.SEED, RNG_PURPOSE.syntheticModel, TASK_IDS.language);
  // Cumulative transition table: 4 random successors share 95% (gamma weights), 5% is uniform.
  const cdf = new Float64Array(vocab * vocab);
  const probs = new Float64Array(vocab);
  for (let a = 0; a < vocab; a++) {
    probs.fill(0.05 / vocab);
    const weights = [0, 1, 2, 3].map(() => model.gamma(1));
    const total = weights.reduce((x, y) => x + y, 0);
    for (const wgt of weights) probs[model.nextInt(vocab)] += (0.95 * wgt) / total;
    let acc = 0;
    for (let b = 0; b < vocab; b++) cdf[a * vocab + b] = acc += probs[b];
  }
  const tokens = new Int32Array(count * len);
  for (let n = 0; n < count; n++) {
    let t = rng.nextInt(vocab);
    tokens[n * len] = t;
    for (let j = 1; j < len; j++) {
      const u = rng.nextFloat() * cdf[t * vocab + vocab - 1];
      let b = 0;
      while (b < vocab - 1 && cdf[t * vocab + b] <= u) b++;
      tokens[n * len + j] = t = b;
    }
  }
  return new ArrayDataset({ size: count, kind: 'tokens', width: len, tokens, labelKind: 'none', vocabSize: vocab, metaComponents: [] });
}

/** `count` samples of the task for split 'train' or 'val' (separate random streams). */
export function generateSynthetic(task: SyntheticTask, config: TrainNativeConfig, count: number, split: 'train' | 'val'): ArrayDataset {
  if ((task === 'regression' || task === 'language') && config.DATA.META_COMPONENTS.length > 0) {
    throw new ConfigError(`synthetic:${task} generates no metadata; remove DATA.META_COMPONENTS or use synthetic:classification / synthetic:sequence`, 'DATA.META_COMPONENTS');
  }
  const rng = rngFor(config.EXPERIMENT.SEED, split === 'train' ? RNG_PURPOSE.syntheticTrain : RNG_PURPOSE.syntheticVal, TASK_IDS[task]);
  switch (task) {
    case 'classification':
      return classification(config, count, rng);
    case 'regression':
      return regression(config, count, rng);
    case 'sequence':
      return sequence(config, count, rng);
    case 'language':
      return language(config, count, rng);
  }
}
