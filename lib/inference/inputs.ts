/**
 * What `predict` reads: TypedArrays with their shape, or a file in the training data's format —
 * an .npy file or npy folder (features.npy / tokens as the model takes them, meta_<NAME>.npy),
 * or a CSV whose feature columns are found by the names the model was trained with (other
 * columns, a label column included, are ignored). Everything is checked against the model card,
 * and a mismatch is an InputError naming the column, file or array.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseCsv } from '../data/csv';
import { npyToFloat32, npyToInt32, readNpy, type NpyArray } from '../data/npy';
import type { ModelCard } from './model-card';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Rows for the model: features [count, inputDim] (mlp), or tokens [count, length] (+ meta). */
export interface InputRows {
  count: number;
  features?: Float32Array;
  tokens?: Int32Array;
  /** tokens per row */
  length?: number;
  meta?: Float32Array;
}

/** In-memory input: row-major values and their [rows, columns] shape. */
export type ArrayInput =
  | { features: Float32Array | ArrayLike<number>; shape: readonly [number, number] }
  | { tokens: Int32Array | ArrayLike<number>; shape: readonly [number, number]; meta?: Float32Array | ArrayLike<number> };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function checkShape(shape: readonly number[], what: string): [number, number] {
  if (shape.length !== 2 || !shape.every((d) => Number.isSafeInteger(d) && d >= 1)) throw new InputError(`${what}: shape must be [rows, columns] of positive integers (got [${shape.join(', ')}])`);
  return [shape[0], shape[1]];
}

function checkFeatures(card: ModelCard, features: Float32Array, rows: number, cols: number, where: string): InputRows {
  const want = card.model.inputDim ?? card.data.width;
  if (cols !== want) throw new InputError(`${where} has ${cols} features per row; the model takes ${want}${card.data.featureNames ? ` (${card.data.featureNames.slice(0, 6).join(', ')}${card.data.featureNames.length > 6 ? ', ...' : ''})` : ''}`);
  for (let i = 0; i < features.length; i++) {
    if (!Number.isFinite(features[i])) throw new InputError(`${where}: row ${Math.floor(i / cols)}, feature ${i % cols} is ${features[i]}; features must be finite numbers`);
  }
  return { count: rows, features };
}

function checkTokens(card: ModelCard, tokens: Int32Array, rows: number, length: number, where: string, meta?: Float32Array): InputRows {
  const limit = card.model.tokenLimit ?? 1024;
  if (length > limit) throw new InputError(`${where} has ${length} tokens per row; the model takes at most ${limit}`);
  const vocab = card.model.vocabSize ?? 0;
  for (let i = 0; i < tokens.length; i++) {
    if (!(tokens[i] >= 0 && tokens[i] < vocab)) throw new InputError(`${where}: row ${Math.floor(i / length)}, token ${i % length} is ${tokens[i]}, outside the vocabulary [0, ${vocab})`);
  }
  const metaDim = card.model.metaDim ?? 0;
  if (meta !== undefined && meta.length !== rows * metaDim) throw new InputError(`${where}: meta has ${meta.length} values; the model takes ${metaDim} per row (${rows * metaDim} in all)`);
  return { count: rows, tokens, length, meta };
}

function needsFeatures(card: ModelCard): boolean {
  return card.model.type === 'mlp' || (card.model.type === 'torchscript' && card.model.input !== 'tokens');
}

/** Rows from TypedArrays (or plain number arrays) with their shape. */
export function rowsFromArrays(card: ModelCard, input: ArrayInput): InputRows {
  if (card.model.type === 'gpt') throw new InputError('gpt models generate text; use generate(), not predict()');
  const [rows, cols] = checkShape(input.shape, 'input');
  if ('features' in input) {
    if (!needsFeatures(card)) throw new InputError(`this ${card.model.type} model takes tokens: give {tokens, shape}`);
    if (input.features.length !== rows * cols) throw new InputError(`input.features has ${input.features.length} values, not shape [${rows}, ${cols}] = ${rows * cols}`);
    const f = input.features instanceof Float32Array ? input.features : Float32Array.from(input.features);
    return checkFeatures(card, f, rows, cols, 'input.features');
  }
  if (needsFeatures(card)) throw new InputError('this mlp model takes features: give {features, shape}');
  if (input.tokens.length !== rows * cols) throw new InputError(`input.tokens has ${input.tokens.length} values, not shape [${rows}, ${cols}] = ${rows * cols}`);
  const t = input.tokens instanceof Int32Array ? input.tokens : Int32Array.from(input.tokens);
  const meta = input.meta === undefined ? undefined : input.meta instanceof Float32Array ? input.meta : Float32Array.from(input.meta);
  return checkTokens(card, t, rows, cols, 'input.tokens', meta);
}

function rowsOf(arr: NpyArray): [number, number] {
  const rows = arr.shape[0] ?? 1;
  const cols = arr.shape.length <= 1 ? 1 : arr.shape.slice(1).reduce((a, b) => a * b, 1);
  return [rows, cols];
}

function readNpyFile(file: string, shown: string): NpyArray {
  try {
    return readNpy(file, shown);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

function rowsFromNpy(card: ModelCard, arr: NpyArray, shown: string, meta?: Float32Array): InputRows {
  const [rows, cols] = rowsOf(arr);
  if (needsFeatures(card)) return checkFeatures(card, npyToFloat32(arr), rows, cols, shown);
  let tokens: Int32Array;
  try {
    tokens = npyToInt32(arr, shown, 'tokens');
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  return checkTokens(card, tokens, rows, cols, shown, meta);
}

function rowsFromNpyFolder(card: ModelCard, dir: string, shown: string): InputRows {
  const name = 'features.npy';
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new InputError(`${shown} has no ${name} (an npy input folder holds the model's inputs in ${name})`);
  let meta: Float32Array | undefined;
  if (card.model.type === 'transformer' && card.data.metaComponents.length > 0) {
    const [rows] = rowsOf(readNpyFile(file, path.join(shown, name)));
    meta = new Float32Array(rows * (card.model.metaDim ?? 0));
    for (const c of card.data.metaComponents) {
      const mf = path.join(dir, `meta_${c.name}.npy`);
      if (!fs.existsSync(mf)) throw new InputError(`${shown} has no meta_${c.name}.npy for metadata component ${c.name}`);
      const m = readNpyFile(mf, path.join(shown, `meta_${c.name}.npy`));
      const [mr, mw] = rowsOf(m);
      if (mr !== rows || mw !== c.width) throw new InputError(`${path.join(shown, `meta_${c.name}.npy`)} has shape [${m.shape.join(', ')}]; expected [${rows}, ${c.width}]`);
      const v = npyToFloat32(m);
      const metaDim = card.model.metaDim ?? 0;
      for (let r = 0; r < rows; r++) meta.set(v.subarray(r * c.width, (r + 1) * c.width), r * metaDim + c.offset);
    }
  }
  return rowsFromNpy(card, readNpyFile(file, path.join(shown, name)), path.join(shown, name), meta);
}

function rowsFromCsv(card: ModelCard, file: string, shown: string): InputRows {
  if (!needsFeatures(card)) throw new InputError(`${shown}: CSV input is for models that take features; this ${card.model.type} model takes tokens (an .npy file)`);
  const names = card.data.featureNames;
  if (names === undefined) throw new InputError(`${shown}: the model was trained on ${card.data.source} data, so its feature columns have no names; give an .npy file or arrays`);
  const table = parseCsv(fs.readFileSync(file, 'utf8'), shown);
  const cols = names.map((n) => {
    const k = table.header.indexOf(n);
    if (k < 0) throw new InputError(`${shown} has no column '${n}' (a feature the model was trained on); columns: ${table.header.join(', ')}`);
    return k;
  });
  const rows = table.rows.length;
  if (rows === 0) throw new InputError(`${shown} has a header but no rows`);
  const features = new Float32Array(rows * cols.length);
  table.rows.forEach((row, r) => {
    cols.forEach((k, j) => {
      const cell = row[k];
      if (!NUMBER.test(cell) || !Number.isFinite(Number(cell))) throw new InputError(`${shown}: line ${table.lines[r]}, column '${names[j]}': ${JSON.stringify(cell)} is not a finite number`);
      features[r * cols.length + j] = Number(cell);
    });
  });
  return { count: rows, features };
}

/** Rows from a file or folder (relative paths against `cwd`). */
export function rowsFromPath(card: ModelCard, p: string, cwd: string): InputRows {
  if (card.model.type === 'gpt') throw new InputError('gpt models generate text; use generate, not predict');
  const abs = path.resolve(cwd, p);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new InputError(`${p}: no such file or folder`);
  }
  if (st.isDirectory()) return rowsFromNpyFolder(card, abs, p);
  if (abs.endsWith('.npy')) return rowsFromNpy(card, readNpyFile(abs, p), p);
  if (abs.endsWith('.csv')) return rowsFromCsv(card, abs, p);
  throw new InputError(`${p}: give an .npy file, an npy folder or a .csv file`);
}

/** Rows [start, start + n) as a batch the session takes. */
export function sliceRows(rows: InputRows, start: number, n: number): { batchSize: number; features?: Float32Array; tokens?: Int32Array; meta?: Float32Array } {
  const out: { batchSize: number; features?: Float32Array; tokens?: Int32Array; meta?: Float32Array } = { batchSize: n };
  if (rows.features) {
    const w = rows.features.length / rows.count;
    out.features = rows.features.subarray(start * w, (start + n) * w);
  }
  if (rows.tokens) {
    const w = rows.length ?? rows.tokens.length / rows.count;
    out.tokens = rows.tokens.subarray(start * w, (start + n) * w);
  }
  if (rows.meta && rows.meta.length > 0) {
    const w = rows.meta.length / rows.count;
    out.meta = rows.meta.subarray(start * w, (start + n) * w);
  }
  return out;
}
