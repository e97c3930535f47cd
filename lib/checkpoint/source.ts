/**
 * Where a trained model comes from (SPEC §12): a run directory (its best checkpoint, its latest,
 * or one named), a checkpoint folder, or a `checkpoints/best` / `checkpoints/latest` marker file.
 * `loadModel` and `--resume-from` accept the same sources. Also the weights-only read that
 * inference needs: the manifest checked, and model.safetensors verified against it.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { TensorEntry } from '../native/types';
import { CheckpointError } from './errors';
import { MANIFEST_FILE, MODEL_FILE } from './manifest';
import { BEST_FILE, LATEST_FILE, stepOfDirName } from './names';
import { CHECKPOINTS_DIR } from './run-dir';
import { decodeSafetensors } from './safetensors';
import { readCheckpointManifest, scanCheckpointsDir } from './scan';
import type { CheckpointInfo } from './types';
import { verifyFileEntry } from './verify';

/** Which checkpoint of a run directory: its best (default), its latest, or a folder name. */
export type CheckpointChoice = 'best' | 'latest' | string;

export interface ModelSource {
  /** the run directory (config.yaml, assets/model.json) */
  runDir: string;
  /** the checkpoint folder */
  checkpointDir: string;
  /** how it was chosen, for messages: 'best', 'latest', 'newest', or 'given' */
  chosenAs: 'best' | 'latest' | 'newest' | 'given';
}

/** The source names nothing loadable (a wrong path): bad input, unlike an unusable checkpoint. */
export class ModelSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelSourceError';
  }
}

async function statOf(p: string): Promise<fs.Stats | undefined> {
  return fs.promises.stat(p).catch(() => undefined);
}

const WHAT_IS_ACCEPTED = 'expected a run directory, a checkpoint folder, or a checkpoints/best or checkpoints/latest file';

/** The checkpoint folder a `best` / `latest` marker file names (it holds the folder's name). */
export async function readMarkerFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    throw new CheckpointError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const name = text.trim();
  if (stepOfDirName(name) === undefined) throw new CheckpointError(`${file} does not name a checkpoint folder (it holds ${JSON.stringify(text.slice(0, 40))})`);
  const dir = path.join(path.dirname(file), name);
  if (!(await statOf(dir))?.isDirectory()) throw new CheckpointError(`${file} names ${name}, but ${dir} does not exist`);
  return dir;
}

/** A marker file: named best or latest, inside a checkpoints/ folder. */
export function isMarkerFile(file: string): boolean {
  const base = path.basename(file);
  return (base === BEST_FILE || base === LATEST_FILE) && path.basename(path.dirname(file)) === CHECKPOINTS_DIR;
}

/** A folder that is a checkpoint (has a manifest, or a step-* name). */
export async function isCheckpointFolder(dir: string): Promise<boolean> {
  return (await statOf(path.join(dir, MANIFEST_FILE))) !== undefined || stepOfDirName(path.basename(dir)) !== undefined;
}

function runDirOfCheckpoint(checkpointDir: string): string {
  const parent = path.dirname(checkpointDir);
  if (path.basename(parent) !== CHECKPOINTS_DIR) {
    throw new CheckpointError(`checkpoint ${checkpointDir} is not inside a run directory's checkpoints/ folder, so its config.yaml cannot be found`);
  }
  return path.dirname(parent);
}

async function newestCheckpoint(checkpointsDir: string, runDir: string): Promise<string> {
  const scanned = (await scanCheckpointsDir(checkpointsDir)).filter((s) => s.read.ok);
  if (scanned.length === 0) throw new CheckpointError(`run directory ${runDir} has no complete checkpoint in ${checkpointsDir}`);
  return scanned[scanned.length - 1].dir;
}

/**
 * Resolves a source to its run directory and checkpoint folder. A run directory without a
 * `best` marker (no validation was run) falls back to its latest checkpoint.
 */
export async function resolveModelSource(source: string, checkpoint: CheckpointChoice = 'best'): Promise<ModelSource> {
  const abs = path.resolve(source);
  const st = await statOf(abs);
  if (st === undefined) throw new ModelSourceError(`${abs}: no such file or folder (${WHAT_IS_ACCEPTED})`);
  if (st.isFile()) {
    if (!isMarkerFile(abs)) throw new ModelSourceError(`${abs} is a file but not a checkpoints/best or checkpoints/latest marker (${WHAT_IS_ACCEPTED})`);
    const dir = await readMarkerFile(abs);
    return { runDir: runDirOfCheckpoint(dir), checkpointDir: dir, chosenAs: path.basename(abs) as 'best' | 'latest' };
  }
  if (await isCheckpointFolder(abs)) return { runDir: runDirOfCheckpoint(abs), checkpointDir: abs, chosenAs: 'given' };
  const checkpoints = path.join(abs, CHECKPOINTS_DIR);
  if (!(await statOf(checkpoints))?.isDirectory()) throw new ModelSourceError(`${abs} has no checkpoints/ folder (${WHAT_IS_ACCEPTED})`);
  if (checkpoint !== 'best' && checkpoint !== 'latest') {
    const dir = path.join(checkpoints, checkpoint);
    if (!(await statOf(dir))?.isDirectory()) throw new ModelSourceError(`run directory ${abs} has no checkpoint ${checkpoint}`);
    return { runDir: abs, checkpointDir: dir, chosenAs: 'given' };
  }
  for (const marker of checkpoint === 'best' ? [BEST_FILE, LATEST_FILE] : [LATEST_FILE]) {
    const file = path.join(checkpoints, marker);
    if (await statOf(file)) return { runDir: abs, checkpointDir: await readMarkerFile(file), chosenAs: marker as 'best' | 'latest' };
  }
  return { runDir: abs, checkpointDir: await newestCheckpoint(checkpoints, abs), chosenAs: 'newest' };
}

export interface CheckpointWeights {
  info: CheckpointInfo;
  model: TensorEntry[];
}

/** The manifest, then model.safetensors read once, verified against it and decoded. */
export async function loadCheckpointWeights(dir: string): Promise<CheckpointWeights> {
  const unusable = (problem: string): CheckpointError => new CheckpointError(`checkpoint ${dir} is unusable: ${problem}`);
  const read = await readCheckpointManifest(dir);
  if (!read.ok) throw unusable(read.problem);
  const entry = read.manifest.files.find((f) => f.name === MODEL_FILE);
  if (entry === undefined) throw unusable(`manifest.json does not list ${MODEL_FILE}`);
  let bytes: Uint8Array;
  try {
    bytes = await fs.promises.readFile(path.join(dir, MODEL_FILE));
  } catch {
    throw unusable(`${MODEL_FILE}: missing`);
  }
  const verified = await verifyFileEntry(dir, entry, bytes);
  if (!verified.ok) throw unusable(verified.problem);
  try {
    return { info: read.info, model: decodeSafetensors(bytes).tensors };
  } catch (e) {
    throw unusable(`${MODEL_FILE} is not a valid safetensors file (${(e as Error).message})`);
  }
}
