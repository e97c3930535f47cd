/**
 * CheckpointStore: writes `checkpoints/step-%08d` folders so that a crash at any instant leaves
 * either the old state or the new one (files into `.tmp-step-…-<pid>`, each fsynced, manifest.json
 * last, then one folder rename, then fsync of checkpoints/), keeps `latest` and `best` current and
 * applies retention (top-N by metric ∪ last-N, never the only one, never after a failed save).
 * Verification, loading and resume discovery live in their own modules and are re-exported here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError } from '../config/errors';
import type { TensorEntry } from '../native/types';
import { fsyncDir, writeFileAtomic, writeFileSynced } from './atomic';
import { CheckpointError } from './errors';
import { sha256OfBytes } from './hash';
import {
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  MODEL_FILE,
  OPTIMIZER_FILE,
  TRAINER_STATE_FILE,
  manifestToJson,
  type ManifestFileEntry,
} from './manifest';
import { BEST_FILE, DELETING_PREFIX, LATEST_FILE, checkpointDirName, replacedDirName, tempDirName } from './names';
import { bestCheckpoint, selectRetained } from './retention';
import { encodeSafetensors } from './safetensors';
import { listCheckpoints } from './scan';
import type { CheckpointInfo, CheckpointMetric } from './types';

export { CheckpointError } from './errors';
export type { CheckpointInfo, CheckpointMetric, MetricMode } from './types';
export { verifyCheckpoint } from './verify';
export type { VerifyResult } from './verify';
export { loadCheckpoint } from './load';
export type { LoadedCheckpoint } from './load';
export { findResumeCheckpoint, resolveResumePath } from './resume';
export type { ResumeDiscovery, SkippedCheckpoint } from './resume';
export { selectRetained, bestCheckpoint } from './retention';

export interface SaveCheckpointInput {
  step: number;
  /** -> model.safetensors */
  model: TensorEntry[];
  /** -> optimizer.safetensors */
  optimizer: TensorEntry[];
  /** -> trainer_state.json (must be JSON-serialisable: no BigInt, no cycles) */
  trainerState: Record<string, unknown>;
  /** The monitored metric at this step; absent or non-finite = never best. */
  metric?: CheckpointMetric;
  /**
   * Runs once every data file is durable, before the manifest makes the checkpoint complete; a
   * throw abandons the save (nothing of it remains). Distributed runs pass the save barrier here,
   * so a checkpoint is complete only when every rank reached it.
   */
  beforeCommit?: () => Promise<void>;
}

export interface RetentionPolicy {
  /** SCHEDULE.CHECKPOINT.KEEP_TOP_N */
  keepTopN: number;
  /** SCHEDULE.CHECKPOINT.KEEP_LAST_N */
  keepLastN: number;
}

export interface SaveResult {
  info: CheckpointInfo;
  /** folder names removed by retention */
  deleted: string[];
  /** the folder checkpoints/best names after this save (null: none has the monitored metric) */
  best: string | null;
}

/** safetensors metadata the `safetensors` / transformers loaders expect from PyTorch checkpoints. */
const SAFETENSORS_METADATA = { format: 'pt' };

async function exists(p: string): Promise<boolean> {
  return fs.promises.stat(p).then(
    () => true,
    () => false,
  );
}

function checkCount(n: number, key: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`must be a non-negative integer (got ${n})`, key);
}

function checkInput(input: SaveCheckpointInput): void {
  if (!Number.isSafeInteger(input.step) || input.step < 0) throw new RangeError(`checkpoint step must be a non-negative integer (got ${input.step})`);
  const m = input.metric;
  if (m !== undefined && (typeof m.name !== 'string' || (m.mode !== 'min' && m.mode !== 'max') || typeof m.value !== 'number'))
    throw new TypeError(`checkpoint metric must be {name: string, value: number, mode: 'min' | 'max'} (got ${JSON.stringify(m)})`);
}

/** Everything the folder will hold, encoded before anything touches the disk. */
function encodeFiles(name: string, input: SaveCheckpointInput): Array<[string, Uint8Array]> {
  const encode = (file: string, tensors: TensorEntry[]): Uint8Array => {
    try {
      return encodeSafetensors({ tensors, metadata: SAFETENSORS_METADATA });
    } catch (e) {
      throw new CheckpointError(`cannot save checkpoint ${name}: ${file}: ${(e as Error).message}`);
    }
  };
  let state: string;
  try {
    state = `${JSON.stringify(input.trainerState, null, 2)}\n`;
  } catch (e) {
    throw new CheckpointError(`cannot save checkpoint ${name}: ${TRAINER_STATE_FILE}: trainer state is not JSON-serialisable (${(e as Error).message})`);
  }
  return [
    [MODEL_FILE, encode(MODEL_FILE, input.model)],
    [OPTIMIZER_FILE, encode(OPTIMIZER_FILE, input.optimizer)],
    [TRAINER_STATE_FILE, Buffer.from(state, 'utf8')],
  ];
}

/**
 * Deletes a checkpoint so that no crash leaves a half folder that looks complete: rename to
 * `.tmp-deleting-<name>` (atomic; prepareRunDir clears it), drop the manifest, then remove the rest.
 */
async function deleteCheckpointDir(checkpointsDir: string, name: string): Promise<void> {
  const doomed = path.join(checkpointsDir, `${DELETING_PREFIX}${name}`);
  await fs.promises.rm(doomed, { recursive: true, force: true });
  await fs.promises.rename(path.join(checkpointsDir, name), doomed);
  await fs.promises.rm(path.join(doomed, MANIFEST_FILE), { force: true });
  await fs.promises.rm(doomed, { recursive: true, force: true });
}

export class CheckpointStore {
  readonly dir: string;
  private readonly retention: RetentionPolicy;
  /** Saves run one at a time even if the caller does not await them in order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(checkpointsDir: string, retention: RetentionPolicy) {
    checkCount(retention.keepTopN, 'SCHEDULE.CHECKPOINT.KEEP_TOP_N');
    checkCount(retention.keepLastN, 'SCHEDULE.CHECKPOINT.KEEP_LAST_N');
    this.dir = path.resolve(checkpointsDir);
    this.retention = { keepTopN: retention.keepTopN, keepLastN: retention.keepLastN };
  }

  /** Complete checkpoints (manifest present and parseable), step ascending. No checksums. */
  list(): Promise<CheckpointInfo[]> {
    return listCheckpoints(this.dir);
  }

  /**
   * Writes and commits one checkpoint, then updates `latest` / `best` and applies retention.
   * If anything before the commit fails, nothing of this save remains and nothing is deleted.
   */
  save(input: SaveCheckpointInput): Promise<SaveResult> {
    const run = this.queue.then(() => this.saveNow(input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async saveNow(input: SaveCheckpointInput): Promise<SaveResult> {
    checkInput(input);
    const name = checkpointDirName(input.step);
    const files = encodeFiles(name, input);
    await fs.promises.mkdir(this.dir, { recursive: true });
    const tmp = path.join(this.dir, tempDirName(input.step));
    await fs.promises.rm(tmp, { recursive: true, force: true });
    await fs.promises.mkdir(tmp);
    try {
      const entries: ManifestFileEntry[] = [];
      for (const [file, bytes] of files) {
        await writeFileSynced(path.join(tmp, file), bytes);
        entries.push({ name: file, size: bytes.byteLength, sha256: await sha256OfBytes(bytes) });
      }
      const manifest = manifestToJson({
        format: MANIFEST_FORMAT,
        format_version: MANIFEST_VERSION,
        step: input.step,
        created_at: new Date().toISOString(),
        metric: input.metric ?? null,
        files: entries,
      });
      if (input.beforeCommit) await input.beforeCommit();
      // The commit marker: written only once every data file is durable.
      await writeFileSynced(path.join(tmp, MANIFEST_FILE), manifest);
      await fsyncDir(tmp);
      await this.commit(tmp, name);
    } catch (e) {
      await fs.promises.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
    const info: CheckpointInfo = { name, dir: path.join(this.dir, name), step: input.step };
    if (input.metric !== undefined) info.metric = { ...input.metric };
    const { deleted, best } = await this.afterCommit(info);
    return { info, deleted, best };
  }

  /** Renames the finished temp folder into place; an existing folder of that name goes only after. */
  private async commit(tmp: string, name: string): Promise<void> {
    const final = path.join(this.dir, name);
    if (!(await exists(final))) {
      await fs.promises.rename(tmp, final);
      await fsyncDir(this.dir);
      return;
    }
    // rename() cannot replace a non-empty folder: move the old one aside (prepareRunDir restores
    // it if we crash before the new one is in place), rename the new one in, then delete the old.
    const aside = path.join(this.dir, replacedDirName(name));
    await fs.promises.rm(aside, { recursive: true, force: true });
    await fs.promises.rename(final, aside);
    try {
      await fs.promises.rename(tmp, final);
    } catch (e) {
      await fs.promises.rename(aside, final).catch(() => undefined);
      throw e;
    }
    await fsyncDir(this.dir);
    await fs.promises.rm(path.join(aside, MANIFEST_FILE), { force: true });
    await fs.promises.rm(aside, { recursive: true, force: true });
  }

  /**
   * Markers first, deletions last, so `latest` / `best` never name a deleted folder. The folder
   * just saved is always kept: after resuming behind newer checkpoints of an earlier run it may
   * not be the newest, but it is the one this run continues from.
   */
  private async afterCommit(saved: CheckpointInfo): Promise<{ deleted: string[]; best: string | null }> {
    const all = await listCheckpoints(this.dir);
    const keep = selectRetained(all, this.retention.keepTopN, this.retention.keepLastN);
    keep.add(saved.name);
    const retained = all.filter((c) => keep.has(c.name));
    const newest = retained.reduce((a, b) => (b.step > a.step ? b : a), saved);
    await writeFileAtomic(path.join(this.dir, LATEST_FILE), `${newest.name}\n`);
    const best = bestCheckpoint(retained);
    const bestFile = path.join(this.dir, BEST_FILE);
    if (best !== undefined) await writeFileAtomic(bestFile, `${best.name}\n`);
    else await fs.promises.rm(bestFile, { force: true });
    const doomed = all.filter((c) => !keep.has(c.name)).map((c) => c.name);
    for (const name of doomed) await deleteCheckpointDir(this.dir, name);
    if (doomed.length > 0) await fsyncDir(this.dir);
    return { deleted: doomed, best: best?.name ?? null };
  }
}
