/** Shared fixtures for the checkpoint tests: temp folders and small hand-built tensors. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TensorEntry } from '../../../lib/native/types';

const created: string[] = [];

/** A fresh folder under os.tmpdir(), removed after the test file. */
export function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tn-${prefix}-`));
  created.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

export function f32(name: string, shape: number[], values: number[]): TensorEntry {
  return { name, dtype: 'F32', shape, data: new Uint8Array(new Float32Array(values).buffer) };
}

export function i64(name: string, values: bigint[]): TensorEntry {
  return { name, dtype: 'I64', shape: [values.length], data: new Uint8Array(new BigInt64Array(values).buffer) };
}

export const MODEL: TensorEntry[] = [f32('layer.weight', [2, 2], [1, -2, 3.5, 0.25]), f32('layer.bias', [2], [0.5, -0.5])];
export const OPTIMIZER: TensorEntry[] = [f32('state.0.exp_avg', [3], [0.1, 0.2, 0.3]), i64('state.0.step', [7n])];

/** Entries sorted by name with plain-array bytes, for exact comparisons. */
export function comparable(entries: TensorEntry[]): Array<{ name: string; dtype: string; shape: number[]; bytes: number[] }> {
  return [...entries]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape, bytes: Array.from(e.data) }));
}

/** Names of the entries of a folder, sorted. */
export function ls(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}
