/**
 * loadData: reads (or generates) the training and validation data that DATA describes, checks it
 * against MODEL, and makes the split. Relative paths resolve against `baseDir` (the caller's choice).
 *   VAL_PATH     → validation is loaded from that path like TRAIN_PATH.
 *   VAL_FRACTION → file sources: a seeded random hold-out (EXPERIMENT.SEED) of round(f · N)
 *                  samples; synthetic sources generate round(f · TRAIN_SAMPLES) validation samples.
 *   neither      → no validation data.
 * DATA.TRAIN_SAMPLES: synthetic: how many to generate (default 4096); file sources: must equal the
 * training split's size when set (it exists so `schedule` can run without data, SPEC §1).
 * Errors: ConfigError for settings that are wrong whatever the data (missing TRAIN_PATH, BLOCK_SIZE
 * over TOKEN_LIMIT); DataError for files and for settings that disagree with the data.
 */
import * as path from 'path';
import { ConfigError } from '../config/errors';
import type { TrainNativeConfig } from '../config/types';
import { ArrayDataset } from './array-dataset';
import { checkAgainstModel, checkSplitsMatch } from './checks';
import { DataError } from './errors';
import { loadCsvFiles } from './sources/csv-source';
import { loadNpyFolder } from './sources/npy-source';
import { DEFAULT_BLOCK_SIZE, loadTextFile, loadTokenFile } from './sources/token-source';
import { holdOutSplit } from './split';
import { generateSynthetic, SYNTHETIC_DEFAULTS, SYNTHETIC_TASKS, type SyntheticTask } from './synthetic';
import type { Dataset } from './types';

export interface LoadedData {
  train: Dataset;
  val: Dataset | null;
  /** One line for logs: source, sizes, shapes, labels, metadata, how validation was made. */
  description: string;
}

export interface LoadDataOptions {
  /** Relative TRAIN_PATH / VAL_PATH resolve against it (the working directory or the config file's folder). */
  baseDir: string;
}

function describe(ds: Dataset): string {
  const parts = [`${ds.size} samples x ${ds.width} ${ds.kind === 'tokens' ? 'tokens' : 'features'}`];
  if (ds.kind === 'tokens') parts.push(`vocabulary ${ds.vocabSize}`);
  if (ds.labelKind === 'class') parts.push(`${ds.numClasses} classes${ds.classNames ? ` (${ds.classNames.slice(0, 5).join(', ')}${ds.classNames.length > 5 ? ', ...' : ''})` : ''}`);
  if (ds.labelKind === 'regression') parts.push(`${ds.outputDim} regression target${ds.outputDim === 1 ? '' : 's'}`);
  if (ds.metaDim > 0) parts.push(`metadata ${ds.metaComponents.map((c) => `${c.name}[${c.width}]`).join(' ')}`);
  if (ds.hasGroups) parts.push('mixup groups');
  return parts.join(', ');
}

function checkBlockSize(config: TrainNativeConfig, blockSize: number): void {
  if (blockSize > config.MODEL.TOKEN_LIMIT) {
    throw new ConfigError(`${blockSize} tokens is longer than MODEL.TOKEN_LIMIT ${config.MODEL.TOKEN_LIMIT}; lower DATA.BLOCK_SIZE or raise MODEL.TOKEN_LIMIT`, 'DATA.BLOCK_SIZE');
  }
}

function loadSynthetic(config: TrainNativeConfig, task: SyntheticTask): LoadedData {
  const d = config.DATA;
  for (const key of ['TRAIN_PATH', 'VAL_PATH'] as const) {
    if (d[key] !== undefined) throw new ConfigError(`DATA.SOURCE ${d.SOURCE} generates its data and reads no files; remove DATA.${key} or choose a file source (npy, csv, tokens, text)`, `DATA.${key}`);
  }
  if (task === 'sequence' || task === 'language') {
    checkBlockSize(config, d.BLOCK_SIZE ?? (task === 'sequence' ? SYNTHETIC_DEFAULTS.sequenceBlockSize : SYNTHETIC_DEFAULTS.languageBlockSize));
  }
  const n = d.TRAIN_SAMPLES ?? SYNTHETIC_DEFAULTS.trainSamples;
  const where = d.SOURCE;
  const train = generateSynthetic(task, config, n, 'train');
  checkAgainstModel(config, train, where);
  let val: Dataset | null = null;
  let how = 'no validation data (set DATA.VAL_FRACTION to generate some)';
  if (d.VAL_FRACTION !== undefined) {
    const nVal = Math.round(d.VAL_FRACTION * n);
    if (nVal === 0) throw new ConfigError(`${d.VAL_FRACTION} x ${n} training samples rounds to 0 validation samples; raise it or DATA.TRAIN_SAMPLES`, 'DATA.VAL_FRACTION');
    val = generateSynthetic(task, config, nVal, 'val');
    checkAgainstModel(config, val, where);
    how = `validation: ${nVal} generated samples (VAL_FRACTION ${d.VAL_FRACTION})`;
  }
  return { train, val, description: `${where} (seed ${config.EXPERIMENT.SEED}): ${describe(train)}; ${how}` };
}

/** Loads one file source for each path (train first); csv reads them together to share class ids. */
function loadFiles(config: TrainNativeConfig, files: { path: string; shown: string }[]): ArrayDataset[] {
  const d = config.DATA;
  switch (d.SOURCE) {
    case 'npy':
      return files.map((f) => loadNpyFolder(f.path, f.shown, config));
    case 'csv':
      return loadCsvFiles(files, config);
    case 'tokens':
    case 'text': {
      const blockSize = d.BLOCK_SIZE ?? DEFAULT_BLOCK_SIZE;
      checkBlockSize(config, blockSize);
      const stride = d.STRIDE ?? blockSize;
      // Validation keeps fixed blocks: its metrics compare across epochs.
      const blocking = (i: number) => ({ block: blockSize, stride, randomOffsets: d.RANDOM_OFFSETS && i === 0 });
      return files.map((f, i) => (d.SOURCE === 'tokens' ? loadTokenFile(f.path, f.shown, d.TOKEN_DTYPE, blocking(i)) : loadTextFile(f.path, f.shown, blocking(i))));
    }
    default:
      throw new ConfigError(`unknown data source '${d.SOURCE}'; allowed: synthetic:${SYNTHETIC_TASKS.join(', synthetic:')}, npy, csv, tokens, text`, 'DATA.SOURCE');
  }
}

export function loadData(config: TrainNativeConfig, opts: LoadDataOptions): LoadedData {
  const d = config.DATA;
  if (d.SOURCE.startsWith('synthetic:')) {
    const task = d.SOURCE.slice('synthetic:'.length) as SyntheticTask;
    if (!SYNTHETIC_TASKS.includes(task)) {
      throw new ConfigError(`unknown synthetic task '${task}'; allowed: synthetic:${SYNTHETIC_TASKS.join(', synthetic:')}`, 'DATA.SOURCE');
    }
    return loadSynthetic(config, task);
  }
  if (d.TRAIN_PATH === undefined) {
    throw new ConfigError(`DATA.SOURCE ${d.SOURCE} reads files: set DATA.TRAIN_PATH (${d.SOURCE === 'npy' ? 'a folder of .npy arrays' : 'a file'})`, 'DATA.TRAIN_PATH');
  }
  if (d.VAL_PATH !== undefined && d.VAL_FRACTION !== undefined) {
    throw new ConfigError('give DATA.VAL_PATH or DATA.VAL_FRACTION, not both', 'DATA.VAL_FRACTION');
  }
  const file = (p: string): { path: string; shown: string } => ({ path: path.resolve(opts.baseDir, p), shown: p });
  const files = [file(d.TRAIN_PATH), ...(d.VAL_PATH !== undefined ? [file(d.VAL_PATH)] : [])];
  const loaded = loadFiles(config, files);

  let train: ArrayDataset = loaded[0];
  let val: ArrayDataset | null = loaded[1] ?? null;
  let how = d.VAL_PATH !== undefined ? `validation: ${d.VAL_PATH}` : 'no validation data';
  if (d.VAL_FRACTION !== undefined) {
    const total = train.size;
    const split = holdOutSplit(total, d.VAL_FRACTION, config.EXPERIMENT.SEED);
    if (split.val.length === 0 || split.train.length === 0) {
      throw new DataError('DATA.VAL_FRACTION', `${d.VAL_FRACTION} of ${d.TRAIN_PATH}'s ${total} samples holds out ${split.val.length} for validation and leaves ${split.train.length} for training; both need at least one`);
    }
    val = train.subset(split.val);
    train = train.subset(split.train);
    how = `validation: ${split.val.length} of ${total} samples held out at random (VAL_FRACTION ${d.VAL_FRACTION}, seed ${config.EXPERIMENT.SEED})`;
  }
  if (d.TRAIN_SAMPLES !== undefined && d.TRAIN_SAMPLES !== train.size) {
    throw new DataError(
      'DATA.TRAIN_SAMPLES',
      `is ${d.TRAIN_SAMPLES} but ${d.TRAIN_PATH} has ${train.size} training samples${d.VAL_FRACTION !== undefined ? ' after the hold-out' : ''}; remove DATA.TRAIN_SAMPLES or fix it`,
    );
  }
  checkAgainstModel(config, train, d.TRAIN_PATH);
  if (val) {
    const valWhere = d.VAL_PATH ?? `${d.TRAIN_PATH} (validation hold-out)`;
    checkSplitsMatch(train, val, d.TRAIN_PATH, valWhere);
    checkAgainstModel(config, val, valWhere);
  }
  return { train, val, description: `${d.SOURCE} ${d.TRAIN_PATH}: ${describe(train)}; ${how}` };
}
