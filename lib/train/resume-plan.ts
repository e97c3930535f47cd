/**
 * How a resume continues (SPEC §15). With the same schedule-relevant settings the run continues
 * exactly, in its own run directory. When they differ — the LR_SCHEDULER section, the stage
 * keys, TRAIN.EPOCHS / MAX_STEPS, batch size, accumulation, world size, the number of training
 * samples — the step and epoch counters and the optimizer continue from the checkpoint's step s0,
 * the schedule is re-based there (lib/schedule: TimeOrigin), plateau and early stopping start
 * fresh, and the run writes to a new run directory. `--weights-only` takes the weights alone.
 *
 * The settings are compared as flat key paths: new checkpoints store them in trainer_state.json
 * (`scheduleKeys`); for an older checkpoint they are read from its run's config.yaml.
 */
import { existsSync } from 'fs';
import { basename, dirname, join } from 'path';
import { loadConfig } from '../config';
import type { TrainNativeConfig } from '../config/types';
import { CHECKPOINTS_DIR } from '../checkpoint';
import type { TimeOrigin } from '../schedule/time-base';
import type { TrainerState } from './state';

/** Settings whose change re-bases the schedule, by key path (plus the training-sample count). */
export type ScheduleKeys = Record<string, string>;

/** The pseudo-key of the sample count: a data change alters the epoch length like a batch size does. */
export const SAMPLES_KEY = 'training samples';

function flatten(prefix: string, value: unknown, out: ScheduleKeys): void {
  if (value === undefined) return;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(`${prefix}.${k}`, v, out);
    return;
  }
  out[prefix] = JSON.stringify(value);
}

/**
 * The schedule-relevant settings. STAGES.SKIP_STAGE1 is left out: on a resume it only says not to
 * go back to stage 1, which the checkpoint's step already decides.
 */
export function scheduleKeysOf(config: TrainNativeConfig, trainSamples: number): ScheduleKeys {
  const out: ScheduleKeys = {};
  flatten('LR_SCHEDULER', config.LR_SCHEDULER, out);
  const st = config.STAGES;
  flatten('STAGES.STAGE1.ENABLED', st.STAGE1.ENABLED, out);
  if (st.STAGE1.ENABLED) flatten('STAGES.STAGE1.EPOCHS', st.STAGE1.EPOCHS, out);
  flatten('STAGES.STAGE2.LR_SCHEDULER', st.STAGE2.LR_SCHEDULER, out);
  flatten('STAGES.STAGE2.BATCH_SIZE', st.STAGE2.BATCH_SIZE, out);
  flatten('TRAIN.EPOCHS', config.TRAIN.EPOCHS, out);
  flatten('TRAIN.MAX_STEPS', config.TRAIN.MAX_STEPS, out);
  flatten('TRAIN.ACCUMULATION_STEPS', config.TRAIN.ACCUMULATION_STEPS, out);
  flatten('DATA.BATCH_SIZE', config.DATA.BATCH_SIZE, out);
  flatten('DATA.DROP_LAST', config.DATA.DROP_LAST, out);
  flatten('DIST.WORLD_SIZE', config.DIST.WORLD_SIZE, out);
  out[SAMPLES_KEY] = String(trainSamples);
  return out;
}

export interface ChangedKey {
  key: string;
  from: string | null;
  to: string | null;
}

export function changedKeys(before: ScheduleKeys, after: ScheduleKeys): ChangedKey[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.filter((k) => before[k] !== after[k]).map((k) => ({ key: k, from: before[k] ?? null, to: after[k] ?? null }));
}

/** "LR_SCHEDULER.NAME "onecycle" → "cosine", TRAIN.EPOCHS 12 → 15". */
export function describeChanges(changes: readonly ChangedKey[]): string {
  return changes.map((c) => `${c.key} ${c.from ?? '(unset)'} → ${c.to ?? '(unset)'}`).join(', ');
}

/** The run directory a checkpoint folder belongs to: <run>/checkpoints/<name>. */
export function runDirOfCheckpoint(checkpointDir: string): string {
  const parent = dirname(checkpointDir);
  return basename(parent) === CHECKPOINTS_DIR ? dirname(parent) : parent;
}

/**
 * The settings a checkpoint was trained with: its own record, else its run's config.yaml (an
 * older checkpoint); null when neither can be read (then the config hash decides).
 */
export function scheduleKeysOfCheckpoint(st: TrainerState, checkpointDir: string): ScheduleKeys | null {
  if (st.scheduleKeys) return st.scheduleKeys;
  const file = join(runDirOfCheckpoint(checkpointDir), 'config.yaml');
  if (!existsSync(file)) return null;
  try {
    // The old sample count is not recorded there: '' stands for "the same as now".
    return { ...scheduleKeysOf(loadConfig({ file }).config, 0), [SAMPLES_KEY]: '' };
  } catch {
    return null;
  }
}

/** Epochs the checkpoint completed; one it stopped in the middle of counts as done. */
export function epochsDoneAt(st: TrainerState): number {
  return st.sampler.batch === 0 ? st.sampler.epoch : st.sampler.epoch + 1;
}

export type ResumeMode = 'exact' | 'rebased' | 'weights-only';

export interface ResumePlan {
  mode: ResumeMode;
  changes: ChangedKey[];
  /** For 'rebased': where the schedule takes up the count. */
  origin?: TimeOrigin;
}

/** Decides how a resume from checkpoint state `st` continues under `config`. */
export function planResume(config: TrainNativeConfig, st: TrainerState, checkpointDir: string, trainSamples: number, sameConfigHash: boolean): ResumePlan {
  if (config.TRAIN.RESUME_WEIGHTS_ONLY) return { mode: 'weights-only', changes: [] };
  if (sameConfigHash) return { mode: 'exact', changes: [] };
  const before = scheduleKeysOfCheckpoint(st, checkpointDir);
  const now = scheduleKeysOf(config, trainSamples);
  if (before === null) return { mode: 'exact', changes: [] };
  if (before[SAMPLES_KEY] === '') before[SAMPLES_KEY] = now[SAMPLES_KEY];
  const changes = changedKeys(before, now);
  if (changes.length === 0) return { mode: 'exact', changes };
  return { mode: 'rebased', changes, origin: { step: st.step, epochsDone: epochsDoneAt(st) } };
}
