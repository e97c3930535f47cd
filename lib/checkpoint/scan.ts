/**
 * Reading what is in a checkpoints/ folder without hashing anything: each `step-*` folder's
 * manifest (present, parseable, step matching the name) or the reason it is not a complete
 * checkpoint. Folders starting with `.tmp-` and other names are not checkpoints and are skipped.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readSmallFile } from './atomic';
import { MANIFEST_FILE, parseManifest, type Manifest } from './manifest';
import { stepOfDirName } from './names';
import type { CheckpointInfo } from './types';

/** Manifests are a few hundred bytes; anything over this is not ours. */
const MANIFEST_MAX_BYTES = 1024 * 1024;

export type ManifestRead = { ok: true; info: CheckpointInfo; manifest: Manifest } | { ok: false; problem: string };

function isMissing(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ENOENT';
}

/** Reads and checks `<dir>/manifest.json`; `problem` is a short phrase without the folder. */
export async function readCheckpointManifest(dir: string): Promise<ManifestRead> {
  const abs = path.resolve(dir);
  let text: string;
  try {
    text = await readSmallFile(path.join(abs, MANIFEST_FILE), MANIFEST_MAX_BYTES);
  } catch (e) {
    if (isMissing(e)) return { ok: false, problem: 'incomplete (no manifest.json)' };
    return { ok: false, problem: `manifest.json cannot be read (${(e as Error).message})` };
  }
  const parsed = parseManifest(text);
  if (!parsed.ok) return parsed;
  const { manifest } = parsed;
  const name = path.basename(abs);
  const stepInName = stepOfDirName(name);
  // A folder renamed by hand to another step would resume at the wrong place.
  if (stepInName !== undefined && stepInName !== manifest.step)
    return { ok: false, problem: `manifest.json says step ${manifest.step} but the folder is named ${name}` };
  const info: CheckpointInfo = { name, dir: abs, step: manifest.step };
  if (manifest.metric !== null) info.metric = manifest.metric;
  return { ok: true, info, manifest };
}

export interface ScannedCheckpoint {
  name: string;
  dir: string;
  /** the step in the folder name */
  step: number;
  read: ManifestRead;
}

/** Every `step-*` folder in `checkpointsDir`, step ascending; [] when the folder does not exist. */
export async function scanCheckpointsDir(checkpointsDir: string): Promise<ScannedCheckpoint[]> {
  const root = path.resolve(checkpointsDir);
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(root, { withFileTypes: true });
  } catch (e) {
    if (isMissing(e)) return [];
    throw e;
  }
  const folders = entries.flatMap((e) => {
    const step = e.isDirectory() ? stepOfDirName(e.name) : undefined;
    return step === undefined ? [] : [{ name: e.name, dir: path.join(root, e.name), step }];
  });
  const scanned = await Promise.all(folders.map(async (f) => ({ ...f, read: await readCheckpointManifest(f.dir) })));
  return scanned.sort((a, b) => a.step - b.step);
}

/** Complete checkpoints (manifest present and parseable), step ascending. No checksums. */
export async function listCheckpoints(checkpointsDir: string): Promise<CheckpointInfo[]> {
  return (await scanCheckpointsDir(checkpointsDir)).flatMap((s) => (s.read.ok ? [s.read.info] : []));
}
