/**
 * Sizes that cannot fit are refused before anything is allocated: the parameter count of the
 * model the config describes (the same layers lib/native builds, native/core/models.cc), the
 * memory its training state needs (weights, gradients and optimizer moments, fp32), and the
 * arrays synthetic data generation would fill. A run whose estimate exceeds this machine's memory
 * is a configuration mistake (exit 2, with the estimate), unless the caller insists (`--force`).
 * The CUDA case is held to the host's memory too: checkpoints pass through it.
 */
import { totalmem } from 'os';
import { ConfigError } from '../config/errors';
import type { TrainNativeConfig } from '../config/types';
import { SYNTHETIC_DEFAULTS } from '../data';
import type { NativeModelOptions, NativeSessionOptions } from '../native/types';

const F32 = 4;

const linear = (inDim: number, outDim: number, bias = true): number => inDim * outDim + (bias ? outDim : 0);
const layerNorm = (d: number): number => 2 * d;

/** Parameters of the model lib/native builds for these options (models.cc, layer by layer). */
export function parameterCount(m: NativeModelOptions): number {
  const outDim = m.task === 'regression' ? (m.outputDim ?? 1) : (m.numClasses ?? 0);
  if (m.type === 'mlp') {
    let n = 0;
    let inDim = m.inputDim ?? 0;
    for (const h of m.hiddenSizes ?? []) {
      n += linear(inDim, h);
      inDim = h;
    }
    return n + linear(inDim, outDim);
  }
  const d = m.dModel ?? 0;
  const ff = m.ffDim !== undefined && m.ffDim > 0 ? m.ffDim : 4 * d;
  const vocab = m.vocabSize ?? 0;
  const block = layerNorm(d) + 4 * linear(d, d) + layerNorm(d) + linear(d, ff) + linear(ff, d);
  const encoder = vocab * d + (m.tokenLimit ?? 0) * d + (m.numLayers ?? 0) * block + layerNorm(d);
  if (m.type === 'gpt') return encoder + linear(d, vocab, false);
  const meta = (m.metaDim ?? 0) > 0 ? linear(2 * (m.metaDim ?? 0), d) : 0;
  const mlm = m.maskedTokenHead !== false ? linear(d, vocab) : 0; // built unless asked not to
  return encoder + meta + linear(d, outDim) + mlm;
}

/** Bytes per parameter while training: weight and gradient, plus the optimizer's moments. */
export function trainingBytesPerParameter(opt: NativeSessionOptions['optimizer']): number {
  const moments = opt === undefined || opt.name === 'adamw' ? 2 : (opt.momentum ?? 0.9) !== 0 ? 1 : 0;
  return F32 * (2 + moments);
}

/** `1.2 GiB`, `3.4 TiB`, … */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} bytes` : `${v.toPrecision(3)} ${units[i]}`;
}

function machineMemory(): number {
  return totalmem();
}

const FORCE_HINT = 'lower it, or pass --force to try anyway';

/**
 * The arrays synthetic generation fills (before any model exists): features or tokens per sample,
 * and for synthetic:language a VOCAB_SIZE² table of transition probabilities (float64).
 */
export function syntheticDataBytes(config: TrainNativeConfig): { bytes: number; key: string } | null {
  const source = config.DATA.SOURCE;
  if (!source.startsWith('synthetic:')) return null;
  const train = config.DATA.TRAIN_SAMPLES ?? SYNTHETIC_DEFAULTS.trainSamples;
  const samples = train * (1 + (config.DATA.VAL_FRACTION ?? 0));
  if (source === 'synthetic:language') {
    const vocab = config.MODEL.VOCAB_SIZE ?? SYNTHETIC_DEFAULTS.vocabSize;
    const len = config.DATA.BLOCK_SIZE ?? SYNTHETIC_DEFAULTS.languageBlockSize;
    const table = vocab * vocab * 8;
    const tokens = samples * len * F32;
    return { bytes: table + tokens, key: table > tokens ? 'MODEL.VOCAB_SIZE' : 'DATA.TRAIN_SAMPLES' };
  }
  const width = source === 'synthetic:sequence' ? (config.DATA.BLOCK_SIZE ?? SYNTHETIC_DEFAULTS.sequenceBlockSize) : (config.MODEL.INPUT_DIM ?? SYNTHETIC_DEFAULTS.inputDim);
  return { bytes: samples * (width + 2) * F32, key: source === 'synthetic:sequence' ? 'DATA.BLOCK_SIZE' : 'MODEL.INPUT_DIM' };
}

/** Refuses synthetic data that would not fit in memory (ConfigError naming the key that drives it). */
export function checkDataSize(config: TrainNativeConfig, force: boolean, memory = machineMemory()): void {
  const est = syntheticDataBytes(config);
  if (force || est === null || est.bytes <= memory) return;
  throw new ConfigError(
    `${config.DATA.SOURCE} data would need about ${formatBytes(est.bytes)}, more than this machine's ${formatBytes(memory)} of memory: ${FORCE_HINT}`,
    est.key,
  );
}

/** The config key a model's size is driven by, for the message. */
function sizeKey(m: NativeModelOptions): string {
  if (m.type === 'mlp') return 'MODEL.HIDDEN_SIZES';
  const d = m.dModel ?? 0;
  return (m.vocabSize ?? 0) > 8 * d * (m.numLayers ?? 1) ? 'MODEL.VOCAB_SIZE' : 'MODEL.D_MODEL';
}

/**
 * Refuses a model whose training state would not fit in memory, before the session allocates
 * anything.
 */
export function checkModelSize(options: NativeSessionOptions, force: boolean, memory = machineMemory()): void {
  // A torchscript module is as large as its file already is: nothing to estimate from the config.
  if (options.model.type === 'torchscript') return;
  const params = parameterCount(options.model);
  if (force) return;
  const bytes = params * trainingBytesPerParameter(options.optimizer);
  if (bytes <= memory) return;
  const count = Number.isSafeInteger(params) ? params.toLocaleString('en-US') : `about ${params.toPrecision(3)}`;
  throw new ConfigError(
    `the model has ${count} parameters; training them needs about ${formatBytes(bytes)} ` +
      `(weights, gradients and optimizer state), more than this machine's ${formatBytes(memory)} of memory: ${FORCE_HINT}`,
    sizeKey(options.model),
  );
}
