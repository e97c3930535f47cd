/**
 * TEMPORARY (delete when the session addon is merged): a NativeSession on top of the previous
 * addon's NativeTrainer class, so the TypeScript side can run against the new interface before the
 * C++ session exists. Active only with TRAIN_NATIVE_SHIM=1 (and TRAIN_NATIVE_ADDON naming an
 * old-interface build, e.g. /work/addon-old/train_native.node).
 *
 * What it emulates, in JS: in-order execution (every call is chained on one promise queue, as the
 * session thread runs them); setData (the arrays stay in JS) and IndexedBatch (rows gathered here,
 * then mixup, meta mask and token mask applied with the TypeScript reference functions, exactly
 * as types.ts says the native side does); onNonFinite 'skip' / 'halt' on the old skipNonFinite.
 * What it cannot: the model is still built synchronously on the JS thread by the old constructor,
 * and torch work runs on libuv's pool, so start-up and threading numbers measured through it say
 * nothing about the session addon.
 */
import { applyMixupDecision } from '../data/mixup';
import { applyTokenMask } from '../train/masked-tokens';
import { loadNative } from './load';
import type {
  BuildInfo,
  EvalResult,
  IndexArray,
  IndexedBatch,
  MemoryStats,
  NativeBatch,
  NativeSessionHandle,
  NativeSessionOptions,
  ParameterInfo,
  SessionBatch,
  SessionData,
  SetStateOptions,
  StepOptions,
  StepResult,
  TensorEntry,
} from './types';

/** The previous addon's trainer (git show bfb9499~1:lib/native/types.ts, NativeTrainerInstance). */
interface OldStepResult {
  loss: number | null;
  gradNorm: number | null;
  skipped: boolean;
  step: number;
  timing: StepResult['timing'];
}

interface OldTrainer {
  step(batches: NativeBatch[], opts: { lrs: Record<string, number>; readLoss?: boolean; skipNonFinite?: boolean }): Promise<OldStepResult>;
  evaluate(batch: NativeBatch): Promise<EvalResult>;
  getState(prefix?: string): Promise<TensorEntry[]>;
  getGradients(prefix?: string): Promise<TensorEntry[]>;
  setState(entries: TensorEntry[], opts?: SetStateOptions): Promise<string[]>;
  getOptimizerState(): Promise<TensorEntry[]>;
  setOptimizerState(entries: TensorEntry[]): Promise<void>;
  setTrainable(patterns: string[], trainable: boolean): number;
  parameters(): ParameterInfo[];
  memoryStats(): MemoryStats;
  emptyCache(): void;
  getRngState(): Buffer;
  setRngState(state: Uint8Array): void;
  device(): string;
  dispose(): void;
  isDisposed(): boolean;
}

interface OldAddon {
  NativeTrainer: new (options: NativeSessionOptions) => OldTrainer;
  buildInfo(): BuildInfo;
}

export function shimEnabled(): boolean {
  return process.env.TRAIN_NATIVE_SHIM === '1';
}

function oldAddon(): OldAddon {
  return loadNative() as unknown as OldAddon;
}

export function oldAddonBuildInfo(): Promise<BuildInfo> {
  try {
    return Promise.resolve(oldAddon().buildInfo());
  } catch (e) {
    return Promise.reject(e);
  }
}

type Rows = Float32Array | Int32Array | BigInt64Array;

/** Rows `indices` of a row-major [count, width] array, in that order (a copy). */
function gatherRows<T extends Rows>(src: T, count: number, indices: Int32Array): T {
  const width = src.length / count;
  const out = new (src.constructor as new (n: number) => T)(indices.length * width);
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r];
    if (!(i >= 0 && i < count)) throw Object.assign(new RangeError(`index ${i} is outside the split's ${count} rows`), { code: 'ERR_NATIVE_INVALID_ARG' });
    out.set(src.subarray(i * width, (i + 1) * width) as never, r * width);
  }
  return out;
}

function isIndexed(b: SessionBatch): b is IndexedBatch {
  return (b as IndexedBatch).indices !== undefined;
}

/** The NativeBatch the session addon builds on its device from an IndexedBatch. */
export function inlineBatch(b: IndexedBatch, data: SessionData): NativeBatch {
  const objective = b.objective ?? 'supervised';
  const n = b.indices.length;
  const out: NativeBatch = { batchSize: n, objective };
  if (data.features) out.features = gatherRows(data.features, data.count, b.indices);
  if (data.tokens) out.tokens = gatherRows(data.tokens, data.count, b.indices);
  if (data.labels && objective === 'supervised') out.labels = gatherRows(data.labels, data.count, b.indices);
  if (data.meta) {
    out.meta = gatherRows(data.meta, data.count, b.indices);
    if (b.metaMask) out.metaMask = b.metaMask;
  }
  if (b.mixup) {
    const targets = out.labels instanceof Float32Array ? out.labels : undefined;
    applyMixupDecision({ batchSize: n, features: out.features, meta: out.meta, targets }, b.mixup);
  }
  if (b.tokenMask) {
    if (!out.tokens || b.maskTokenId === undefined) throw Object.assign(new Error('tokenMask needs token data and maskTokenId'), { code: 'ERR_NATIVE_INVALID_ARG' });
    const m = applyTokenMask(toInt32(out.tokens), b.tokenMask, b.maskTokenId);
    out.tokens = m.tokens;
    out.targets = m.targets;
  }
  return out;
}

function toInt32(a: IndexArray): Int32Array {
  return a instanceof Int32Array ? a : Int32Array.from(a, (v) => Number(v));
}

const NO_TIMING: StepResult['timing'] = { unpackMs: 0, prepareMs: 0, computeMs: 0 };

export class OldAddonSessionHandle implements NativeSessionHandle {
  private readonly trainer: OldTrainer;
  private readonly splits = new Map<string, SessionData>();
  private queue: Promise<unknown> = Promise.resolve();
  private halted = false;
  private steps = 0;
  private disposeCalled = false;

  constructor(options: NativeSessionOptions) {
    this.trainer = new (oldAddon().NativeTrainer)(options);
  }

  /** Runs `work` after everything queued before it, as the session thread does. */
  private enqueue<T>(work: () => T | Promise<T>): Promise<T> {
    if (this.disposeCalled) return Promise.reject(Object.assign(new Error('the session was disposed'), { code: 'ERR_NATIVE_DISPOSED' }));
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private inline(b: SessionBatch): NativeBatch {
    if (!isIndexed(b)) return b;
    const data = this.splits.get(b.split);
    if (!data) throw Object.assign(new Error(`no data uploaded for split '${b.split}' (setData)`), { code: 'ERR_NATIVE_INVALID_ARG' });
    return inlineBatch(b, data);
  }

  ready(): Promise<{ device: string }> {
    return this.enqueue(() => ({ device: this.trainer.device() }));
  }

  setData(split: string, data: SessionData): Promise<void> {
    return this.enqueue(() => void this.splits.set(split, data));
  }

  step(batches: SessionBatch | SessionBatch[], opts: StepOptions): Promise<StepResult> {
    return this.enqueue(async () => {
      if (this.halted) return { loss: null, gradNorm: null, nonFinite: null, halted: true, step: this.steps, timing: NO_TIMING };
      const list = (Array.isArray(batches) ? batches : [batches]).map((b) => this.inline(b));
      const onCpu = this.trainer.device() === 'cpu';
      const r = await this.trainer.step(list, { lrs: opts.lrs, readLoss: onCpu || opts.readLoss !== false, skipNonFinite: true });
      if (r.skipped && opts.onNonFinite === 'halt') this.halted = true;
      this.steps = r.step;
      return { loss: r.loss, gradNorm: r.gradNorm, nonFinite: r.skipped, halted: false, step: r.step, timing: r.timing };
    });
  }

  evaluate(batch: SessionBatch): Promise<EvalResult> {
    return this.enqueue(() => this.trainer.evaluate(this.inline(batch)));
  }

  getState(prefix?: string): Promise<TensorEntry[]> {
    return this.enqueue(() => this.trainer.getState(prefix));
  }

  getGradients(prefix?: string): Promise<TensorEntry[]> {
    return this.enqueue(() => this.trainer.getGradients(prefix));
  }

  setState(entries: TensorEntry[], opts?: SetStateOptions): Promise<string[]> {
    return this.enqueue(() => this.trainer.setState(entries, opts));
  }

  getOptimizerState(): Promise<TensorEntry[]> {
    return this.enqueue(() => this.trainer.getOptimizerState());
  }

  setOptimizerState(entries: TensorEntry[]): Promise<void> {
    return this.enqueue(() => this.trainer.setOptimizerState(entries));
  }

  setTrainable(patterns: string[], trainable: boolean): Promise<number> {
    return this.enqueue(() => this.trainer.setTrainable(patterns, trainable));
  }

  parameters(): Promise<ParameterInfo[]> {
    return this.enqueue(() => this.trainer.parameters());
  }

  memoryStats(): Promise<MemoryStats> {
    return this.enqueue(() => this.trainer.memoryStats());
  }

  emptyCache(): Promise<void> {
    return this.enqueue(() => this.trainer.emptyCache());
  }

  getRngState(): Promise<Buffer> {
    return this.enqueue(() => this.trainer.getRngState());
  }

  setRngState(state: Uint8Array): Promise<void> {
    return this.enqueue(() => this.trainer.setRngState(state));
  }

  clearHalt(): Promise<void> {
    return this.enqueue(() => void (this.halted = false));
  }

  dispose(): Promise<void> {
    if (this.disposeCalled) return this.queue.then(() => undefined);
    const done = this.enqueue(() => this.trainer.dispose());
    this.disposeCalled = true;
    return done;
  }

  isDisposed(): boolean {
    return this.disposeCalled;
  }
}
