/**
 * Validation passes: the whole validation split through NativeTrainer.evaluate (eval mode, no
 * grad), the sums combined into metrics. Variants mask metadata components (seed 000): all of
 * them (mask-meta validation), or one combination at a time (partial and final-epoch exhaustive).
 * Stage 1 validates the masked-token objective with a fixed masking per batch, so its numbers are
 * comparable from one validation to the next.
 */
import { metaMaskFor, rngFor, sequentialBatches, type Dataset } from '../data';
import type { EvalResult, NativeBatch, NativeTrainerInstance } from '../native/types';
import { maskedTokenBatch, STREAM, toNativeBatch } from './batches';

export interface EvalPlan {
  data: Dataset;
  batchSize: number;
  seed: number;
  maskTokenId: number | null;
  maskProb: number;
}

interface Sums {
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

function emptySums(): Sums {
  return { kind: null, lossSum: 0, count: 0, correct: 0, absErrorSum: 0, sqErrorSum: 0, targetSum: 0, targetSqSum: 0, valueCount: 0 };
}

function add(s: Sums, r: EvalResult): void {
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
  if (s.kind === 'regression') {
    const n = s.valueCount;
    const sst = s.targetSqSum - (s.targetSum * s.targetSum) / n;
    return { loss, mae: s.absErrorSum / n, rmse: Math.sqrt(s.sqErrorSum / n), r2: sst > 0 ? 1 - s.sqErrorSum / sst : Number.NaN };
  }
  const out: Record<string, number> = { loss, accuracy: s.count > 0 ? s.correct / s.count : Number.NaN };
  if (s.kind === 'tokens') out.perplexity = Math.exp(loss);
  return out;
}

/**
 * Evaluates the whole split. `maskedComponents`: metadata components hidden from the model
 * (empty: none). `stage1`: score the masked-token objective instead of the supervised one.
 */
export async function evaluateSplit(
  trainer: NativeTrainerInstance,
  plan: EvalPlan,
  opts: { maskedComponents: readonly string[]; stage1: boolean },
): Promise<Record<string, number>> {
  const { data } = plan;
  const sums = emptySums();
  const batches = sequentialBatches(data.size, plan.batchSize);
  for (let i = 0; i < batches.length; i++) {
    const b = data.gather(batches[i]);
    let nb: NativeBatch;
    if (opts.stage1) {
      nb = maskedTokenBatch(b, plan.maskTokenId, plan.maskProb, rngFor(plan.seed, 0, STREAM.VAL_MASK_TOKENS, i));
    } else {
      const mask = b.meta && opts.maskedComponents.length > 0 ? metaMaskFor(data.metaComponents, [...opts.maskedComponents], b.batchSize, data.metaDim) : undefined;
      nb = toNativeBatch(b, 'supervised', mask);
    }
    add(sums, await trainer.evaluate(nb));
  }
  return metricsFromSums(sums);
}

/** `A+B` for a combination of components (split names, TensorBoard tags). */
export function comboName(components: readonly string[]): string {
  return components.length === 0 ? 'none' : components.join('+');
}
