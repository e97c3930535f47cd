/**
 * torchrun's process contract: RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR and
 * MASTER_PORT in the environment fill the DIST keys (LOCAL_WORLD_SIZE, when absent, is WORLD_SIZE) (`train-native launch`, torchrun
 * --no-python, SLURM or Kubernetes launchers set them). They are applied as `--set`s before the
 * command line's own, so an explicit `--set DIST.…` still wins. A variable that is set but
 * unusable is a config error naming the variable.
 */
import { ConfigError } from './errors';

/** Environment variable → DIST key. */
export const DIST_ENV: ReadonlyArray<readonly [string, string]> = [
  ['WORLD_SIZE', 'DIST.WORLD_SIZE'],
  ['RANK', 'DIST.RANK'],
  ['LOCAL_RANK', 'DIST.LOCAL_RANK'],
  ['LOCAL_WORLD_SIZE', 'DIST.LOCAL_WORLD_SIZE'],
  ['MASTER_ADDR', 'DIST.MASTER_ADDR'],
  ['MASTER_PORT', 'DIST.MASTER_PORT'],
];

function intVar(env: NodeJS.ProcessEnv, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`environment variable ${name}: must be an integer from ${min} to ${max}, got '${raw}'`, `DIST.${name}`);
  }
  return Number(raw);
}

/** `--set` entries for the DIST keys the environment gives; [] when none of the variables is set. */
export function distEnvSets(env: NodeJS.ProcessEnv = process.env): string[] {
  const world = intVar(env, 'WORLD_SIZE', 1);
  const rank = intVar(env, 'RANK', 0);
  const localRank = intVar(env, 'LOCAL_RANK', 0);
  const localWorld = intVar(env, 'LOCAL_WORLD_SIZE', 1);
  const port = intVar(env, 'MASTER_PORT', 1, 65535);
  const addr = env.MASTER_ADDR;
  if (world === undefined) {
    // Only WORLD_SIZE makes a process one of several; RANK alone would be a half-set launcher.
    if (rank !== undefined && rank > 0) throw new ConfigError(`environment variable RANK is ${rank} but WORLD_SIZE is not set: a launcher sets both (train-native launch, torchrun)`, 'DIST.WORLD_SIZE');
    return [];
  }
  if (world > 1 && rank === undefined) throw new ConfigError(`environment variable WORLD_SIZE is ${world} but RANK is not set: every process needs its RANK (0 … ${world - 1})`, 'DIST.RANK');
  if (rank !== undefined && rank >= world) throw new ConfigError(`environment variable RANK: must be less than WORLD_SIZE (${world}), got ${rank}`, 'DIST.RANK');
  if (localWorld !== undefined && localWorld > world) throw new ConfigError(`environment variable LOCAL_WORLD_SIZE: must be at most WORLD_SIZE (${world}), got ${localWorld}`, 'DIST.LOCAL_WORLD_SIZE');
  if (localRank !== undefined && localRank >= (localWorld ?? world)) {
    throw new ConfigError(`environment variable LOCAL_RANK: must be less than ${localWorld !== undefined ? `LOCAL_WORLD_SIZE (${localWorld})` : `WORLD_SIZE (${world})`}, got ${localRank}`, 'DIST.LOCAL_RANK');
  }
  if (world > 1 && (addr === undefined || addr === '' || port === undefined)) {
    throw new ConfigError(`environment variable ${addr === undefined || addr === '' ? 'MASTER_ADDR' : 'MASTER_PORT'} is not set: with WORLD_SIZE ${world} every process needs rank 0's MASTER_ADDR and MASTER_PORT`, addr === undefined || addr === '' ? 'DIST.MASTER_ADDR' : 'DIST.MASTER_PORT');
  }
  const sets = [`DIST.WORLD_SIZE=${world}`];
  if (rank !== undefined) sets.push(`DIST.RANK=${rank}`);
  if (localRank !== undefined) sets.push(`DIST.LOCAL_RANK=${localRank}`);
  // Without LOCAL_WORLD_SIZE (a launcher by hand), all ranks are taken to share this machine:
  // it only divides the cores among them (TRAIN.THREADS 0), so erring low is the safe side.
  sets.push(`DIST.LOCAL_WORLD_SIZE=${localWorld ?? world}`);
  // Quoted: YAML would read some addresses (an IPv6 ::1) as something other than a string.
  if (addr !== undefined && addr !== '') sets.push(`DIST.MASTER_ADDR=${JSON.stringify(addr)}`);
  if (port !== undefined) sets.push(`DIST.MASTER_PORT=${port}`);
  return sets;
}
