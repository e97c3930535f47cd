/**
 * Resume discovery: auto-resume takes the newest complete checkpoint that verifies and reports
 * every newer one it had to pass over (torchtitan's rule: a step counts only with its marker);
 * `--resume-from PATH` accepts a checkpoint folder, a checkpoints/best or checkpoints/latest marker,
 * a checkpoints/ folder or a run directory.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CheckpointError } from './errors';
import { MANIFEST_FILE } from './manifest';
import { CHECKPOINTS_DIR } from './run-dir';
import { stepOfDirName } from './names';
import { readCheckpointManifest, scanCheckpointsDir } from './scan';
import { isMarkerFile, readMarkerFile } from './source';
import type { CheckpointInfo } from './types';
import { verifyCheckpoint } from './verify';

export interface SkippedCheckpoint {
  name: string;
  problem: string;
}

export interface ResumeDiscovery {
  checkpoint: CheckpointInfo | null;
  /** newer folders passed over, newest first, each with why */
  skipped: SkippedCheckpoint[];
}

/** The newest `step-*` folder in `checkpointsDir` that verifies; null when none does (or no folder). */
export async function findResumeCheckpoint(checkpointsDir: string): Promise<ResumeDiscovery> {
  const scanned = (await scanCheckpointsDir(checkpointsDir)).reverse();
  const skipped: SkippedCheckpoint[] = [];
  for (const s of scanned) {
    if (!s.read.ok) {
      skipped.push({ name: s.name, problem: s.read.problem });
      continue;
    }
    const verified = await verifyCheckpoint(s.dir);
    if (verified.ok) return { checkpoint: s.read.info, skipped };
    skipped.push({ name: s.name, problem: verified.problem });
  }
  return { checkpoint: null, skipped };
}

async function statOrUndefined(p: string): Promise<fs.Stats | undefined> {
  try {
    return await fs.promises.stat(p);
  } catch {
    return undefined;
  }
}

const WHAT_IS_ACCEPTED = 'expected a checkpoint folder (with manifest.json), a checkpoints/best or checkpoints/latest file, a checkpoints/ folder or a run directory';

async function newestUsable(abs: string, checkpointsDir: string): Promise<{ checkpoint: CheckpointInfo; skipped: SkippedCheckpoint[] }> {
  const found = await findResumeCheckpoint(checkpointsDir);
  if (found.checkpoint !== null) return { checkpoint: found.checkpoint, skipped: found.skipped };
  const why = found.skipped.map((s) => `${s.name}: ${s.problem}`).join('; ');
  throw new CheckpointError(`cannot resume from ${abs}: no usable checkpoint in ${checkpointsDir}${why ? ` (${why})` : ''}`);
}

/** Resolves `--resume-from PATH` to one verified checkpoint; CheckpointError (one line) otherwise. */
export async function resolveResumePath(p: string): Promise<{ checkpoint: CheckpointInfo; skipped: SkippedCheckpoint[] }> {
  let abs = path.resolve(p);
  // checkpoints/best or checkpoints/latest: the folder the marker names (SPEC §12).
  if (isMarkerFile(abs) && (await statOrUndefined(abs))?.isFile() === true) abs = await readMarkerFile(abs);
  const st = await statOrUndefined(abs);
  if (st === undefined) throw new CheckpointError(`cannot resume from ${abs}: no such file or folder (${WHAT_IS_ACCEPTED})`);
  if (!st.isDirectory()) throw new CheckpointError(`cannot resume from ${abs}: not a folder (${WHAT_IS_ACCEPTED})`);

  const looksLikeCheckpoint = (await statOrUndefined(path.join(abs, MANIFEST_FILE))) !== undefined || stepOfDirName(path.basename(abs)) !== undefined;
  if (looksLikeCheckpoint) {
    const verified = await verifyCheckpoint(abs);
    if (!verified.ok) throw new CheckpointError(`cannot resume from checkpoint ${abs}: ${verified.problem}`);
    const read = await readCheckpointManifest(abs);
    if (!read.ok) throw new CheckpointError(`cannot resume from checkpoint ${abs}: ${read.problem}`);
    return { checkpoint: read.info, skipped: [] };
  }
  const nested = path.join(abs, CHECKPOINTS_DIR);
  if ((await statOrUndefined(nested))?.isDirectory() === true) return newestUsable(abs, nested);
  if ((await scanCheckpointsDir(abs)).length > 0) return newestUsable(abs, abs);
  throw new CheckpointError(`cannot resume from ${abs}: no manifest.json, no checkpoints/ folder and no step-* folders (${WHAT_IS_ACCEPTED})`);
}
