/**
 * Whether a lower or a higher value of a metric is better, inferred from its name (SPEC §5).
 * Shared by early stopping and the plateau scheduler so they never disagree about one metric.
 */
export type MetricMode = 'min' | 'max';

const LOWER = new Set(['loss', 'error', 'err', 'mae', 'mse', 'rmse', 'perplexity', 'ppl']);
const HIGHER = new Set(['accuracy', 'acc', 'f1', 'iou', 'dice', 'auc', 'r2', 'precision', 'recall']);

/**
 * Looks at the name's words from the last one back (`val_chain_accuracy` → accuracy → max), so a
 * prefix such as `val_` or `loss_weighted_` does not decide. Undefined when no word is known.
 */
export function inferModeOrUndefined(metric: string): MetricMode | undefined {
  const words = metric.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 0);
  for (let i = words.length - 1; i >= 0; i--) {
    if (LOWER.has(words[i])) return 'min';
    if (HIGHER.has(words[i])) return 'max';
  }
  return undefined;
}

/** As above, falling back to 'min' (the common case: a loss); warnings.ts reports the fallback. */
export function inferMode(metric: string): MetricMode {
  return inferModeOrUndefined(metric) ?? 'min';
}

export function resolveMode(metric: string, mode: 'auto' | 'min' | 'max'): MetricMode {
  return mode === 'auto' ? inferMode(metric) : mode;
}
