/**
 * inferModelDims: the model sizes the data implies. A MODEL key that is set wins (loadData has
 * already checked that it fits the data); an absent one comes from the data — numClasses and
 * vocabSize as the maximum over both splits, so a class or token seen only in validation fits.
 * Also checks that MODEL.TYPE / MODEL.TASK match what DATA.SOURCE provides.
 */
import { ConfigError } from '../config/errors';
import type { TrainNativeConfig } from '../config/types';
import { DataError } from './errors';
import type { Dataset } from './types';

export interface ModelDims {
  /** mlp: features per sample */
  inputDim?: number;
  /** classification */
  numClasses?: number;
  /** regression: values per sample */
  outputDim?: number;
  /** transformer / gpt */
  vocabSize?: number;
  /** metadata floats per sample (0 = none; only the transformer takes metadata) */
  metaDim: number;
  /** transformer / gpt: tokens per sample */
  seqLen?: number;
  /** torchscript features: one sample's shape (forward gets [B, ...inputShape]) */
  inputShape?: number[];
}

const LABEL_WORDS = { class: 'class labels', regression: 'regression targets', none: 'no labels' } as const;

export function inferModelDims(config: TrainNativeConfig, train: Dataset, val: Dataset | null): ModelDims {
  const m = config.MODEL;
  const source = config.DATA.SOURCE;
  const dims: ModelDims = { metaDim: train.metaDim };

  if (m.TYPE === 'mlp' || (m.TYPE === 'torchscript' && m.INPUT === 'features')) {
    if (train.kind !== 'features') {
      throw new ConfigError(`mlp needs feature vectors but DATA.SOURCE ${source} gives token sequences; use MODEL.TYPE transformer (classifier) or gpt (language model)`, 'MODEL.TYPE');
    }
    if (m.INPUT_DIM !== undefined && m.INPUT_DIM !== train.width) {
      throw new DataError('MODEL.INPUT_DIM', `is ${m.INPUT_DIM} but the data has ${train.width} features per sample`);
    }
    dims.inputDim = m.INPUT_DIM ?? train.width;
    if (m.TYPE === 'torchscript' && train.sampleShape && train.sampleShape.length > 1) dims.inputShape = [...train.sampleShape];
  } else {
    if (train.kind !== 'tokens') {
      throw new ConfigError(`${m.TYPE} needs token sequences but DATA.SOURCE ${source} gives feature vectors; use MODEL.TYPE mlp, or a token source (npy with integer ids, tokens, text, synthetic:sequence, synthetic:language)`, 'MODEL.TYPE');
    }
    const seen = Math.max(train.vocabSize ?? 0, val?.vocabSize ?? 0);
    if (m.VOCAB_SIZE !== undefined && seen > m.VOCAB_SIZE) {
      throw new DataError('MODEL.VOCAB_SIZE', `is ${m.VOCAB_SIZE} but the data has token id ${seen - 1}`);
    }
    dims.vocabSize = m.VOCAB_SIZE ?? seen;
    dims.seqLen = train.width;
  }

  if (m.TYPE === 'gpt') return dims; // language modelling: labels, if any, are not used

  const want = m.TASK === 'classification' ? 'class' : 'regression';
  if (train.labelKind !== want) {
    throw new ConfigError(`${m.TASK} needs ${LABEL_WORDS[want]} but DATA.SOURCE ${source} gives ${LABEL_WORDS[train.labelKind]}${train.labelKind === 'none' ? '; use MODEL.TYPE gpt for language modelling' : ''}`, 'MODEL.TASK');
  }
  if (want === 'class') {
    const seen = Math.max(train.numClasses ?? 0, val?.numClasses ?? 0);
    if (m.NUM_CLASSES !== undefined && seen > m.NUM_CLASSES) {
      throw new DataError('MODEL.NUM_CLASSES', `is ${m.NUM_CLASSES} but the data has class label ${seen - 1}`);
    }
    dims.numClasses = m.NUM_CLASSES ?? seen;
  } else {
    dims.outputDim = train.outputDim ?? 1;
  }
  return dims;
}
