/**
 * ArrayDataset: a Dataset over whole arrays held in memory (row-major, one row per sample). Every
 * source (npy, csv, tokens, text, synthetic) ends up as one; `subset` makes the train / validation
 * splits of a VAL_FRACTION hold-out.
 */
import type { DataBatch, Dataset, LabelKind, MetaComponent } from './types';

export interface DatasetArrays {
  size: number;
  kind: 'features' | 'tokens';
  width: number;
  /** kind 'features': [size, width] */
  features?: Float32Array;
  /** kind 'tokens': [size, width] */
  tokens?: Int32Array;
  labelKind: LabelKind;
  /** 'class': Int32Array [size]; 'regression': Float32Array [size * outputDim] */
  labels?: Int32Array | Float32Array;
  outputDim?: number;
  /** Fixed class count (synthetic generators, csv string labels); otherwise max label + 1. */
  numClasses?: number;
  classNames?: readonly string[];
  /** csv: the feature columns' names, in feature order */
  featureNames?: readonly string[];
  /** npy features: one sample's shape before flattening (e.g. [1, 8, 8]) */
  sampleShape?: readonly number[];
  /** Fixed vocabulary (synthetic generators, text = 256); otherwise max token id + 1. */
  vocabSize?: number;
  metaComponents: readonly MetaComponent[];
  /** [size, metaDim] */
  meta?: Float32Array;
  /** [size], -1 = null */
  groups?: Int32Array;
}

function maxPlusOne(a: Int32Array): number {
  let m = -1;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m + 1;
}

/** Copies rows `indices` of a row-major [*, width] array. */
function gatherRows<T extends Float32Array | Int32Array>(src: T, width: number, indices: ArrayLike<number>, make: (n: number) => T): T {
  const out = make(indices.length * width);
  for (let r = 0; r < indices.length; r++) {
    const from = indices[r] * width;
    out.set(src.subarray(from, from + width), r * width);
  }
  return out;
}

/** Where a token dataset's blocks come from, kept when DATA.RANDOM_OFFSETS moves them each epoch. */
export interface TokenStream {
  stream: ArrayLike<number>;
  blocking: { block: number; stride: number; randomOffsets: boolean };
  /** The stream block (0-based, at block · stride) of each sample; absent: sample i is block i. */
  blocks?: Int32Array;
}

export class ArrayDataset implements Dataset {
  tokenStream?: TokenStream;
  readonly size: number;
  readonly kind: 'features' | 'tokens';
  readonly width: number;
  readonly labelKind: LabelKind;
  readonly numClasses?: number;
  readonly classNames?: readonly string[];
  readonly featureNames?: readonly string[];
  readonly sampleShape?: readonly number[];
  readonly outputDim?: number;
  readonly vocabSize?: number;
  readonly metaComponents: readonly MetaComponent[];
  readonly metaDim: number;
  readonly hasGroups: boolean;

  constructor(private readonly arrays: DatasetArrays) {
    const a = arrays;
    const rows = (arr: { length: number } | undefined, per: number, name: string): void => {
      if (arr && arr.length !== a.size * per) throw new Error(`ArrayDataset: ${name} has ${arr.length} values, expected ${a.size} x ${per}`);
    };
    this.metaDim = a.metaComponents.reduce((s, c) => s + c.width, 0);
    if (a.kind === 'features' ? !a.features : !a.tokens) throw new Error(`ArrayDataset: kind '${a.kind}' without its array`);
    rows(a.features, a.width, 'features');
    rows(a.tokens, a.width, 'tokens');
    if (a.labelKind !== 'none' && !a.labels) throw new Error(`ArrayDataset: labelKind '${a.labelKind}' without labels`);
    if (a.labelKind === 'class' && !(a.labels instanceof Int32Array)) throw new Error('ArrayDataset: class labels must be an Int32Array');
    if (a.labelKind === 'regression' && !(a.labels instanceof Float32Array)) throw new Error('ArrayDataset: regression labels must be a Float32Array');
    rows(a.labels, a.labelKind === 'regression' ? (a.outputDim ?? 1) : 1, 'labels');
    if (this.metaDim > 0) rows(a.meta ?? { length: -1 }, this.metaDim, 'meta');
    rows(a.groups, 1, 'groups');

    this.size = a.size;
    this.kind = a.kind;
    this.width = a.width;
    this.labelKind = a.labelKind;
    this.metaComponents = a.metaComponents;
    this.hasGroups = a.groups !== undefined;
    this.featureNames = a.featureNames;
    this.sampleShape = a.sampleShape;
    if (a.labelKind === 'class') {
      this.numClasses = a.numClasses ?? maxPlusOne(a.labels as Int32Array);
      this.classNames = a.classNames;
    }
    if (a.labelKind === 'regression') this.outputDim = a.outputDim ?? 1;
    if (a.kind === 'tokens') this.vocabSize = a.vocabSize ?? maxPlusOne(a.tokens as Int32Array);
  }

  gather(indices: ArrayLike<number>): DataBatch {
    const a = this.arrays;
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i];
      if (!(Number.isInteger(k) && k >= 0 && k < this.size)) throw new RangeError(`gather: index ${k} is outside [0, ${this.size})`);
    }
    const batch: DataBatch = { batchSize: indices.length };
    if (a.features) batch.features = gatherRows(a.features, a.width, indices, (n) => new Float32Array(n));
    if (a.tokens) batch.tokens = gatherRows(a.tokens, a.width, indices, (n) => new Int32Array(n));
    if (a.labels instanceof Int32Array) batch.labels = gatherRows(a.labels, 1, indices, (n) => new Int32Array(n));
    else if (a.labels) batch.labels = gatherRows(a.labels, this.outputDim ?? 1, indices, (n) => new Float32Array(n));
    if (a.meta && this.metaDim > 0) batch.meta = gatherRows(a.meta, this.metaDim, indices, (n) => new Float32Array(n));
    if (a.groups) batch.groups = gatherRows(a.groups, 1, indices, (n) => new Int32Array(n));
    return batch;
  }

  columns(): DataBatch {
    const a = this.arrays;
    const batch: DataBatch = { batchSize: this.size };
    if (a.features) batch.features = a.features;
    if (a.tokens) batch.tokens = a.tokens;
    if (a.labels) batch.labels = a.labels;
    if (a.meta && this.metaDim > 0) batch.meta = a.meta;
    if (a.groups) batch.groups = a.groups;
    return batch;
  }

  /**
   * The samples at `indices` as a new dataset. Fixed class counts and vocabularies carry over;
   * derived ones are recomputed from the subset (max + 1 seen in that split).
   */
  subset(indices: ArrayLike<number>): ArrayDataset {
    const b = this.gather(indices);
    const a = this.arrays;
    const out = new ArrayDataset({
      ...a,
      size: indices.length,
      features: b.features,
      tokens: b.tokens,
      labels: b.labels,
      meta: b.meta,
      groups: b.groups,
    });
    const ts = this.tokenStream;
    if (ts) out.tokenStream = { ...ts, blocks: Int32Array.from(indices, (i) => (ts.blocks ? ts.blocks[i] : i)) };
    return out;
  }
}
