/**
 * The typed interface of the native addon (build/Release/train_native.node): options, batches,
 * results and the native session (one model + optimizer, all of whose torch work runs in order on
 * one thread the session owns). Only lib/native/ loads the addon; everything else uses
 * these types. Shapes are implied: every batch array is row-major with `batchSize` rows.
 */

export type ModelTypeName = 'mlp' | 'transformer' | 'gpt' | 'torchscript';
export type DeviceName = 'cpu' | 'cuda' | 'auto';
export type PrecisionName = 'fp32' | 'bf16';

export interface NativeModelOptions {
  type: ModelTypeName;
  /** classification | regression (gpt: language modelling, ignored). */
  task?: 'classification' | 'regression';
  /** mlp: features per sample. */
  inputDim?: number;
  /** classification: number of classes. */
  numClasses?: number;
  /** regression: values per sample (default 1). */
  outputDim?: number;
  /** mlp hidden layer widths. */
  hiddenSizes?: number[];
  /** transformer / gpt */
  vocabSize?: number;
  dModel?: number;
  numHeads?: number;
  numLayers?: number;
  /** default 4 * dModel */
  ffDim?: number;
  dropout?: number;
  /** longest sequence accepted (also the size of the learned position table). */
  tokenLimit?: number;
  /** query-chunked attention with recomputation when > 0 and < seqLen. */
  attentionChunkSize?: number;
  /** Chunked attention recomputes each chunk's probabilities in backward (default true); false keeps them (for comparison). */
  attentionRecompute?: boolean;
  /** transformer: metadata floats per sample (0 = no metadata input). */
  metaDim?: number;
  /** transformer: build the masked-token (stage-1) head `mlm_head` (default true). */
  maskedTokenHead?: boolean;
  /** transformer: key positions holding this token id are ignored by attention and pooling. */
  padTokenId?: number;
  /** torchscript: the module file (torch.jit.script(m).save / torch.jit.trace). */
  scriptPath?: string;
  /** torchscript: what forward takes (default features). */
  input?: 'features' | 'tokens';
  /** torchscript: 'auto' = cross-entropy / MSE by task; 'model' = forward(inputs, targets) returns the loss. */
  loss?: 'auto' | 'model';
  /** torchscript features: the per-sample shape forward takes (e.g. [1, 8, 8]); default flat. */
  inputShape?: number[];
}

export interface NativeOptimizerOptions {
  name: 'adamw' | 'sgd';
  weightDecay?: number; // default 0.01
  betas?: [number, number]; // default [0.9, 0.999]
  eps?: number; // default 1e-8
  momentum?: number; // sgd, default 0.9
  nesterov?: boolean; // sgd, default false
}

export interface NativeParameterGroup {
  name: string;
  /** Globs over parameter names; `*` matches any characters (dots included). First match wins. */
  patterns: string[];
  /** default: optimizer.weightDecay */
  weightDecay?: number;
}

/**
 * Data-parallel training: this process's place in a c10d process group (torchrun's contract; the
 * trainer fills it from RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT). Rank 0 hosts
 * the rendezvous store; creating the session blocks until every rank has joined.
 */
export interface NativeDistOptions {
  rank: number;
  worldSize: number;
  /** this process's rank on its machine (its GPU on CUDA) */
  localRank?: number;
  masterAddr: string;
  masterPort: number;
  /** gloo (CPU) or nccl (CUDA) */
  backend: 'gloo' | 'nccl';
  /** rendezvous and every collective; a peer silent for longer fails the call (default 300) */
  timeoutS?: number;
  /** rank 0 hosts the rendezvous store (default true); false when a launcher's agent does (torchrun) */
  hostStore?: boolean;
  /** prefix of this run's keys in the store (default 'train-native'; torchrun's store outlives restarts) */
  storePrefix?: string;
}

export interface NativeSessionOptions {
  model: NativeModelOptions;
  optimizer?: NativeOptimizerOptions;
  /** Parameters matching no group belong to group "default" (always present). */
  groups?: NativeParameterGroup[];
  device?: DeviceName; // default cpu
  precision?: PrecisionName; // default fp32; bf16 = autocast, weights and optimizer state stay fp32
  seed?: number; // default 42
  threads?: number; // intra-op threads, 0 = LibTorch's choice
  gradClip?: number; // total-norm clipping, 0 = off (default 1.0)
  /** CUDA: set PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True before the first allocation. */
  expandableSegments?: boolean;
  /** CUDA: empty the caching allocator after every step. */
  emptyCacheAfterStep?: boolean;
  /** CUDA: also after every query chunk of chunked attention (forward and backward). */
  emptyCacheAfterChunk?: boolean;
  /** Join a process group: gradients are averaged over the ranks in every step. */
  dist?: NativeDistOptions;
}

export type IndexArray = Int32Array | BigInt64Array;

export interface NativeBatch {
  batchSize: number;
  /** mlp: [batchSize, inputDim] */
  features?: Float32Array;
  /** transformer / gpt: [batchSize, seqLen] */
  tokens?: IndexArray;
  /** classification: class ids [batchSize]; regression: Float32Array [batchSize * outputDim] */
  labels?: IndexArray | Float32Array;
  /** token targets [batchSize, seqLen], -100 = ignore (masked tokens; gpt: next tokens, else shifted inside) */
  targets?: IndexArray;
  /** transformer metadata [batchSize, metaDim] */
  meta?: Float32Array;
  /** [batchSize, metaDim], 1 = keep, 0 = masked */
  metaMask?: Float32Array;
  /** transformer: 'masked_tokens' trains the mlm_head on `targets` (stage 1). */
  objective?: 'supervised' | 'masked_tokens';
}

/**
 * A split's arrays, uploaded once with `setData` and kept on the session's device; steps and
 * evaluations then name rows by index (IndexedBatch). Shapes are [count, ...] row-major.
 */
export interface SessionData {
  count: number;
  /** mlp: [count, inputDim] */
  features?: Float32Array;
  /** transformer / gpt: [count, seqLen] */
  tokens?: IndexArray;
  /** classification: class ids [count]; regression: [count * outputDim] */
  labels?: IndexArray | Float32Array;
  /** transformer metadata [count, metaDim] */
  meta?: Float32Array;
}

/**
 * A batch of rows of an uploaded split plus the random decisions TypeScript made for it; the
 * session gathers the rows and applies the decisions on its device.
 */
export interface IndexedBatch {
  /** the split named in setData */
  split: string;
  /** row indices into the split: the batch, in order */
  indices: Int32Array;
  objective?: 'supervised' | 'masked_tokens';
  /**
   * Mixup (features, meta and regression targets; never tokens or class ids): row members[i] of
   * the batch becomes lambda * row + (1 - lambda) * row partners[i], both read before mixing,
   * computed in double precision and rounded to float32 (as the TypeScript reference does).
   */
  mixup?: { members: Int32Array; partners: Int32Array; lambda: number };
  /** [batchSize, metaDim], 1 = keep, 0 = masked */
  metaMask?: Float32Array;
  /**
   * masked_tokens: [batchSize, seqLen], 1 = the position is replaced by maskTokenId and is a
   * target (its original token); every other target is -100.
   */
  tokenMask?: Uint8Array;
  maskTokenId?: number;
}

/** What step() and evaluate() take: rows of an uploaded split, or arrays carried inline. */
export type SessionBatch = IndexedBatch | NativeBatch;

export interface StepOptions {
  /** One learning rate for every parameter group (including "default"). */
  lrs: Record<string, number>;
  /**
   * Read the loss and grad norm back. Free on CPU (always read there); a device sync on CUDA, so
   * the loop asks only on steps where a decision needs them. Default true.
   */
  readLoss?: boolean;
  /**
   * A non-finite gradient norm never reaches the weights: the update is masked (on CUDA on the
   * device, without a sync). 'skip' (default) carries on with the next step; 'halt' also masks
   * every later step of this session until clearHalt(), so steps already queued behind a bad one
   * change nothing.
   */
  onNonFinite?: 'skip' | 'halt';
}

export interface StepResult {
  /** Mean loss over the micro-batches; null when not read back. */
  loss: number | null;
  /** Total L2 gradient norm before clipping; null when not read back. */
  gradNorm: number | null;
  /**
   * This step's gradient norm was not finite, so its update was masked; null when not read
   * back (CUDA, readLoss false).
   */
  nonFinite: boolean | null;
  /** The session was halted (an earlier 'halt' step was non-finite): this step changed nothing. */
  halted: boolean;
  /**
   * Distributed: the ranks agreed in this step's gradient all-reduce that one of them asked to
   * stop (requestStop): this step was applied, every later one is skipped on every rank.
   */
  stopAgreed: boolean;
  /** Distributed: skipped, because the ranks agreed to stop at an earlier step. */
  stopSkipped: boolean;
  /** Optimizer steps applied so far (masked ones included on CUDA between readbacks). */
  step: number;
  /**
   * Wall-clock split in ms: unpackMs = TypedArray copies on the JS thread, prepareMs = input checks
   * and host-to-tensor conversion on the worker, computeMs = forward, backward, clipping, update.
   */
  timing: { unpackMs: number; prepareMs: number; computeMs: number };
}

export interface EvalResult {
  /** 'loss': a torchscript module with MODEL.LOSS model (only the loss is known) */
  kind: 'classification' | 'regression' | 'tokens' | 'loss';
  /** lossSum / count */
  loss: number;
  lossSum: number;
  /** samples, or counted tokens for kind 'tokens' */
  count: number;
  /** classification / tokens: correct argmax predictions */
  correct?: number;
  /** regression sums over all values, for MAE / RMSE / R² across batches */
  absErrorSum?: number;
  sqErrorSum?: number;
  targetSum?: number;
  targetSqSum?: number;
  valueCount?: number;
  /** classification with `{confusion: true}`: counts [C * C], row = true class, column = predicted */
  confusion?: Float64Array;
}

export interface NativeEvaluateOptions {
  /** Also count a confusion matrix (classification). */
  confusion?: boolean;
}

/** predict(): one row per sample. */
export interface PredictResult {
  /** classification: softmax probabilities [B, C]; regression: values [B, O] */
  kind: 'classification' | 'regression';
  shape: [number, number];
  values: Float32Array;
}

/** Sampling for generation. */
export interface SampleOptions {
  /** 0 = greedy (argmax); default 1 */
  temperature?: number;
  /** keep the k most likely tokens (0 = all; default 0) */
  topK?: number;
  /** nucleus sampling: keep the smallest set of tokens whose probability reaches p (1 = all; default 1) */
  topP?: number;
  /** the generation's own generator: the same seed gives the same tokens (default 0) */
  seed?: number;
  /** positions the model attends to, at most tokenLimit (0 = tokenLimit); when full, the newer half is kept */
  contextLength?: number;
}

export type SafetensorsDtype = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype | string;
  shape: number[];
  /** little-endian row-major bytes (a copy) */
  data: Uint8Array;
}

export interface SetStateOptions {
  /** Only entries whose names start with this prefix are loaded (e.g. 'encoder.'). */
  prefix?: string;
  /** Every model tensor under the prefix must be present and no unknown names allowed (default true). */
  strict?: boolean;
}

export interface ParameterInfo {
  name: string;
  shape: number[];
  numel: number;
  trainable: boolean;
  group: string;
}

export interface MemoryStats {
  device: string;
  parameterBytes: number;
  gradientBytes: number;
  optimizerStateBytes: number;
  /** CUDA caching-allocator numbers; null on CPU */
  allocatedBytes: number | null;
  reservedBytes: number | null;
  peakAllocatedBytes: number | null;
}

export interface BuildInfo {
  torchVersion: string;
  torchFoundAt: string;
  torchSource: string;
  torchLibDir: string;
  buildType: string;
  napiVersion: number;
  cudaCompiled: boolean;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  deviceNames: string[];
  intraOpThreads: number;
  interOpThreads: number;
  parallelInfo: string;
  /** c10d backends compiled in ('gloo', 'nccl'); empty: this build cannot train on several processes. */
  distBackends: string[];
}

export interface AttentionCheckOptions {
  batch?: number;
  heads?: number;
  seqLen?: number;
  headDim?: number;
  chunkSize?: number;
  causal?: boolean;
  /** the last k keys of sample 0 are padding */
  paddedKeys?: number;
  seed?: number;
}

/** Max |chunked - full| / max |full| for the output and each input gradient (fp32). */
export interface AttentionCheckResult {
  outRelErr: number;
  dqRelErr: number;
  dkRelErr: number;
  dvRelErr: number;
}

/** attention() alone, forward then backward on random fp32 q, k, v of shape [batch, heads, seqLen, headDim]. */
export interface AttentionBenchOptions {
  batch: number;
  heads: number;
  seqLen: number;
  headDim: number;
  /** query chunk size; 0 (or >= seqLen) = full attention */
  chunkSize: number;
  /** chunked: recompute each chunk's probabilities in backward (default true) */
  recompute?: boolean;
  causal?: boolean;
  /** intra-op threads; 0 = LibTorch's choice (default) */
  threads?: number;
  /** timed forward + backward repetitions (default 1) */
  iters?: number;
  seed?: number;
  /** default 'cpu' */
  device?: 'cpu' | 'cuda' | 'auto';
}

export interface AttentionBenchResult {
  /** one entry per iteration (wall clock; synchronised on CUDA) */
  forwardMs: number[];
  backwardMs: number[];
  /** CUDA caching allocator's peak allocated bytes over the call; null on CPU (read the process's peak RSS instead) */
  peakBytes: number | null;
}

/** Error codes carried by errors from the addon (`err.code`). */
export type NativeErrorCode =
  | 'ERR_NATIVE_INVALID_ARG'
  | 'ERR_NATIVE_OOM'
  | 'ERR_NATIVE_DISPOSED'
  | 'ERR_NATIVE_TORCH'
  | 'ERR_NATIVE_DIST'
  | 'ERR_NATIVE_INTERNAL';

/**
 * One model, its optimizer, RNG and uploaded data, owned by one native thread: every method
 * enqueues its work there and returns a promise, and the work runs in the order it was called.
 * So a caller may submit step k+1 before step k has settled (pipelining) and the results are
 * those of running them one after another.
 */
export interface NativeSession {
  /** The device the session runs on ('cpu', 'cuda:0'), resolved when it was created. */
  readonly device: string;
  /** Uploads (or replaces) a split's arrays to the device, for IndexedBatch. */
  setData(split: string, data: SessionData): Promise<void>;
  /** One optimizer step over one batch or 1..A micro-batches (gradient accumulation). */
  step(batches: SessionBatch | SessionBatch[], opts: StepOptions): Promise<StepResult>;
  /** Eval mode, no grad: loss and metric sums. */
  evaluate(batch: SessionBatch, opts?: NativeEvaluateOptions): Promise<EvalResult>;
  /** Eval mode, no grad: probabilities (classification) or values (regression) per sample. */
  predict(batch: SessionBatch): Promise<PredictResult>;
  /** gpt: starts a generation from `prompt` (token ids), replacing any in progress. */
  beginGeneration(prompt: Int32Array, opts?: SampleOptions): Promise<void>;
  /** gpt: the next `count` sampled tokens of the generation begun last. */
  generate(count: number): Promise<Int32Array>;
  /** torchscript models: writes the module with the current weights (loadable by torch.jit.load). */
  exportTorchScript(path: string): Promise<void>;
  getState(prefix?: string): Promise<TensorEntry[]>;
  /** The gradients the last step left (after clipping), by parameter name; frozen parameters have none. */
  getGradients(prefix?: string): Promise<TensorEntry[]>;
  /** Resolves to the names that were loaded. */
  setState(entries: TensorEntry[], opts?: SetStateOptions): Promise<string[]>;
  getOptimizerState(): Promise<TensorEntry[]>;
  setOptimizerState(entries: TensorEntry[]): Promise<void>;
  /** Resolves to how many parameters matched. Frozen parameters get no gradient and no update. */
  setTrainable(patterns: string[], trainable: boolean): Promise<number>;
  parameters(): Promise<ParameterInfo[]>;
  memoryStats(): Promise<MemoryStats>;
  emptyCache(): Promise<void>;
  /** The session's CPU generator (dropout masks) as bytes, for bit-exact resume. */
  getRngState(): Promise<Buffer>;
  setRngState(state: Uint8Array): Promise<void>;
  /** Ends a halt (StepOptions.onNonFinite 'halt'): later steps update the weights again. */
  clearHalt(): Promise<void>;
  /**
   * Collectives over the session's process group, queued like everything else, so every rank
   * must call them in the same order; without a group they return their input. A peer that
   * exited or hung fails them with ERR_NATIVE_DIST naming the rank.
   */
  /** Element-wise sum over the ranks. */
  allReduce(values: Float64Array): Promise<Float64Array>;
  /** Rank 0's bytes, on every rank (the others' argument is ignored). */
  broadcastBytes(bytes: Uint8Array | null): Promise<Buffer>;
  /** Every rank's bytes, in rank order. */
  allGatherBytes(bytes: Uint8Array): Promise<Buffer[]>;
  barrier(): Promise<void>;
  /** Parameters and buffers from rank 0 into every rank's model. */
  broadcastState(): Promise<void>;
  /**
   * Asks the ranks to stop (not queued: takes effect at the next step to run). The flag rides in
   * that step's gradient all-reduce, whose result says `stopAgreed` on every rank alike.
   */
  requestStop(): void;
  /** This session's place in its process group; null for a single process. */
  readonly dist: { rank: number; worldSize: number } | null;
  /** Frees model, optimizer and data memory after the queued work; later calls fail with ERR_NATIVE_DISPOSED. */
  dispose(): Promise<void>;
  isDisposed(): boolean;
}

/** The addon's class: constructing it starts the thread; ready() builds the model there. */
export interface NativeSessionHandle extends Omit<NativeSession, 'device' | 'dist'> {
  ready(): Promise<{ device: string }>;
}

export interface NativeSessionConstructor {
  new (options: NativeSessionOptions): NativeSessionHandle;
}

/** What the .node file exports. */
export interface NativeAddon {
  NativeSession: NativeSessionConstructor;
  buildInfo(): Promise<BuildInfo>;
  attentionCheck(opts?: AttentionCheckOptions): Promise<AttentionCheckResult>;
  attentionBench(opts: AttentionBenchOptions): Promise<AttentionBenchResult>;
  abiVersion: number;
}
