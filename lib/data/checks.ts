/**
 * Checks of loaded data against MODEL settings and between splits: INPUT_DIM, NUM_CLASSES,
 * VOCAB_SIZE and TOKEN_LIMIT when set, and that validation data has the training data's layout.
 * Sources check their own files (shapes, dtypes, finiteness) while reading them.
 */
import type { TrainNativeConfig } from '../config/types';
import { DataError } from './errors';
import type { Dataset } from './types';

/** `where` names the split's data (its path, or the synthetic source) in messages. */
export function checkAgainstModel(config: TrainNativeConfig, ds: Dataset, where: string): void {
  const m = config.MODEL;
  if (ds.kind === 'features' && m.INPUT_DIM !== undefined && m.INPUT_DIM !== ds.width) {
    throw new DataError(where, `has ${ds.width} features per sample but MODEL.INPUT_DIM is ${m.INPUT_DIM}; remove MODEL.INPUT_DIM to take it from the data, or fix it`);
  }
  if (ds.labelKind === 'class' && m.NUM_CLASSES !== undefined && ds.numClasses !== undefined && ds.numClasses > m.NUM_CLASSES) {
    throw new DataError(where, `has class label ${ds.numClasses - 1} but MODEL.NUM_CLASSES is ${m.NUM_CLASSES} (labels must be 0..${m.NUM_CLASSES - 1}); remove MODEL.NUM_CLASSES to take it from the data, or fix it`);
  }
  if (ds.kind === 'tokens') {
    if (m.VOCAB_SIZE !== undefined && ds.vocabSize !== undefined && ds.vocabSize > m.VOCAB_SIZE) {
      throw new DataError(where, `has token id ${ds.vocabSize - 1} but MODEL.VOCAB_SIZE is ${m.VOCAB_SIZE} (ids must be 0..${m.VOCAB_SIZE - 1}); remove MODEL.VOCAB_SIZE to take it from the data, or fix it`);
    }
    if (ds.width > m.TOKEN_LIMIT) {
      throw new DataError(where, `has sequences of ${ds.width} tokens but MODEL.TOKEN_LIMIT is ${m.TOKEN_LIMIT}; raise MODEL.TOKEN_LIMIT or use shorter sequences`);
    }
  }
}

/** Validation data must look like training data: same kind, width, labels and metadata (groups may differ). */
export function checkSplitsMatch(train: Dataset, val: Dataset, trainWhere: string, valWhere: string): void {
  const differ = (what: string, t: string | number, v: string | number): never => {
    throw new DataError(valWhere, `${what} is ${v} here but ${t} in the training data ${trainWhere}; both splits need the same layout`);
  };
  if (train.kind !== val.kind) differ('kind', train.kind, val.kind);
  if (train.width !== val.width) differ(train.kind === 'tokens' ? 'sequence length' : 'features per sample', train.width, val.width);
  if (train.labelKind !== val.labelKind) differ('label kind', train.labelKind, val.labelKind);
  if (train.outputDim !== val.outputDim) differ('targets per sample', train.outputDim ?? 0, val.outputDim ?? 0);
  const meta = (d: Dataset): string => d.metaComponents.map((c) => `${c.name}[${c.width}]`).join(', ') || 'none';
  if (meta(train) !== meta(val)) differ('metadata', meta(train), meta(val));
  // Groups may differ: mixup only touches training batches.
}
