/**
 * Names inside `checkpoints/` (SPEC §10): `step-%08d` folders, the `latest` / `best` marker files,
 * and the `.tmp-` prefix that every not-yet-committed or being-deleted folder carries, so that a
 * killed run leaves nothing that looks like a complete checkpoint.
 */

export const LATEST_FILE = 'latest';
export const BEST_FILE = 'best';
/** Every temporary folder in checkpoints/ starts with this; prepareRunDir removes them. */
export const TEMP_PREFIX = '.tmp-';
/** A complete folder moved aside while a re-save of the same step replaces it. */
export const REPLACED_PREFIX = `${TEMP_PREFIX}replaced-`;
export const DELETING_PREFIX = `${TEMP_PREFIX}deleting-`;

const STEP_DIR = /^step-(\d{8,})$/;

/** `step-00000420`; steps past 99,999,999 simply get more digits. */
export function checkpointDirName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** The step a `step-NNNNNNNN` folder name stands for, or undefined for any other name. */
export function stepOfDirName(name: string): number | undefined {
  const m = STEP_DIR.exec(name);
  if (m === null) return undefined;
  const step = Number(m[1]);
  return Number.isSafeInteger(step) ? step : undefined;
}

/** The folder a save writes into before its commit rename. */
export function tempDirName(step: number): string {
  return `${TEMP_PREFIX}${checkpointDirName(step)}-${process.pid}`;
}

/** Where an existing complete folder of the same name waits while its replacement is renamed in. */
export function replacedDirName(name: string): string {
  return `${REPLACED_PREFIX}${name}-${process.pid}`;
}

/** The checkpoint name a `.tmp-replaced-<name>-<pid>` folder was moved aside from, if it is one. */
export function nameOfReplacedDir(dirName: string): string | undefined {
  if (!dirName.startsWith(REPLACED_PREFIX)) return undefined;
  const m = /^(step-\d{8,})-\d+$/.exec(dirName.slice(REPLACED_PREFIX.length));
  return m === null ? undefined : m[1];
}
