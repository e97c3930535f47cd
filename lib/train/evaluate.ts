/**
 * Validation passes: the whole validation split through NativeSession.evaluate (eval mode, no
 * grad), the sums combined into metrics. Variants mask metadata components (seed 000): all of
 * them (mask-meta validation), or one combination at a time (partial and final-epoch exhaustive).
 * Stage 1 validates the masked-token objective with a fixed masking per batch, so its numbers are
 * comparable from one validation to the next.
 */
import { metaMaskFor, rngFor, sequentialBatches, type Dataset } from '../data';
import type { EvalResult, IndexedBatch, NativeSession } from '../native/types';
import { maskedTokenBatch, SPLIT, STREAM } from './batches';
import { allReducedResults, shardOf } from './dist';

export interface EvalPlan {
  data: Dataset;
  batchSize: number;
  seed: number;
  maskTokenId: number | null;
  maskProb: number;
}

export interface Sums {
  kind: EvalResult['kind'] | null;
  lossSum: number;
  count: number;
  correct: number;
  absErrorSum: number;
  sqErrorSum: number;
  targetSum: number;
  targetSqSum: number;
  valueCount: number;
}

export function emptySums(): Sums {
  return { kind: null, lossSum: 0, count: 0, correct: 0, absErrorSum: 0, sqErrorSum: 0, targetSum: 0, targetSqSum: 0, valueCount: 0 };
}

export function addSums(s: Sums, r: EvalResult): void {
  s.kind = r.kind;
  s.lossSum += r.lossSum;
  s.count += r.count;
  s.correct += r.correct ?? 0;
  s.absErrorSum += r.absErrorSum ?? 0;
  s.sqErrorSum += r.sqErrorSum ?? 0;
  s.targetSum += r.targetSum ?? 0;
  s.targetSqSum += r.targetSqSum ?? 0;
  s.valueCount += r.valueCount ?? 0;
}

/** Metric names without a split prefix: loss, accuracy (classification, tokens), mae, rmse, r2, perplexity. */
export function metricsFromSums(s: Sums): Record<string, number> {
  const loss = s.count > 0 ? s.lossSum / s.count : Number.NaN;
  if (s.kind === 'loss') return { loss }; // a module that computes its own loss (MODEL.LOSS model)
  if (s.kind === 'regression') {
    const n = s.valueCount;
    const sst = s.targetSqSum - (s.targetSum * s.targetSum) / n;
    return { loss, mae: s.absErrorSum / n, rmse: Math.sqrt(s.sqErrorSum / n), r2: sst > 0 ? 1 - s.sqErrorSum / sst : Number.NaN };
  }
  const out: Record<string, number> = { loss, accuracy: s.count > 0 ? s.correct / s.count : Number.NaN };
  if (s.kind === 'tokens') out.perplexity = Math.exp(loss);
  return out;
}

/** The validation split's batches for one pass: rows in order, with the pass's fixed decisions. */
export function evalBatches(plan: EvalPlan, opts: EvalPassOptions): IndexedBatch[] {
  const { data } = plan;
  return sequentialBatches(data.size, plan.batchSize).map((indices, i) => {
    if (opts.stage1) return maskedTokenBatch(SPLIT.VAL, indices, data, plan.maskTokenId, plan.maskProb, rngFor(plan.seed, 0, STREAM.VAL_MASK_TOKENS, i));
    const batch: IndexedBatch = { split: SPLIT.VAL, indices, objective: 'supervised' };
    if (data.metaDim > 0 && opts.maskedComponents.length > 0) batch.metaMask = metaMaskFor(data.metaComponents, [...opts.maskedComponents], indices.length, data.metaDim);
    return batch;
  });
}

export interface EvalPassOptions {
  /** Metadata components hidden from the model (empty: none). */
  maskedComponents: readonly string[];
  /** Score the masked-token objective instead of the supervised one. */
  stage1: boolean;
}

/**
 * Evaluates the whole split: every batch is queued at once (the session runs them in order) and
 * the sums are combined in batch order. With several processes each evaluates every W-th batch
 * and the sums are all-reduced: every rank gets the metrics one process would have.
 */
export async function evaluateSplit(session: NativeSession, batches: readonly IndexedBatch[]): Promise<Record<string, number>> {
  // Distributed: this rank's share of the batches, the sums all-reduced (dist.ts).
  const mine = await Promise.all(shardOf(batches, session.dist).map((b) => session.evaluate(b)));
  const results = await allReducedResults(session, mine);
  const sums = emptySums();
  for (const r of results) addSums(sums, r);
  return metricsFromSums(sums);
}

/** `A+B` for a combination of components (split names, TensorBoard tags). */
export function comboName(components: readonly string[]): string {
  return components.length === 0 ? 'none' : components.join('+');
}
