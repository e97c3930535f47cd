/**
 * What the native trainer gets for optimizer step k: the ACCUMULATION_STEPS micro-batches of the
 * step's slice of the epoch (seeded permutation), with the step's augmentations applied — stage-1
 * token masking, meta-masking and mixup at the scheduled probabilities.
 *
 * Every random choice comes from a generator derived from (seed, step, purpose), so the batches of
 * a step are a pure function of the step: a resumed run sees exactly the batches an uninterrupted
 * one would, with no sampler or augmentation state to save.
 */
import type { TrainNativeConfig } from '../config/types';
import { applyMetaMasking, applyMixup, rngFor, type DataBatch, type Dataset, type EpochSampler, type Rng } from '../data';
import type { NativeBatch } from '../native/types';
import type { Schedule } from '../schedule';
import { maskTokens } from './masked-tokens';

/** Stream ids for rngFor: one independent generator per purpose. */
export const STREAM = { MIXUP: 1, META_MASK: 2, MASK_TOKENS: 3, VAL_MASK_TOKENS: 4 } as const;

export interface BatchPlan {
  config: TrainNativeConfig;
  schedule: Schedule;
  data: Dataset;
  sampler: EpochSampler;
  /** Stage 1's [MASK] id; null when no stage 1. */
  maskTokenId: number | null;
}

/** Which epoch (0-based) and which batches of it optimizer step k consumes. */
export function stepSlice(plan: BatchPlan, k: number): { epoch: number; first: number; count: number } {
  const spe = plan.schedule.stepsPerEpoch;
  const a = plan.schedule.timeBase.accumulationSteps;
  const epoch = Math.floor(k / spe);
  const first = (k % spe) * a;
  const count = Math.min(a, plan.sampler.batchesPerEpoch - first);
  return { epoch, first, count };
}

/** Converts a gathered batch to the native shape for the current objective. */
export function toNativeBatch(b: DataBatch, objective: 'supervised' | 'masked_tokens', metaMask?: Float32Array): NativeBatch {
  const out: NativeBatch = { batchSize: b.batchSize, objective };
  if (b.features) out.features = b.features;
  if (b.tokens) out.tokens = b.tokens;
  if (b.labels && objective === 'supervised') out.labels = b.labels;
  if (b.meta) {
    out.meta = b.meta;
    if (metaMask) out.metaMask = metaMask;
  }
  return out;
}

/** Stage 1's batch: tokens with MASK_PROB of them hidden behind [MASK], targets only there. */
export function maskedTokenBatch(b: DataBatch, maskTokenId: number | null, maskProb: number, rng: Rng): NativeBatch {
  if (!b.tokens || maskTokenId === null) throw new Error('stage 1 needs token data and a [MASK] id');
  const m = maskTokens(b.tokens, b.batchSize, maskTokenId, maskProb, rng);
  return { ...toNativeBatch(b, 'masked_tokens'), tokens: m.tokens, targets: m.targets };
}

export function batchesForStep(plan: BatchPlan, k: number, stageName: string): NativeBatch[] {
  const { config, schedule, data, sampler } = plan;
  const seed = config.EXPERIMENT.SEED;
  const { epoch, first, count } = stepSlice(plan, k);
  const out: NativeBatch[] = [];
  const stage1 = stageName === 'stage1';
  const mixupProb = schedule.mixupProb(k);
  const metaProb = schedule.metaMaskProb(k);
  const partialProb = schedule.partialMetaMaskProb(k);
  const mm = config.SCHEDULE.META_MASKING;
  const mx = config.SCHEDULE.MIXUP;
  for (let j = 0; j < count; j++) {
    const batch = data.gather(sampler.batchIndices(epoch, first + j));
    if (stage1) {
      out.push(maskedTokenBatch(batch, plan.maskTokenId, config.STAGES.STAGE1.MASK_PROB, rngFor(seed, k, STREAM.MASK_TOKENS, j)));
      continue;
    }
    if (mixupProb > 0) {
      applyMixup(batch, { prob: mixupProb, alpha: mx.ALPHA, minGroupSize: mx.MIN_GROUP_SIZE, excludeNull: mx.EXCLUDE_NULL_SAMPLES, rng: rngFor(seed, k, STREAM.MIXUP, j) });
    }
    let metaMask: Float32Array | undefined;
    if (batch.meta && data.metaDim > 0 && (metaProb > 0 || partialProb > 0)) {
      metaMask = applyMetaMasking(batch, data.metaComponents, {
        fullProb: metaProb,
        partialProb,
        whitelist: mm.PARTIAL.WHITELIST,
        weights: mm.PARTIAL.WEIGHTS,
        rng: rngFor(seed, k, STREAM.META_MASK, j),
      });
    }
    out.push(toNativeBatch(batch, 'supervised', metaMask));
  }
  return out;
}
