/**
 * The run directory of SPEC §10: where each artefact lives, and `prepareRunDir`, which creates the
 * folders (idempotent) and clears what a killed run left half-done: `.tmp-*` checkpoint folders
 * and atomic-write temp files. Complete `step-*` folders are never touched.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fsyncDir } from './atomic';
import { MANIFEST_FILE } from './manifest';
import { BEST_FILE, LATEST_FILE, TEMP_PREFIX, nameOfReplacedDir } from './names';

export const CHECKPOINTS_DIR = 'checkpoints';

/** Absolute paths (field names follow the SPEC §10 entries, as lib/train uses them). */
export interface RunDirLayout {
  root: string;
  /** config.yaml: the fully resolved config that ran */
  config: string;
  /** assets/ */
  assets: string;
  /** assets/schedule_summary.txt */
  scheduleSummary: string;
  /** assets/model.json: the model card (lib/inference/model-card.ts) */
  modelCard: string;
  /** metrics.jsonl */
  metrics: string;
  /** tensorboard/ */
  tensorboard: string;
  /** checkpoints/ */
  checkpoints: string;
  /** checkpoints/latest */
  latest: string;
  /** checkpoints/best */
  best: string;
}

/** Absolute paths of everything in a run directory. */
export function runDirLayout(runDir: string): RunDirLayout {
  const root = path.resolve(runDir);
  const assets = path.join(root, 'assets');
  const checkpoints = path.join(root, CHECKPOINTS_DIR);
  return {
    root,
    config: path.join(root, 'config.yaml'),
    assets,
    scheduleSummary: path.join(assets, 'schedule_summary.txt'),
    modelCard: path.join(assets, 'model.json'),
    metrics: path.join(root, 'metrics.jsonl'),
    tensorboard: path.join(root, 'tensorboard'),
    checkpoints,
    latest: path.join(checkpoints, LATEST_FILE),
    best: path.join(checkpoints, BEST_FILE),
  };
}

/** writeFileAtomic's temp names: `.<base>.tmp-<pid>-<hex>`. */
const ATOMIC_TEMP_FILE = /^\..+\.tmp-\d+-[0-9a-f]+$/;

async function exists(p: string): Promise<boolean> {
  return fs.promises.stat(p).then(
    () => true,
    () => false,
  );
}

/** Removes leftover atomic-write temp files directly inside `dir`. */
async function removeAtomicTempFiles(dir: string): Promise<number> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true });
  const stale = entries.filter((e) => e.isFile() && ATOMIC_TEMP_FILE.test(e.name));
  await Promise.all(stale.map((e) => fs.promises.rm(path.join(dir, e.name), { force: true })));
  return stale.length;
}

/**
 * Clears `.tmp-*` folders in checkpoints/. One case is restored rather than removed: a complete
 * folder moved aside by a re-save of the same step (`.tmp-replaced-<name>-<pid>`) whose
 * replacement never got renamed in — otherwise a crash there could lose the only checkpoint.
 */
async function clearStaleCheckpointTemps(checkpointsDir: string): Promise<void> {
  const entries = await fs.promises.readdir(checkpointsDir, { withFileTypes: true });
  let changed = (await removeAtomicTempFiles(checkpointsDir)) > 0;
  // Restorations first, so a stale new `.tmp-step-…` of the same step cannot matter.
  for (const e of entries) {
    const original = e.isDirectory() ? nameOfReplacedDir(e.name) : undefined;
    if (original === undefined) continue;
    const from = path.join(checkpointsDir, e.name);
    const to = path.join(checkpointsDir, original);
    if (!(await exists(to)) && (await exists(path.join(from, MANIFEST_FILE)))) {
      await fs.promises.rename(from, to);
      changed = true;
    }
  }
  for (const e of entries) {
    if (!e.name.startsWith(TEMP_PREFIX)) continue;
    const p = path.join(checkpointsDir, e.name);
    if (!(await exists(p))) continue; // restored above
    await fs.promises.rm(p, { recursive: true, force: true });
    changed = true;
  }
  if (changed) await fsyncDir(checkpointsDir);
}

/** Creates the run directory's folders and clears a killed run's temporaries. Safe to call again. */
export async function prepareRunDir(runDir: string): Promise<RunDirLayout> {
  const layout = runDirLayout(runDir);
  for (const dir of [layout.root, layout.assets, layout.tensorboard, layout.checkpoints])
    await fs.promises.mkdir(dir, { recursive: true });
  await removeAtomicTempFiles(layout.root);
  await removeAtomicTempFiles(layout.assets);
  await clearStaleCheckpointTemps(layout.checkpoints);
  return layout;
}
