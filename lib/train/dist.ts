/**
 * Distributed data parallel, the TypeScript half (SPEC §13). The native session owns the c10d
 * process group and averages gradients inside every step; this module decides what the group
 * is (DIST.* after the environment filled it: torchrun's contract), checks that this build can
 * run it, and provides what the loop needs around the steps:
 *
 * - where the run lives: rank 0 alone locates (and locks) the run directory and picks the
 *   checkpoint to resume; the others receive its decision and read the same checkpoint;
 * - validation: each rank evaluates every W-th batch and the sums are all-reduced, so the metrics
 *   (and early stopping, the plateau scheduler and retention, which act on them) are the same on
 *   every rank and equal a single process's;
 * - the RNG states of all ranks, gathered into rank 0's checkpoint, so a resume restores each.
 */
import { cpus } from 'os';
import { ConfigError } from '../config/errors';
import type { TrainNativeConfig } from '../config/types';
import { buildInfo } from '../native';
import type { EvalResult, NativeDistOptions, NativeSession } from '../native/types';

/** This process's place in the group; `null` everywhere for a single process. */
export interface DistPlace {
  rank: number;
  worldSize: number;
}

/** True for rank 0 and for a single process: the one that writes the run directory and the logs. */
export function writesRun(session: NativeSession): boolean {
  return session.dist === null || session.dist.rank === 0;
}

/**
 * The process group this config asks for, or undefined for one process. `device` is the
 * session's device option: BACKEND auto means nccl on CUDA (when compiled in), gloo otherwise.
 * A build without the backend is a config error naming what to install.
 */
export async function planDist(config: TrainNativeConfig, device: string, env: NodeJS.ProcessEnv = process.env): Promise<NativeDistOptions | undefined> {
  const d = config.DIST;
  if (d.WORLD_SIZE <= 1) return undefined;
  const info = await buildInfo();
  const compiled = info.distBackends ?? [];
  if (compiled.length === 0) {
    throw new ConfigError(
      `WORLD_SIZE ${d.WORLD_SIZE} needs the addon's distributed support, which this build lacks (gloo's headers were missing when it was built): install them (Debian/Ubuntu: sudo apt-get install libgloo-dev) and rebuild with \`npx train-native build\``,
      'DIST.WORLD_SIZE',
    );
  }
  const cuda = device === 'cuda' || (device === 'auto' && info.cudaAvailable);
  let backend: 'gloo' | 'nccl';
  if (d.BACKEND === 'auto') backend = cuda && compiled.includes('nccl') ? 'nccl' : 'gloo';
  else backend = d.BACKEND;
  if (backend === 'nccl' && !cuda) throw new ConfigError('nccl runs collectives on CUDA devices; this run trains on the CPU (TRAIN.DEVICE): use gloo or auto', 'DIST.BACKEND');
  if (!compiled.includes(backend)) {
    throw new ConfigError(
      backend === 'nccl'
        ? 'nccl is not compiled into this addon (it needs a CUDA LibTorch and nccl.h when it is built); use gloo or auto'
        : `gloo is not compiled into this addon (compiled: ${compiled.join(', ')}): install gloo's headers (sudo apt-get install libgloo-dev) and rebuild with \`npx train-native build\``,
      'DIST.BACKEND',
    );
  }
  return { rank: d.RANK, worldSize: d.WORLD_SIZE, localRank: d.LOCAL_RANK, masterAddr: d.MASTER_ADDR, masterPort: d.MASTER_PORT, backend, timeoutS: d.TIMEOUT_S, ...storeOf(env) };
}

/**
 * torchrun's agent hosts the rendezvous store itself on MASTER_ADDR:MASTER_PORT
 * (TORCHELASTIC_USE_AGENT_STORE=True) and keeps it across its restarts: then every rank connects
 * as a client, and the keys of each attempt (TORCHELASTIC_RESTART_COUNT) are kept apart, as
 * torch.distributed does. `train-native launch` leaves both unset: rank 0 hosts a fresh store.
 */
export function storeOf(env: NodeJS.ProcessEnv): { hostStore: boolean; storePrefix: string } {
  const agent = env.TORCHELASTIC_USE_AGENT_STORE === 'True';
  const attempt = /^\d+$/.test(env.TORCHELASTIC_RESTART_COUNT ?? '') ? Number(env.TORCHELASTIC_RESTART_COUNT) : 0;
  return { hostStore: !agent, storePrefix: `train-native/attempt-${attempt}` };
}

/**
 * Intra-op threads per process: TRAIN.THREADS when set; with several processes on this machine,
 * floor(cores / LOCAL_WORLD_SIZE) each (at least 1), so the ranks do not oversubscribe the cores.
 */
export function threadsPerProcess(config: TrainNativeConfig, cores = cpus().length): number {
  if (config.TRAIN.THREADS > 0 || config.DIST.WORLD_SIZE <= 1) return config.TRAIN.THREADS;
  return Math.max(1, Math.floor(cores / Math.max(1, config.DIST.LOCAL_WORLD_SIZE)));
}

/** What rank 0 decided about the run directory, as every other rank receives it. */
export interface RunAgreement {
  runDir: string;
  /** The checkpoint folder to continue, or null. */
  resumeDir: string | null;
  /** `--skip-stage1 --resume-from`: the stage-1 checkpoint whose encoder is loaded. */
  initEncoderDir: string | null;
}

/** Why rank 0 could not start the run: the others stop with the same words. */
interface RankZeroFailure {
  failed: string;
  /** 2 for bad input (config, run directory), 1 otherwise. */
  status: 1 | 2;
}

/** Rank 0 stopped before the run started; the other ranks report its reason. */
export class RankZeroFailedError extends Error {
  constructor(
    message: string,
    readonly status: 1 | 2,
  ) {
    super(message);
    this.name = 'RankZeroFailedError';
  }
}

const INPUT_ERRORS = new Set(['ConfigError', 'DataError', 'RunLocationError', 'RunLockedError']);

/**
 * Rank 0 runs `decide` and sends the result (or its failure) to every rank; the others get it.
 * Every rank must call this at the same point.
 */
export async function agreeOnRun(session: NativeSession, decide: () => Promise<RunAgreement>): Promise<RunAgreement> {
  if (session.dist === null) return decide();
  if (session.dist.rank === 0) {
    let agreed: RunAgreement;
    try {
      agreed = await decide();
    } catch (e) {
      const name = e instanceof Error ? e.name : '';
      const failure: RankZeroFailure = { failed: e instanceof Error ? e.message.split('\n')[0] : String(e), status: INPUT_ERRORS.has(name) ? 2 : 1 };
      await session.broadcastBytes(Buffer.from(JSON.stringify(failure))).catch(() => undefined);
      throw e;
    }
    await session.broadcastBytes(Buffer.from(JSON.stringify(agreed)));
    return agreed;
  }
  const got = JSON.parse((await session.broadcastBytes(null)).toString('utf8')) as RunAgreement | RankZeroFailure;
  if ('failed' in got) throw new RankZeroFailedError(`rank 0 could not start the run: ${got.failed}`, got.status);
  return got;
}

/** The sums of EvalResult, in a fixed order, for one all-reduce. */
const SUM_FIELDS = ['lossSum', 'count', 'correct', 'absErrorSum', 'sqErrorSum', 'targetSum', 'targetSqSum', 'valueCount'] as const;
const KINDS: ReadonlyArray<EvalResult['kind']> = ['classification', 'regression', 'tokens', 'loss'];

/** The batches of a pass this rank evaluates: every W-th, starting at its rank. */
export function shardOf<T>(items: readonly T[], place: DistPlace | null): T[] {
  if (place === null) return [...items];
  return items.filter((_, i) => i % place.worldSize === place.rank);
}

/**
 * One all-reduce of a pass's per-batch results: what a single process evaluating every batch
 * would have summed. The kind travels as a one-hot, since a rank may have had no batch.
 */
export async function allReducedResults(session: NativeSession, results: readonly EvalResult[]): Promise<EvalResult[]> {
  if (session.dist === null) return [...results];
  const v = new Float64Array(SUM_FIELDS.length + KINDS.length);
  for (const r of results) {
    SUM_FIELDS.forEach((f, i) => (v[i] += r[f] ?? 0));
    v[SUM_FIELDS.length + KINDS.indexOf(r.kind)] = 1;
  }
  const sum = await session.allReduce(v);
  const k = KINDS.findIndex((_, i) => sum[SUM_FIELDS.length + i] > 0);
  if (k < 0) return [];
  const total: EvalResult = { kind: KINDS[k], loss: 0, lossSum: 0, count: 0 };
  SUM_FIELDS.forEach((f, i) => (total[f] = sum[i]));
  total.loss = total.count > 0 ? total.lossSum / total.count : 0;
  return [total];
}

/** Every rank's dropout generator state, in rank order (rank 0's alone for a single process). */
export async function gatherRngStates(session: NativeSession): Promise<Buffer[]> {
  const mine = await session.getRngState();
  return session.dist === null ? [mine] : session.allGatherBytes(mine);
}

/**
 * The RNG state this rank continues with from a checkpoint: its own when the checkpoint was
 * written by as many ranks, else rank 0's for rank 0 and the fresh per-rank seed for the others
 * (after a change of world size, rank 0 continues its stream and the others start theirs afresh).
 */
export function rngStateFor(rng: { native: string; ranks?: string[] }, place: DistPlace | null): string | null {
  const rank = place?.rank ?? 0;
  const world = place?.worldSize ?? 1;
  if (rng.ranks !== undefined && rng.ranks.length === world && world > 1) return rng.ranks[rank];
  return rank === 0 ? rng.native : null;
}
