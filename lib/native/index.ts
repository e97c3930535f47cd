/**
 * The native side's public TypeScript surface: loading (isNativeAvailable, loadNative), a thin
 * validating wrapper (createTrainer) and the types. Options are checked here first so that a bad
 * value names its option before native code runs (sharp's pattern); native re-checks everything.
 */
import { loadNative } from './load';
import type { BuildInfo, NativeTrainerInstance, NativeTrainerOptions } from './types';

export * from './types';
export { isNativeAvailable, loadNative, nativeLoadError, NativeLoadError, explainLoadFailure } from './load';

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
export function validateTrainerOptions(o: NativeTrainerOptions): void {
  const m = o.model;
  if (!m || typeof m !== 'object') throw new NativeOptionError('model is required');
  if (!['mlp', 'transformer', 'gpt'].includes(m.type)) throw new NativeOptionError(`model.type must be mlp, transformer or gpt (got ${String(m.type)})`);
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
  const names = new Set<string>();
  for (const [i, g] of (o.groups ?? []).entries()) {
    if (!g.name) throw new NativeOptionError(`groups[${i}].name is required`);
    if (names.has(g.name)) throw new NativeOptionError(`groups[${i}].name '${g.name}' is a duplicate`);
    names.add(g.name);
    if (!Array.isArray(g.patterns) || g.patterns.some((p) => typeof p !== 'string'))
      throw new NativeOptionError(`groups[${i}].patterns must be an array of strings`);
  }
}

/** Builds a native trainer (loads the addon; throws NativeLoadError when it is unavailable). */
export function createTrainer(options: NativeTrainerOptions): NativeTrainerInstance {
  validateTrainerOptions(options);
  const addon = loadNative();
  return new addon.NativeTrainer(options);
}

export function buildInfo(): BuildInfo {
  return loadNative().buildInfo();
}
