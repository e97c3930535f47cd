/**
 * The in-memory dataset model: a Dataset hands out DataBatches (copies of selected samples) whose
 * arrays have the same names and layouts as the native trainer's NativeBatch, so a batch can be
 * passed to `step` / `evaluate` after the trainer adds masks and objectives.
 */

/** One named block of metadata columns: columns [offset, offset + width) of the meta matrix. */
export interface MetaComponent {
  name: string;
  offset: number;
  width: number;
}

/** 'none' = no labels (token / text sources: language modelling). */
export type LabelKind = 'class' | 'regression' | 'none';

export interface Dataset {
  readonly size: number;
  readonly kind: 'features' | 'tokens';
  /** features: values per sample; tokens: tokens per sample (block length). */
  readonly width: number;
  readonly labelKind: LabelKind;
  /** class labels: max label + 1 seen in THIS split (synthetic: the generator's class count). */
  readonly numClasses?: number;
  /** csv string labels: class id i is classNames[i] (sorted order over both splits). */
  readonly classNames?: readonly string[];
  /** csv: the feature columns' names, in feature order (a trained model finds them by name). */
  readonly featureNames?: readonly string[];
  /** npy features: one sample's shape before flattening ([1, 8, 8] for 8x8 images); width is its product. */
  readonly sampleShape?: readonly number[];
  /** regression: values per sample. */
  readonly outputDim?: number;
  /** tokens: max token id + 1 seen (synthetic: the generator's vocabulary; text: 256). */
  readonly vocabSize?: number;
  readonly metaComponents: readonly MetaComponent[];
  /** Sum of the component widths (0 = no metadata). */
  readonly metaDim: number;
  readonly hasGroups: boolean;
  /** Copies the samples at `indices` (in that order) into a new batch. */
  gather(indices: ArrayLike<number>): DataBatch;
  /** Every sample as one batch of views of the dataset's arrays (no copy: do not modify). */
  columns(): DataBatch;
}

/** Row-major arrays with `batchSize` rows; structurally a subset of NativeBatch. */
export interface DataBatch {
  batchSize: number;
  /** [B, width] */
  features?: Float32Array;
  /** [B, width] */
  tokens?: Int32Array;
  /** class ids [B] (Int32Array) | regression targets [B * outputDim] (Float32Array) */
  labels?: Int32Array | Float32Array;
  /** [B, metaDim] */
  meta?: Float32Array;
  /** [B] mixup group ids, -1 = null (no group) */
  groups?: Int32Array;
}
