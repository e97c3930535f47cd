/**
 * Loading a checkpoint for resume: manifest checks, then model / optimizer / trainer state read
 * once each, verified against the manifest from memory, and parsed (safetensors with the existing
 * reader). Any fault is a CheckpointError naming the folder, the file and what is wrong.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { TensorEntry } from '../native/types';
import { CheckpointError } from './errors';
import { MODEL_FILE, OPTIMIZER_FILE, TRAINER_STATE_FILE } from './manifest';
import { decodeSafetensors } from './safetensors';
import { readCheckpointManifest } from './scan';
import type { CheckpointInfo } from './types';
import { checkRequiredFiles, verifyFileEntry } from './verify';

export interface LoadedCheckpoint {
  info: CheckpointInfo;
  model: TensorEntry[];
  optimizer: TensorEntry[];
  trainerState: Record<string, unknown>;
}

function decodeTensors(dir: string, file: string, bytes: Uint8Array): TensorEntry[] {
  try {
    return decodeSafetensors(bytes).tensors;
  } catch (e) {
    throw new CheckpointError(`checkpoint ${dir}: ${file} is not a valid safetensors file (${(e as Error).message})`);
  }
}

function parseTrainerState(dir: string, bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (e) {
    throw new CheckpointError(`checkpoint ${dir}: ${TRAINER_STATE_FILE} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CheckpointError(`checkpoint ${dir}: ${TRAINER_STATE_FILE} must hold a JSON object`);
  return value as Record<string, unknown>;
}

/** Verifies, then returns the checkpoint's tensors and trainer state. Throws CheckpointError when unusable. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const abs = path.resolve(dir);
  const unusable = (problem: string): CheckpointError => new CheckpointError(`checkpoint ${abs} is unusable: ${problem}`);
  const read = await readCheckpointManifest(abs);
  if (!read.ok) throw unusable(read.problem);
  const required = checkRequiredFiles(read.manifest);
  if (!required.ok) throw unusable(required.problem);
  const contents = new Map<string, Uint8Array>();
  for (const entry of read.manifest.files) {
    let bytes: Uint8Array | undefined;
    if (entry.name === MODEL_FILE || entry.name === OPTIMIZER_FILE || entry.name === TRAINER_STATE_FILE) {
      try {
        bytes = await fs.promises.readFile(path.join(abs, entry.name));
      } catch {
        throw unusable(`${entry.name}: missing`);
      }
      contents.set(entry.name, bytes);
    }
    const r = await verifyFileEntry(abs, entry, bytes);
    if (!r.ok) throw unusable(r.problem);
  }
  const bytesOf = (name: string): Uint8Array => contents.get(name) ?? new Uint8Array(0);
  return {
    info: read.info,
    model: decodeTensors(abs, MODEL_FILE, bytesOf(MODEL_FILE)),
    optimizer: decodeTensors(abs, OPTIMIZER_FILE, bytesOf(OPTIMIZER_FILE)),
    trainerState: parseTrainerState(abs, bytesOf(TRAINER_STATE_FILE)),
  };
}
