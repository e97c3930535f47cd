/**
 * How many training samples DATA describes, without loading the data (seed 001: steps come from
 * the actual dataset size): for `schedule` and `generate-checkpoints`, which run without LibTorch
 * and should not read gigabytes to print a plan. npy: the sample axis of the inputs' header; csv:
 * the data rows (lines after the header that are not blank); tokens / text: the file size, cut
 * into blocks as training cuts them (DATA.STRIDE, DATA.RANDOM_OFFSETS). The VAL_FRACTION hold-out is taken off as loadData takes it.
 * DATA.TRAIN_SAMPLES, when given, is the answer (training checks it against the data).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { TrainNativeConfig } from '../config/types';
import { DataError } from './errors';
import { readNpyShape } from './npy';
import { blockCount, DEFAULT_BLOCK_SIZE } from './sources/token-source';
import { SYNTHETIC_DEFAULTS } from './synthetic';

function fileSize(file: string, shown: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    throw new DataError(shown, `file not found${file !== shown ? ` (looked for ${file})` : ''}; a dry run counts the training samples from DATA.TRAIN_PATH (or set DATA.TRAIN_SAMPLES)`);
  }
}

/** Data rows of a CSV: non-blank lines after the header (what lib/data/csv.ts parses). */
function csvRows(file: string, shown: string): number {
  fileSize(file, shown);
  const text = fs.readFileSync(file, 'utf8');
  let lines = 0;
  for (const line of text.split('\n')) if (line.trim() !== '') lines++;
  return Math.max(0, lines - 1);
}

/** Samples in the file or folder DATA.SOURCE reads at `file`. */
function samplesIn(config: TrainNativeConfig, file: string, shown: string): number {
  const d = config.DATA;
  switch (d.SOURCE) {
    case 'npy': {
      const name = d.FEATURES ?? 'features.npy';
      const shape = readNpyShape(path.join(file, name), path.join(shown, name));
      return shape[0] ?? 0;
    }
    case 'csv':
      return csvRows(file, shown);
    case 'tokens':
    case 'text': {
      const bytes = fileSize(file, shown);
      const tokens = d.SOURCE === 'tokens' ? Math.floor(bytes / (d.TOKEN_DTYPE === 'uint16' ? 2 : 4)) : bytes;
      const block = d.BLOCK_SIZE ?? DEFAULT_BLOCK_SIZE;
      return blockCount(tokens, block, d.STRIDE ?? block, d.RANDOM_OFFSETS);
    }
    default:
      return 0;
  }
}

/** The training split's size, or undefined when DATA says nothing to count (no TRAIN_PATH). */
export function countTrainSamples(config: TrainNativeConfig, baseDir: string): number | undefined {
  const d = config.DATA;
  if (d.TRAIN_SAMPLES !== undefined) return d.TRAIN_SAMPLES;
  if (d.SOURCE.startsWith('synthetic:')) return SYNTHETIC_DEFAULTS.trainSamples;
  if (d.TRAIN_PATH === undefined) return undefined;
  const total = samplesIn(config, path.resolve(baseDir, d.TRAIN_PATH), d.TRAIN_PATH);
  return d.VAL_FRACTION !== undefined ? total - Math.round(d.VAL_FRACTION * total) : total;
}
