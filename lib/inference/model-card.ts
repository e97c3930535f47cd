/**
 * The model card, `assets/model.json` of a run directory: what a trained model needs beyond the
 * run's config.yaml to be rebuilt without its training data — the model exactly as it was built
 * (sizes the data revealed included), the feature column names and string class names of a CSV
 * source, the block length of sequence data, and where relative data paths resolved. Written at
 * training time; read by loadModel and by python/train_native_torch.py.
 */
import * as fs from 'fs';
import type { TrainNativeConfig } from '../config/types';
import type { Dataset, MetaComponent } from '../data';
import type { NativeModelOptions } from '../native/types';
import { RUN_MODULE_FILE } from '../train/torchscript-module';

export const MODEL_CARD_FORMAT = 'train-native-model';
export const MODEL_CARD_VERSION = 1;

export interface ModelCardData {
  /** DATA.SOURCE of the training run */
  source: string;
  /** the folder relative DATA paths resolved against when training */
  baseDir: string;
  kind: 'features' | 'tokens';
  /** features per sample, or tokens per sample (block length) */
  width: number;
  /** csv: feature columns, in the order the model takes them */
  featureNames?: string[];
  /** classification: class id i is named classNames[i] (csv string labels) */
  classNames?: string[];
  metaComponents: MetaComponent[];
  /** text source: tokens are the bytes of UTF-8 text */
  text: boolean;
  /** npy features: one sample's shape before flattening */
  sampleShape?: number[];
}

export interface ModelCard {
  format: typeof MODEL_CARD_FORMAT;
  version: number;
  /** the native model options the run built, every size filled in */
  model: Required<Pick<NativeModelOptions, 'type' | 'task'>> & NativeModelOptions;
  /** stage 1's [MASK] token id, or null */
  maskTokenId: number | null;
  data: ModelCardData;
}

/** Native defaults written out, so a reader (Python included) needs no knowledge of them. */
function completeModel(m: NativeModelOptions): ModelCard['model'] {
  const dModel = m.dModel ?? 128;
  const full: ModelCard['model'] = {
    ...m,
    type: m.type,
    task: m.task ?? 'classification',
    hiddenSizes: m.hiddenSizes ?? [],
    dModel,
    numHeads: m.numHeads ?? 4,
    numLayers: m.numLayers ?? 2,
    ffDim: m.ffDim !== undefined && m.ffDim > 0 ? m.ffDim : 4 * dModel,
    dropout: m.dropout ?? 0,
    tokenLimit: m.tokenLimit ?? 1024,
    attentionChunkSize: m.attentionChunkSize ?? 0,
    metaDim: m.metaDim ?? 0,
    maskedTokenHead: m.type === 'transformer' ? m.maskedTokenHead ?? true : false,
    padTokenId: m.padTokenId ?? -1,
  };
  return full;
}

export function modelCardOf(config: TrainNativeConfig, model: NativeModelOptions, maskTokenId: number | null, train: Dataset, baseDir: string): ModelCard {
  const data: ModelCardData = {
    source: config.DATA.SOURCE,
    baseDir,
    kind: train.kind,
    width: train.width,
    metaComponents: train.metaComponents.map((c) => ({ ...c })),
    text: config.DATA.SOURCE === 'text',
  };
  if (train.featureNames) data.featureNames = [...train.featureNames];
  if (train.classNames) data.classNames = [...train.classNames];
  const card: ModelCard = { format: MODEL_CARD_FORMAT, version: MODEL_CARD_VERSION, model: completeModel(model), maskTokenId, data };
  // torchscript: the run keeps its own copy of the module (lib/train/torchscript-module.ts).
  if (card.model.type === 'torchscript') card.model.scriptPath = RUN_MODULE_FILE;
  if (train.sampleShape && card.model.type === 'torchscript') data.sampleShape = [...train.sampleShape];
  return card;
}

export function modelCardText(card: ModelCard): string {
  return `${JSON.stringify(card, null, 2)}\n`;
}

export class ModelCardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelCardError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** Reads and checks a model card; ModelCardError (one line, naming the file) when unusable. */
export function readModelCard(file: string): ModelCard {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelCardError(
      code === 'ENOENT'
        ? `${file} is missing: the run was trained by a train-native without model cards (train it again to use it here)`
        : `cannot read ${file} (${code ?? String(e)})`,
    );
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ModelCardError(`${file} is not valid JSON (${(e as Error).message})`);
  }
  const bad = (what: string): never => {
    throw new ModelCardError(`${file}: ${what}`);
  };
  if (!isObject(v) || v.format !== MODEL_CARD_FORMAT) return bad(`not a train-native model card (format must be '${MODEL_CARD_FORMAT}')`);
  if (typeof v.version !== 'number' || v.version > MODEL_CARD_VERSION) return bad(`version ${String(v.version)} is newer than this train-native reads (${MODEL_CARD_VERSION})`);
  const m = v.model;
  if (!isObject(m) || !['mlp', 'transformer', 'gpt', 'torchscript'].includes(String(m.type))) return bad('model.type must be mlp, transformer, gpt or torchscript');
  if (m.task !== 'classification' && m.task !== 'regression') return bad('model.task must be classification or regression');
  const d = v.data;
  if (!isObject(d) || (d.kind !== 'features' && d.kind !== 'tokens') || typeof d.width !== 'number' || typeof d.source !== 'string' || typeof d.baseDir !== 'string')
    return bad('data must hold source, baseDir, kind and width');
  if (d.featureNames !== undefined && !isStringArray(d.featureNames)) return bad('data.featureNames must be a list of strings');
  if (d.classNames !== undefined && !isStringArray(d.classNames)) return bad('data.classNames must be a list of strings');
  if (!Array.isArray(d.metaComponents)) return bad('data.metaComponents must be a list');
  if (v.maskTokenId !== null && typeof v.maskTokenId !== 'number') return bad('maskTokenId must be a number or null');
  return v as unknown as ModelCard;
}
