/**
 * The training-sample count N of file data without loading it (seed 001: steps "based on actual
 * dataset size"), for the dry runs `schedule` and `generate-checkpoints` when DATA.TRAIN_SAMPLES
 * is absent: an npy file's header (its first dimension), a CSV's data rows, a token or text file's
 * size (its blocks, with DATA.STRIDE). A VAL_FRACTION hold-out is taken off as loadData does.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { TrainNativeConfig } from '../config/types';
import { DataError } from './errors';
import { blockCount, DEFAULT_BLOCK_SIZE } from './sources/token-source';

/** The first dimension of an .npy file, read from its header alone. */
export function npyLength(file: string, shown: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new DataError(shown, `cannot open (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    const pre = Buffer.alloc(12);
    fs.readSync(fd, pre, 0, 12, 0);
    if (pre.subarray(0, 6).toString('latin1') !== '\x93NUMPY') throw new DataError(shown, 'is not an .npy file (no \\x93NUMPY magic)');
    const major = pre[6];
    const lenBytes = major === 1 ? 2 : 4;
    const headerLen = major === 1 ? pre.readUInt16LE(8) : pre.readUInt32LE(8);
    const header = Buffer.alloc(Math.min(headerLen, 65536));
    fs.readSync(fd, header, 0, header.length, 8 + lenBytes);
    const m = /'shape'\s*:\s*\(\s*(\d+)/.exec(header.toString('latin1'));
    if (!m) throw new DataError(shown, 'has no first dimension in its header (a 0-d array?)');
    return Number(m[1]);
  } finally {
    fs.closeSync(fd);
  }
}

/** Data rows of a CSV file: non-empty lines after the header. */
export function csvRows(file: string, shown: string): number {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(shown, `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let rows = 0;
  for (const line of text.split(/\r?\n/)) if (line.trim() !== '') rows++;
  return Math.max(0, rows - 1);
}

function fileSize(file: string, shown: string): number {
  try {
    return fs.statSync(file).size;
  } catch (e) {
    throw new DataError(shown, `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** Samples in DATA.TRAIN_PATH before any hold-out; undefined for synthetic data or no TRAIN_PATH. */
export function countFileSamples(config: TrainNativeConfig, baseDir: string): number | undefined {
  const d = config.DATA;
  if (d.SOURCE.startsWith('synthetic:') || d.TRAIN_PATH === undefined) return undefined;
  const file = path.resolve(baseDir, d.TRAIN_PATH);
  const shown = d.TRAIN_PATH;
  switch (d.SOURCE) {
    case 'npy': {
      const name = d.FEATURES ?? 'features.npy';
      return npyLength(path.join(file, name), `${shown}/${name}`);
    }
    case 'csv':
      return csvRows(file, shown);
    case 'tokens':
    case 'text': {
      const tokens = d.SOURCE === 'text' ? fileSize(file, shown) : Math.floor(fileSize(file, shown) / (d.TOKEN_DTYPE === 'uint16' ? 2 : 4));
      const block = d.BLOCK_SIZE ?? DEFAULT_BLOCK_SIZE;
      return blockCount(tokens, block, d.STRIDE ?? block, d.RANDOM_OFFSETS);
    }
    default:
      return undefined;
  }
}

/** N as the loop will see it: the file's samples less a VAL_FRACTION hold-out (holdOutSplit's rounding). */
export function countTrainSamples(config: TrainNativeConfig, baseDir: string): number | undefined {
  const total = countFileSamples(config, baseDir);
  if (total === undefined) return undefined;
  const f = config.DATA.VAL_FRACTION;
  return f === undefined ? total : total - Math.round(f * total);
}
