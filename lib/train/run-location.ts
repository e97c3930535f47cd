/**
 * Where a run writes and what it continues from, decided before anything is created:
 *
 * - `TRAIN.RESUME_FROM` (`--resume-from`): a checkpoint folder, or a run / checkpoints folder (its
 *   newest valid checkpoint). The run continues in that checkpoint's run directory — except the
 *   two-stage case `--skip-stage1 --resume-from <stage-1 checkpoint>`, which starts a new stage-2
 *   run from the stage-1 encoder.
 * - `TRAIN.AUTO_RESUME`: OUTPUT_DIR/NAME's newest checkpoint that verifies and fits the model (a
 *   corrupt or unfitting newer one is skipped and reported); a fresh run there when it has none.
 *
 * `hooks.claim` is called with the run directory once it is decided, before anything is written
 * there and, for auto-resume, before its checkpoints are read (the writer's lock); `hooks.check` says whether a checkpoint's content
 * fits the run (resume-check.ts): an explicit --resume-from that does not fit is an error.
 * - Neither: OUTPUT_DIR/NAME when it holds no earlier run, else NAME-2, NAME-3, … (an earlier
 *   run's checkpoints are never overwritten or deleted by a new run).
 */
import { existsSync } from 'fs';
import { basename, dirname, resolve } from 'path';
import type { TrainNativeConfig } from '../config/types';
import { CHECKPOINTS_DIR, CheckpointError, loadCheckpoint, resolveResumePath, runDirLayout, scanCheckpointsDir, type CheckpointInfo, type LoadedCheckpoint } from '../checkpoint';
import type { ResumeCheck } from './resume-check';

export interface LocateHooks {
  claim?: (runDir: string) => Promise<void>;
  check?: ResumeCheck;
}

/** The run directory asked for cannot be used as asked (a person's mistake: exit status 2). */
export class RunLocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunLocationError';
  }
}

export interface RunLocation {
  runDir: string;
  /** Continue this checkpoint (weights, optimizer, RNG, schedule state). */
  resume: LoadedCheckpoint | null;
  /** Start fresh but load this stage-1 checkpoint's encoder (`--skip-stage1 --resume-from`). */
  initEncoderFrom: LoadedCheckpoint | null;
  /** Newer checkpoints that failed verification and were passed over, with why. */
  skipped: Array<{ name: string; problem: string }>;
  /** A sentence for the log: "resuming from …", "new run (runs/x existed)". */
  note: string | null;
}

function holdsRun(dir: string): boolean {
  const layout = runDirLayout(dir);
  return [layout.checkpoints, layout.metrics, layout.config].some((p) => existsSync(p));
}

/** OUTPUT_DIR/NAME, or the first free NAME-n. */
function freshRunDir(base: string): { dir: string; note: string | null } {
  if (!holdsRun(base)) return { dir: base, note: null };
  for (let n = 2; ; n++) {
    const dir = `${base}-${n}`;
    if (!holdsRun(dir)) return { dir, note: `${base} holds an earlier run; this run writes to ${dir} (TRAIN.AUTO_RESUME: true continues the earlier one)` };
  }
}

/** The run directory a checkpoint folder belongs to: <run>/checkpoints/<name>. */
function runDirOf(info: CheckpointInfo): string {
  const parent = dirname(info.dir);
  return basename(parent) === CHECKPOINTS_DIR ? dirname(parent) : parent;
}

/**
 * The newest checkpoint of `ckDir` that loads (verified from memory) and fits the run; every newer
 * one passed over is reported with why. Loading is the check, so each is read once.
 */
async function newestFitting(ckDir: string, check: ResumeCheck | undefined): Promise<{ loaded: LoadedCheckpoint | null; skipped: Array<{ name: string; problem: string }> }> {
  const skipped: Array<{ name: string; problem: string }> = [];
  for (const s of (await scanCheckpointsDir(ckDir)).reverse()) {
    if (!s.read.ok) {
      skipped.push({ name: s.name, problem: s.read.problem });
      continue;
    }
    let loaded: LoadedCheckpoint;
    try {
      loaded = await loadCheckpoint(s.dir);
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      skipped.push({ name: s.name, problem: e.message.replace(`checkpoint ${s.dir} is unusable: `, '') });
      continue;
    }
    const problem = check ? await check.resume(loaded) : null;
    if (problem === null) return { loaded, skipped };
    skipped.push({ name: s.name, problem });
  }
  return { loaded: null, skipped };
}

/**
 * A new run directory for a resume that does not continue its checkpoint's run in place (a changed
 * configuration, --weights-only): the explicit folder, or OUTPUT_DIR/NAME (NAME-n when taken).
 */
export function newRunDir(config: TrainNativeConfig, cwd: string, runDirOverride?: string): { dir: string; note: string | null } {
  if (runDirOverride) {
    const dir = resolve(cwd, runDirOverride);
    if (holdsRun(dir)) throw new RunLocationError(`${dir} holds an earlier run: choose another run directory for a run resumed with a changed configuration`);
    return { dir, note: null };
  }
  return freshRunDir(resolve(cwd, config.EXPERIMENT.OUTPUT_DIR, config.EXPERIMENT.NAME));
}

export async function locateRun(config: TrainNativeConfig, cwd: string, runDirOverride?: string, hooks: LocateHooks = {}): Promise<RunLocation> {
  const base = runDirOverride ? resolve(cwd, runDirOverride) : resolve(cwd, config.EXPERIMENT.OUTPUT_DIR, config.EXPERIMENT.NAME);
  const t = config.TRAIN;
  const claim = hooks.claim ?? (async () => undefined);
  if (t.RESUME_FROM !== undefined) {
    const { checkpoint, skipped } = await resolveResumePath(resolve(cwd, t.RESUME_FROM));
    const loaded = await loadCheckpoint(checkpoint.dir);
    const stage = (loaded.trainerState as { stage?: unknown }).stage;
    const refuse = (problem: string | null | undefined) => {
      if (problem) throw new CheckpointError(`cannot resume from checkpoint ${checkpoint.dir}: ${problem}`);
    };
    if (config.STAGES.SKIP_STAGE1 && stage === 'stage1') {
      refuse(await hooks.check?.encoder(loaded, 'encoder.'));
      const fresh = runDirOverride ? { dir: base, note: null } : freshRunDir(base);
      await claim(fresh.dir);
      return {
        runDir: fresh.dir,
        resume: null,
        initEncoderFrom: loaded,
        skipped,
        note: `stage 2 starts from the stage-1 encoder of ${checkpoint.dir}`,
      };
    }
    refuse(await hooks.check?.resume(loaded));
    const runDir = runDirOverride ? base : runDirOf(checkpoint);
    await claim(runDir);
    return { runDir, resume: loaded, initEncoderFrom: null, skipped, note: `resuming from ${checkpoint.dir}` };
  }
  if (t.AUTO_RESUME) {
    await claim(base);
    const ckDir = runDirLayout(base).checkpoints;
    if (existsSync(ckDir)) {
      const { loaded, skipped } = await newestFitting(ckDir, hooks.check);
      if (loaded) {
        return { runDir: base, resume: loaded, initEncoderFrom: null, skipped, note: `resuming from ${loaded.info.dir}` };
      }
      return { runDir: base, resume: null, initEncoderFrom: null, skipped, note: skipped.length > 0 ? `no usable checkpoint in ${ckDir}; starting over` : null };
    }
    return { runDir: base, resume: null, initEncoderFrom: null, skipped: [], note: null };
  }
  if (runDirOverride) {
    // An explicit folder is used as is; starting over inside an earlier run would mix the two.
    if (holdsRun(base)) {
      throw new RunLocationError(
        `${base} holds an earlier run: continue it with --auto-resume (TRAIN.AUTO_RESUME: true), or choose another run directory`,
      );
    }
    await claim(base);
    return { runDir: base, resume: null, initEncoderFrom: null, skipped: [], note: null };
  }
  const fresh = freshRunDir(base);
  await claim(fresh.dir);
  return { runDir: fresh.dir, resume: null, initEncoderFrom: null, skipped: [], note: fresh.note };
}
