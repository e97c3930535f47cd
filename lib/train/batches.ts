/**
 * What the session gets for optimizer step k: the ACCUMULATION_STEPS micro-batches of the step's
 * slice of the epoch (seeded permutation) as rows of the uploaded training split, with the step's
 * random decisions — stage-1 token masks, meta masks and mixup partners at the scheduled
 * probabilities. The session gathers the rows and applies the decisions on its device.
 *
 * Every random choice comes from a generator derived from (seed, step, purpose, micro-batch and
 * rank), so the batches of a step are a pure function of the step: a resumed run sees exactly the batches an uninterrupted
 * one would, with no sampler or augmentation state to save.
 */
import type { TrainNativeConfig } from '../config/types';
import { drawMetaMask, drawMixup, rngFor, type Dataset, type EpochSampler, type Rng } from '../data';
import type { IndexedBatch, SessionData } from '../native/types';
import type { Schedule } from '../schedule';
import { segmentOf } from '../schedule/time-base';
import { drawTokenMask } from './masked-tokens';

/** Stream ids for rngFor: one independent generator per purpose. */
export const STREAM = { MIXUP: 1, META_MASK: 2, MASK_TOKENS: 3, VAL_MASK_TOKENS: 4 } as const;

/** The split names the loop uploads with setData. */
export const SPLIT = { TRAIN: 'train', VAL: 'val' } as const;

export interface BatchPlan {
  config: TrainNativeConfig;
  schedule: Schedule;
  data: Dataset;
  sampler: EpochSampler;
  /** The sampler of stage 2's own batch size (STAGES.STAGE2.BATCH_SIZE), when it differs. */
  stage2Sampler?: EpochSampler;
  /** Stage 1's [MASK] id; null when no stage 1. */
  maskTokenId: number | null;
}

/** A split's arrays as the session takes them (views of the dataset's, no copy). */
export function sessionDataOf(data: Dataset): SessionData {
  const c = data.columns();
  const out: SessionData = { count: data.size };
  if (c.features) out.features = c.features;
  if (c.tokens) out.tokens = c.tokens;
  if (c.labels) out.labels = c.labels;
  if (c.meta && data.metaDim > 0) out.meta = c.meta;
  return out;
}

/** The sampler of the batch size step k's epoch has (stage 2 may have its own). */
export function samplerAt(plan: BatchPlan, k: number): EpochSampler {
  const b = segmentOf(plan.schedule.timeBase.segments, k).batchSize;
  return plan.stage2Sampler !== undefined && plan.stage2Sampler.batchSize === b ? plan.stage2Sampler : plan.sampler;
}

/** Which epoch (0-based) and which batches of it optimizer step k consumes. */
export function stepSlice(plan: BatchPlan, k: number): { epoch: number; first: number; count: number; sampler: EpochSampler } {
  const a = plan.schedule.timeBase.accumulationSteps;
  const at = plan.schedule.epochAt(k);
  const sampler = samplerAt(plan, k);
  const first = (k - at.start) * a;
  const count = Math.min(a, sampler.batchesPerEpoch - first);
  return { epoch: at.epoch, first, count, sampler };
}

/** Stage 1's batch: MASK_PROB of the tokens hidden behind [MASK], targets only there. */
export function maskedTokenBatch(split: string, indices: Int32Array, data: Dataset, maskTokenId: number | null, maskProb: number, rng: Rng): IndexedBatch {
  if (data.kind !== 'tokens' || maskTokenId === null) throw new Error('stage 1 needs token data and a [MASK] id');
  const tokenMask = drawTokenMask(indices.length, data.width, maskProb, rng);
  return { split, indices, objective: 'masked_tokens', tokenMask, maskTokenId };
}

/** True when mixup has something to mix in this data: features, metadata or regression targets. */
function mixable(data: Dataset): boolean {
  return data.kind === 'features' || data.metaDim > 0 || data.labelKind === 'regression';
}

function groupsOf(data: Dataset, indices: Int32Array): Int32Array | undefined {
  const all = data.columns().groups;
  return all ? Int32Array.from(indices, (i) => all[i]) : undefined;
}

export function batchesForStep(plan: BatchPlan, k: number, stageName: string): IndexedBatch[] {
  const { config, schedule, data } = plan;
  const seed = config.EXPERIMENT.SEED;
  const { epoch, first, count, sampler } = stepSlice(plan, k);
  const out: IndexedBatch[] = [];
  const stage1 = stageName === 'stage1' && config.STAGES.STAGE1.OBJECTIVE === 'masked_tokens';
  const mixupProb = schedule.mixupProb(k);
  const metaProb = schedule.metaMaskProb(k);
  const partialProb = schedule.partialMetaMaskProb(k);
  const mm = config.SCHEDULE.META_MASKING;
  const mx = config.SCHEDULE.MIXUP;
  for (let j = 0; j < count; j++) {
    const indices = sampler.batchIndices(epoch, first + j);
    // Each rank draws its own decisions for its slice (one process: stream j, as before).
    const sub = j * sampler.worldSize + sampler.rank;
    if (stage1) {
      out.push(maskedTokenBatch(SPLIT.TRAIN, indices, data, plan.maskTokenId, config.STAGES.STAGE1.MASK_PROB, rngFor(seed, k, STREAM.MASK_TOKENS, sub)));
      continue;
    }
    const batch: IndexedBatch = { split: SPLIT.TRAIN, indices, objective: 'supervised' };
    if (mixupProb > 0) {
      const opts = { prob: mixupProb, alpha: mx.ALPHA, minGroupSize: mx.MIN_GROUP_SIZE, excludeNull: mx.EXCLUDE_NULL_SAMPLES, rng: rngFor(seed, k, STREAM.MIXUP, sub) };
      const mixup = drawMixup(groupsOf(data, indices), indices.length, mixable(data), opts);
      if (mixup) batch.mixup = mixup;
    }
    if (data.metaDim > 0 && (metaProb > 0 || partialProb > 0)) {
      batch.metaMask = drawMetaMask(indices.length, data.metaComponents, {
        fullProb: metaProb,
        partialProb,
        whitelist: mm.PARTIAL.WHITELIST,
        weights: mm.PARTIAL.WEIGHTS,
        rng: rngFor(seed, k, STREAM.META_MASK, sub),
      });
    }
    out.push(batch);
  }
  return out;
}
