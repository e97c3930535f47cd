/**
 * DATA.SOURCE npy: a folder of .npy arrays, one row per sample.
 *   FEATURES (default features.npy): mlp: [N, D] (or [N, ...], flattened) numbers → features;
 *            transformer / gpt: integer [N, L] → tokens.
 *   LABELS   (default labels.npy): classification: integer [N] (or [N, 1]); regression: [N] or
 *            [N, K] numbers; not read for gpt.
 *   meta_<NAME>.npy for each DATA.META_COMPONENTS entry: [N] or [N, w] numbers.
 *   GROUPS   (default groups.npy, only if present): integer [N], -1 = no group (mixup groups).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { TrainNativeConfig } from '../../config/types';
import { ArrayDataset } from '../array-dataset';
import { DataError } from '../errors';
import { npyToFloat32, npyToInt32, readNpy, type NpyArray } from '../npy';
import { checkClassIds, checkFinite, checkGroupIds, labelKindFor, metaLayout, packMeta } from './common';

function shapeText(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/** Values per row of an array whose first axis is the sample axis. */
function rowWidth(arr: NpyArray): number {
  return arr.shape.slice(1).reduce((a, b) => a * b, 1);
}

export function loadNpyFolder(dir: string, shown: string, config: TrainNativeConfig): ArrayDataset {
  let isDir = false;
  try {
    isDir = fs.statSync(dir).isDirectory();
  } catch {
    throw new DataError(shown, `folder not found${dir !== shown ? ` (looked for ${dir})` : ''}; DATA.SOURCE npy needs TRAIN_PATH / VAL_PATH to be a folder of .npy files`);
  }
  if (!isDir) throw new DataError(shown, 'is a file; DATA.SOURCE npy needs a folder holding features.npy and labels.npy (use DATA.SOURCE csv / tokens / text for single files)');

  const file = (name: string): { abs: string; shown: string; exists: boolean } => {
    const abs = path.join(dir, name);
    return { abs, shown: path.join(shown, name), exists: fs.existsSync(abs) };
  };
  const required = (name: string, why: string): { abs: string; shown: string } => {
    const f = file(name);
    if (!f.exists) throw new DataError(f.shown, `file not found; the npy folder ${shown} should contain ${name} (${why})`);
    return f;
  };
  const sameN = (arr: NpyArray, where: string, n: number, featuresShown: string): void => {
    if (arr.shape.length === 0 || arr.shape[0] !== n) {
      throw new DataError(where, `has shape ${shapeText(arr.shape)} but ${featuresShown} has ${n} samples; the first axis must be the sample axis with ${n} rows`);
    }
  };

  // Features or tokens.
  const featName = config.DATA.FEATURES ?? 'features.npy';
  const feat = required(featName, config.DATA.FEATURES ? 'DATA.FEATURES names it' : 'the inputs; DATA.FEATURES names another file');
  const x = readNpy(feat.abs, feat.shown);
  const wantTokens = config.MODEL.TYPE === 'torchscript' ? config.MODEL.INPUT === 'tokens' : config.MODEL.TYPE !== 'mlp';
  if (wantTokens && x.shape.length !== 2) {
    throw new DataError(feat.shown, `has shape ${shapeText(x.shape)}; MODEL.TYPE ${config.MODEL.TYPE} needs token ids of shape (N, L)`);
  }
  if (!wantTokens && x.shape.length < 2) {
    throw new DataError(feat.shown, `has shape ${shapeText(x.shape)}; MODEL.TYPE ${config.MODEL.TYPE} needs features of shape (N, D) or (N, ...): the first axis is the sample axis`);
  }
  const n = x.shape[0];
  const width = rowWidth(x);
  if (n === 0) throw new DataError(feat.shown, 'has 0 samples');
  if (width === 0) throw new DataError(feat.shown, `has shape ${shapeText(x.shape)}: 0 values per sample`);
  let features: Float32Array | undefined;
  let tokens: Int32Array | undefined;
  if (wantTokens) {
    tokens = npyToInt32(x, feat.shown, `token ids for MODEL.TYPE ${config.MODEL.TYPE}`);
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i] < 0) throw new DataError(feat.shown, `token ids must be >= 0, got ${tokens[i]} at sample ${Math.floor(i / width)}, position ${i % width}`);
    }
  } else {
    features = npyToFloat32(x);
    checkFinite(features, width, feat.shown, 'features');
  }

  // Labels.
  const labelKind = labelKindFor(config);
  let labels: Int32Array | Float32Array | undefined;
  let outputDim: number | undefined;
  if (labelKind !== 'none') {
    const labName = config.DATA.LABELS ?? 'labels.npy';
    const lab = required(labName, `MODEL.TASK ${config.MODEL.TASK} needs labels${config.DATA.LABELS ? '; DATA.LABELS names it' : '; DATA.LABELS names another file'}`);
    const y = readNpy(lab.abs, lab.shown);
    sameN(y, lab.shown, n, feat.shown);
    if (labelKind === 'class') {
      if (!(y.shape.length === 1 || (y.shape.length === 2 && y.shape[1] === 1))) {
        throw new DataError(lab.shown, `has shape ${shapeText(y.shape)}; MODEL.TASK classification needs one integer class id per sample, shape (${n},)`);
      }
      labels = npyToInt32(y, lab.shown, 'labels for MODEL.TASK classification');
      checkClassIds(labels, lab.shown);
    } else {
      if (y.shape.length > 2) throw new DataError(lab.shown, `has shape ${shapeText(y.shape)}; MODEL.TASK regression needs targets of shape (${n},) or (${n}, K)`);
      if (y.kind === 'b') throw new DataError(lab.shown, 'regression targets must be numbers, got |b1');
      outputDim = y.shape.length === 2 ? y.shape[1] : 1;
      if (outputDim === 0) throw new DataError(lab.shown, `has shape ${shapeText(y.shape)}: 0 targets per sample`);
      const f = npyToFloat32(y);
      checkFinite(f, outputDim, lab.shown, 'regression targets');
      labels = f;
    }
  }

  // Metadata components, in DATA.META_COMPONENTS order.
  const metaParts: { name: string; width: number }[] = [];
  const metaColumns: Float32Array[] = [];
  for (const name of config.DATA.META_COMPONENTS) {
    const m = required(`meta_${name}.npy`, `DATA.META_COMPONENTS lists ${name}`);
    const arr = readNpy(m.abs, m.shown);
    sameN(arr, m.shown, n, feat.shown);
    const w = rowWidth(arr);
    if (w === 0) throw new DataError(m.shown, `has shape ${shapeText(arr.shape)}: 0 values per sample`);
    const f = npyToFloat32(arr);
    checkFinite(f, w, m.shown, 'metadata values');
    metaParts.push({ name, width: w });
    metaColumns.push(f);
  }
  const metaComponents = metaLayout(metaParts);
  const meta = metaComponents.length > 0 ? packMeta(n, metaComponents, metaColumns) : undefined;

  // Mixup groups: the default file is optional, a named one is required.
  let groups: Int32Array | undefined;
  const grp = config.DATA.GROUPS ? required(config.DATA.GROUPS, 'DATA.GROUPS names it') : file('groups.npy');
  if (config.DATA.GROUPS || fs.existsSync(grp.abs)) {
    const g = readNpy(grp.abs, grp.shown);
    sameN(g, grp.shown, n, feat.shown);
    if (g.shape.length !== 1) throw new DataError(grp.shown, `has shape ${shapeText(g.shape)}; group ids need shape (${n},)`);
    groups = npyToInt32(g, grp.shown, 'group ids');
    checkGroupIds(groups, grp.shown);
  }

  return new ArrayDataset({
    size: n,
    kind: wantTokens ? 'tokens' : 'features',
    width,
    sampleShape: wantTokens ? undefined : x.shape.slice(1),
    features,
    tokens,
    labelKind,
    labels,
    outputDim,
    metaComponents,
    meta,
    groups,
  });
}
