/**
 * The TypeScript half of distributed training that needs no processes: torchrun's environment
 * variables into DIST keys (and their errors), launch's flags and each rank's environment,
 * threads per rank, validation sharding and the all-reduce of evaluation sums.
 */
import { distEnvSets, loadConfig, ConfigError } from '../../lib/config';
import { planLaunch, rankEnv, restartCommand } from '../../lib/commands/launch';
import { CliError } from '../../lib/commands/errors';
import { allReducedResults, rngStateFor, shardOf, threadsPerProcess } from '../../lib/train/dist';
import type { EvalResult, NativeSession } from '../../lib/native/types';

const ENV2 = { WORLD_SIZE: '2', RANK: '1', LOCAL_RANK: '1', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29600' };

describe('torchrun variables → DIST keys', () => {
  test('all six fill DIST, under an explicit --set', () => {
    const sets = distEnvSets(ENV2);
    expect(sets).toEqual(['DIST.WORLD_SIZE=2', 'DIST.RANK=1', 'DIST.LOCAL_RANK=1', 'DIST.LOCAL_WORLD_SIZE=2', 'DIST.MASTER_ADDR="10.0.0.1"', 'DIST.MASTER_PORT=29600']);
    const { config } = loadConfig({ sets: [...sets, 'DIST.MASTER_PORT=29700'] });
    expect(config.DIST).toEqual({ BACKEND: 'auto', WORLD_SIZE: 2, RANK: 1, LOCAL_RANK: 1, LOCAL_WORLD_SIZE: 2, MASTER_ADDR: '10.0.0.1', MASTER_PORT: 29700, TIMEOUT_S: 300 });
  });

  test('without LOCAL_WORLD_SIZE every rank is taken to be on this machine', () => {
    expect(distEnvSets({ WORLD_SIZE: '2', RANK: '1', MASTER_ADDR: 'h', MASTER_PORT: '1' })).toContain('DIST.LOCAL_WORLD_SIZE=2');
  });

  test('no variables: nothing set (one process)', () => {
    expect(distEnvSets({})).toEqual([]);
    expect(distEnvSets({ RANK: '0' })).toEqual([]);
  });

  test.each([
    [{ ...ENV2, RANK: '2' }, 'DIST.RANK: environment variable RANK: must be less than WORLD_SIZE (2), got 2'],
    [{ ...ENV2, WORLD_SIZE: 'two' }, "DIST.WORLD_SIZE: environment variable WORLD_SIZE: must be an integer from 1 to 9007199254740991, got 'two'"],
    [{ ...ENV2, MASTER_PORT: '70000' }, "DIST.MASTER_PORT: environment variable MASTER_PORT: must be an integer from 1 to 65535, got '70000'"],
    [{ WORLD_SIZE: '2', MASTER_ADDR: 'a', MASTER_PORT: '1' }, 'DIST.RANK: environment variable WORLD_SIZE is 2 but RANK is not set'],
    [{ WORLD_SIZE: '2', RANK: '0', MASTER_PORT: '1' }, 'DIST.MASTER_ADDR: environment variable MASTER_ADDR is not set'],
    [{ ...ENV2, LOCAL_RANK: '2' }, 'DIST.LOCAL_RANK: environment variable LOCAL_RANK: must be less than LOCAL_WORLD_SIZE (2), got 2'],
    [{ RANK: '1' }, 'DIST.WORLD_SIZE: environment variable RANK is 1 but WORLD_SIZE is not set'],
  ])('%j is a config error naming the variable', (env, want) => {
    expect(() => distEnvSets(env)).toThrow(ConfigError);
    expect(() => distEnvSets(env)).toThrow(`config error: ${want}`);
  });
});

describe('launch', () => {
  test('flags → plan → each rank\'s environment (torchrun\'s variables)', () => {
    const plan = planLaunch({ nprocPerNode: '4', nnodes: '2', nodeRank: '1', masterAddr: '10.0.0.1', masterPort: '29501', maxRestarts: '3' }, ['train', 'my.yaml']);
    expect(plan).toEqual({ nprocPerNode: 4, nnodes: 2, nodeRank: 1, masterAddr: '10.0.0.1', masterPort: 29501, maxRestarts: 3, command: ['train', 'my.yaml'] });
    const env = rankEnv(plan, 2, {});
    expect(env).toEqual({ RANK: '6', LOCAL_RANK: '2', WORLD_SIZE: '8', LOCAL_WORLD_SIZE: '4', GROUP_RANK: '1', MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29501' });
    // What train then reads back from it:
    expect(distEnvSets(env)).toContain('DIST.RANK=6');
  });

  test('defaults: one node on loopback, port 29500, no restarts', () => {
    expect(planLaunch({ nprocPerNode: '2' }, ['train'])).toMatchObject({ nnodes: 1, nodeRank: 0, masterAddr: '127.0.0.1', masterPort: 29500, maxRestarts: 0 });
  });

  test('a restart adds --auto-resume once', () => {
    expect(restartCommand(['train', 'a.yaml'])).toEqual(['train', 'a.yaml', '--auto-resume']);
    expect(restartCommand(['train', 'a.yaml', '--auto-resume'])).toEqual(['train', 'a.yaml', '--auto-resume']);
  });

  test.each([
    [{ nprocPerNode: '0' }, ['train'], "--nproc-per-node must be an integer from 1 to 1024, got '0'"],
    [{ nprocPerNode: '2', nnodes: '2', nodeRank: '2', masterAddr: 'h' }, ['train'], '--node-rank must be less than --nnodes (2), got 2'],
    [{ nprocPerNode: '2', nnodes: '2' }, ['train'], '--master-addr is required with --nnodes > 1'],
    [{ masterPort: '0' }, ['train'], "--master-port must be an integer from 1 to 65535, got '0'"],
    [{ maxRestarts: '-1' }, ['train'], "--max-restarts must be an integer from 0 to 1000, got '-1'"],
    [{}, [], 'launch needs the command to run after --'],
    [{}, ['evaluate', 'runs/x'], "launch runs `train` on every rank; got 'evaluate'"],
  ])('%j %j exits 2 naming the flag', (opts, command, want) => {
    let err: unknown;
    try {
      planLaunch(opts, command);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    expect((err as CliError).message).toContain(want);
  });
});

describe('per-rank pieces', () => {
  test('threads: TRAIN.THREADS wins; else floor(cores / LOCAL_WORLD_SIZE), at least 1', () => {
    const cfg = (threads: number, world: number, local: number) => loadConfig({ sets: [`TRAIN.THREADS=${threads}`, `DIST.WORLD_SIZE=${world}`, `DIST.LOCAL_WORLD_SIZE=${local}`] }).config;
    expect(threadsPerProcess(cfg(0, 1, 1), 8)).toBe(0);
    expect(threadsPerProcess(cfg(0, 2, 2), 2)).toBe(1);
    expect(threadsPerProcess(cfg(0, 4, 4), 2)).toBe(1);
    expect(threadsPerProcess(cfg(0, 4, 2), 16)).toBe(8);
    expect(threadsPerProcess(cfg(3, 2, 2), 2)).toBe(3);
  });

  test('validation shards: rank r takes every W-th batch from r; together they cover each once', () => {
    const items = [0, 1, 2, 3, 4, 5, 6];
    expect(shardOf(items, { rank: 0, worldSize: 3 })).toEqual([0, 3, 6]);
    expect(shardOf(items, { rank: 2, worldSize: 3 })).toEqual([2, 5]);
    expect(shardOf(items, null)).toEqual(items);
  });

  test('evaluation sums are all-reduced as one vector; a rank without batches still learns the kind', async () => {
    const r = (lossSum: number, count: number, correct: number): EvalResult => ({ kind: 'classification', loss: lossSum / count, lossSum, count, correct });
    // A fake group of two: rank 0 had two batches, rank 1 none; allReduce adds the other's vector.
    const other = new Float64Array(12);
    const session = { dist: { rank: 1, worldSize: 2 }, allReduce: async (v: Float64Array) => v.map((x, i) => x + other[i]) } as unknown as NativeSession;
    other.set([3, 4, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
    const [total] = await allReducedResults(session, []);
    expect(total).toEqual({ kind: 'classification', loss: 0.75, lossSum: 3, count: 4, correct: 2, absErrorSum: 0, sqErrorSum: 0, targetSum: 0, targetSqSum: 0, valueCount: 0 });
    const alone = { dist: null } as unknown as NativeSession;
    expect(await allReducedResults(alone, [r(1, 2, 1)])).toEqual([r(1, 2, 1)]);
  });

  test('RNG state on resume: a rank\'s own when the world size matches, else rank 0\'s for rank 0 and a fresh seed for the others', () => {
    const rng = { native: 'AA==', ranks: ['AA==', 'AQ=='] };
    expect(rngStateFor(rng, { rank: 1, worldSize: 2 })).toBe('AQ==');
    expect(rngStateFor(rng, { rank: 1, worldSize: 4 })).toBeNull();
    expect(rngStateFor(rng, { rank: 0, worldSize: 4 })).toBe('AA==');
    expect(rngStateFor({ native: 'AA==' }, null)).toBe('AA==');
  });
});
