/**
 * The native side's public TypeScript surface: loading (isNativeAvailable, loadNative), a thin
 * validating wrapper (createSession) and the types. Options are checked here first so that a bad
 * value names its option before native code runs (sharp's pattern); native re-checks everything.
 */
import { types } from 'util';

import { loadNative, loadNativeAsync } from './load';
import type { AttentionBenchOptions, AttentionBenchResult, BuildInfo, NativeDistOptions, NativeSession, NativeSessionHandle, NativeSessionOptions, StepOptions } from './types';

export * from './types';
export { isNativeAvailable, loadNative, loadNativeAsync, nativeLoadError, NativeLoadError, explainLoadFailure } from './load';

export class NativeOptionError extends Error {
  readonly code = 'ERR_NATIVE_INVALID_ARG';
  constructor(message: string) {
    super(message);
    this.name = 'NativeOptionError';
  }
}

function checkInt(v: number | undefined, name: string, min: number): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < min) throw new NativeOptionError(`${name} must be an integer >= ${min} (got ${v})`);
}

/** Checks the options bag; throws NativeOptionError naming the option. */
export function validateSessionOptions(o: NativeSessionOptions): void {
  const m = o.model;
  if (!m || typeof m !== 'object') throw new NativeOptionError('model is required');
  if (!['mlp', 'transformer', 'gpt', 'torchscript'].includes(m.type)) throw new NativeOptionError(`model.type must be mlp, transformer, gpt or torchscript (got ${String(m.type)})`);
  if (m.type === 'torchscript' && (typeof m.scriptPath !== 'string' || m.scriptPath === '')) throw new NativeOptionError('model.scriptPath is required for a torchscript model');
  for (const k of ['inputDim', 'numClasses', 'outputDim', 'vocabSize', 'dModel', 'numHeads', 'tokenLimit'] as const) checkInt(m[k], `model.${k}`, 1);
  for (const k of ['numLayers', 'ffDim', 'attentionChunkSize', 'metaDim'] as const) checkInt(m[k], `model.${k}`, 0);
  if (m.dModel !== undefined && m.numHeads !== undefined && m.dModel % m.numHeads !== 0)
    throw new NativeOptionError(`model.numHeads (${m.numHeads}) must divide model.dModel (${m.dModel})`);
  if (m.dropout !== undefined && !(m.dropout >= 0 && m.dropout < 1)) throw new NativeOptionError('model.dropout must be in [0, 1)');
  if (o.device !== undefined && !['cpu', 'cuda', 'auto'].includes(o.device)) throw new NativeOptionError(`device must be cpu, cuda or auto (got ${o.device})`);
  if (o.precision !== undefined && !['fp32', 'bf16'].includes(o.precision)) throw new NativeOptionError(`precision must be fp32 or bf16 (got ${o.precision})`);
  checkInt(o.seed, 'seed', 0);
  checkInt(o.threads, 'threads', 0);
  if (o.gradClip !== undefined && !(o.gradClip >= 0 && Number.isFinite(o.gradClip))) throw new NativeOptionError('gradClip must be a finite number >= 0');
  if (o.dist !== undefined) validateDistOptions(o.dist);
  const names = new Set<string>();
  for (const [i, g] of (o.groups ?? []).entries()) {
    if (!g.name) throw new NativeOptionError(`groups[${i}].name is required`);
    if (names.has(g.name)) throw new NativeOptionError(`groups[${i}].name '${g.name}' is a duplicate`);
    names.add(g.name);
    if (!Array.isArray(g.patterns) || g.patterns.some((p) => typeof p !== 'string'))
      throw new NativeOptionError(`groups[${i}].patterns must be an array of strings`);
  }
}

function validateDistOptions(d: NativeDistOptions): void {
  if (!d || typeof d !== 'object') throw new NativeOptionError('dist must be an object {rank, worldSize, masterAddr, masterPort, backend}');
  checkInt(d.worldSize, 'dist.worldSize', 1);
  checkInt(d.rank, 'dist.rank', 0);
  checkInt(d.localRank, 'dist.localRank', 0);
  if (!(d.rank < d.worldSize)) throw new NativeOptionError(`dist.rank must be less than dist.worldSize (${d.worldSize}), got ${d.rank}`);
  if (typeof d.masterAddr !== 'string' || d.masterAddr === '') throw new NativeOptionError('dist.masterAddr must be a non-empty string');
  checkInt(d.masterPort, 'dist.masterPort', 1);
  if (d.masterPort > 65535) throw new NativeOptionError(`dist.masterPort must be at most 65535 (got ${d.masterPort})`);
  if (d.backend !== 'gloo' && d.backend !== 'nccl') throw new NativeOptionError(`dist.backend must be gloo or nccl (got ${String(d.backend)})`);
  if (d.timeoutS !== undefined && !(typeof d.timeoutS === 'number' && d.timeoutS > 0 && Number.isFinite(d.timeoutS))) throw new NativeOptionError('dist.timeoutS must be a finite number > 0');
  if (d.hostStore !== undefined && typeof d.hostStore !== 'boolean') throw new NativeOptionError('dist.hostStore must be a boolean');
  if (d.storePrefix !== undefined && (typeof d.storePrefix !== 'string' || d.storePrefix === '')) throw new NativeOptionError('dist.storePrefix must be a non-empty string');
}

function checkStepOptions(o: StepOptions): void {
  if (!o || typeof o !== 'object' || !o.lrs || typeof o.lrs !== 'object') throw new NativeOptionError('step options need lrs: {group: lr}');
  for (const [g, lr] of Object.entries(o.lrs)) {
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0)
      throw new NativeOptionError(`lrs['${g}'] must be a finite number >= 0 (got ${String(lr)})`);
  }
  if (o.onNonFinite !== undefined && o.onNonFinite !== 'skip' && o.onNonFinite !== 'halt')
    throw new NativeOptionError(`onNonFinite must be 'skip' or 'halt' (got ${String(o.onNonFinite)})`);
}

/**
 * Async native calls settle on a libuv thread, so their errors carry no JS stack: capture the
 * caller's stack before the call and append it to a rejection (sharp's pattern).
 */
const isNativeError = (e: unknown): e is Error => types.isNativeError(e);

function withCallerStack<T>(call: () => Promise<T>): Promise<T> {
  const caller = new Error();
  return call().catch((err: unknown) => {
    // No instanceof: errors made by the addon belong to the main realm (not a vm / jest context's).
    if (isNativeError(err) && caller.stack) {
      const frames = caller.stack.split('\n').slice(2).join('\n');
      err.stack = `${err.name}: ${err.message}\n${frames}`;
    }
    throw err;
  });
}

function wrap(t: NativeSessionHandle, device: string, dist: NativeDistOptions | undefined): NativeSession {
  return {
    device,
    dist: dist !== undefined && dist.worldSize > 1 ? { rank: dist.rank, worldSize: dist.worldSize } : null,
    setData: (split, data) => withCallerStack(() => t.setData(split, data)),
    step: (batches, opts) => {
      try {
        checkStepOptions(opts);
      } catch (e) {
        return Promise.reject(e);
      }
      return withCallerStack(() => t.step(batches, opts));
    },
    evaluate: (batch, opts) => withCallerStack(() => t.evaluate(batch, opts)),
    predict: (batch) => withCallerStack(() => t.predict(batch)),
    beginGeneration: (prompt, opts) => withCallerStack(() => t.beginGeneration(prompt, opts)),
    generate: (count) => withCallerStack(() => t.generate(count)),
    exportTorchScript: (path) => withCallerStack(() => t.exportTorchScript(path)),
    getState: (prefix) => withCallerStack(() => t.getState(prefix)),
    getGradients: (prefix) => withCallerStack(() => t.getGradients(prefix)),
    setState: (entries, opts) => withCallerStack(() => t.setState(entries, opts)),
    getOptimizerState: () => withCallerStack(() => t.getOptimizerState()),
    setOptimizerState: (entries) => withCallerStack(() => t.setOptimizerState(entries)),
    setTrainable: (patterns, trainable) => withCallerStack(() => t.setTrainable(patterns, trainable)),
    parameters: () => withCallerStack(() => t.parameters()),
    memoryStats: () => withCallerStack(() => t.memoryStats()),
    emptyCache: () => withCallerStack(() => t.emptyCache()),
    getRngState: () => withCallerStack(() => t.getRngState()),
    setRngState: (state) => withCallerStack(() => t.setRngState(state)),
    clearHalt: () => withCallerStack(() => t.clearHalt()),
    allReduce: (values) => withCallerStack(() => t.allReduce(values)),
    broadcastBytes: (bytes) => withCallerStack(() => t.broadcastBytes(bytes)),
    allGatherBytes: (bytes) => withCallerStack(() => t.allGatherBytes(bytes)),
    barrier: () => withCallerStack(() => t.barrier()),
    broadcastState: () => withCallerStack(() => t.broadcastState()),
    requestStop: () => t.requestStop(),
    dispose: () => t.dispose(),
    isDisposed: () => t.isDisposed(),
  };
}

/**
 * Starts a native session (loads the addon; rejects with NativeLoadError when it is unavailable):
 * the model is built on the session's own thread, so the event loop is not blocked meanwhile.
 * Options are validated here first; errors carry `code` (NativeErrorCode) and the caller's stack.
 * Call dispose() when done: the GC does not see native memory.
 */
export async function createSession(options: NativeSessionOptions): Promise<NativeSession> {
  validateSessionOptions(options);
  const addon = await loadNativeAsync();
  const handle = new addon.NativeSession(options);
  try {
    const { device } = await withCallerStack(() => handle.ready());
    return wrap(handle, device, options.dist);
  } catch (err) {
    await handle.dispose().catch(() => undefined);
    throw err;
  }
}

/** What the addon was built against and what it sees (devices, threads); runs off the JS thread. */
export async function buildInfo(): Promise<BuildInfo> {
  return (await loadNativeAsync()).buildInfo();
}

/** Checks attentionBench's options; throws NativeOptionError naming the option. */
export function validateAttentionBenchOptions(o: AttentionBenchOptions): void {
  if (!o || typeof o !== 'object') throw new NativeOptionError('attentionBench options are required');
  for (const k of ['batch', 'heads', 'seqLen', 'headDim'] as const) {
    if (o[k] === undefined) throw new NativeOptionError(`${k} is required`);
    checkInt(o[k], k, 1);
  }
  if (o.chunkSize === undefined) throw new NativeOptionError('chunkSize is required (0 = full attention)');
  checkInt(o.chunkSize, 'chunkSize', 0);
  checkInt(o.threads, 'threads', 0);
  checkInt(o.iters, 'iters', 1);
  checkInt(o.seed, 'seed', 0);
  for (const k of ['recompute', 'causal'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new NativeOptionError(`${k} must be a boolean`);
  }
  if (o.device !== undefined && !['cpu', 'cuda', 'auto'].includes(o.device)) throw new NativeOptionError(`device must be cpu, cuda or auto (got ${String(o.device)})`);
}

/**
 * attention() alone (the models' code path: full, or query-chunked with recomputation), forward
 * then backward on random q, k, v, `iters` times in one native call; for benchmarks (peak RSS of
 * the process on CPU, `peakBytes` from the CUDA allocator on CUDA).
 */
export function attentionBench(options: AttentionBenchOptions): Promise<AttentionBenchResult> {
  let addon;
  try {
    validateAttentionBenchOptions(options);
    addon = loadNative();
  } catch (e) {
    return Promise.reject(e);
  }
  return withCallerStack(() => addon.attentionBench(options));
}
