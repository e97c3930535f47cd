/**
 * Group-wise mixup (SPEC §6, seed 000). With probability `prob` per batch, λ ~ Beta(α, α) and,
 * inside each group of the batch with at least minGroupSize members (group -1 = "no group" is
 * left out when excludeNull), every member i is mixed with a random member perm(i) of its own
 * group: x_i = λ·x_i + (1-λ)·x_perm(i), for features, metadata and regression targets.
 * Class labels are kept: groups are meant to be label-homogeneous (e.g. a taxonomic level at or
 * below the predicted one), so a mix of two members shares their label. Tokens are discrete and
 * never mixed. The batch is changed in place; the caller derives `rng` from the step.
 */
import type { Rng } from './rng';
import type { DataBatch } from './types';

export interface MixupOptions {
  prob: number;
  alpha: number;
  minGroupSize: number;
  excludeNull: boolean;
  rng: Rng;
}

export interface MixupResult {
  /** true when at least one group was mixed */
  applied: boolean;
  /** the mixing weight of each sample's own values (1 when not applied) */
  lambda: number;
}

const NOT_APPLIED: MixupResult = { applied: false, lambda: 1 };

/** Mixes rows `members` of a row-major [B, width] array with rows `partners`, reading the originals. */
function mixRows(values: Float32Array, width: number, members: readonly number[], partners: readonly number[], lambda: number): void {
  const original = new Float32Array(members.length * width);
  members.forEach((r, k) => original.set(values.subarray(r * width, (r + 1) * width), k * width));
  const slot = new Map(members.map((r, k) => [r, k]));
  members.forEach((r, k) => {
    const p = slot.get(partners[k]) as number;
    for (let j = 0; j < width; j++) values[r * width + j] = lambda * original[k * width + j] + (1 - lambda) * original[p * width + j];
  });
}

export function applyMixup(batch: DataBatch, opts: MixupOptions): MixupResult {
  const b = batch.batchSize;
  const groups = batch.groups;
  const targets = batch.labels instanceof Float32Array ? batch.labels : undefined;
  if (!groups || b === 0 || (!batch.features && !batch.meta && !targets)) return NOT_APPLIED;
  if (!(opts.prob > 0) || opts.rng.nextFloat() >= opts.prob) return NOT_APPLIED;
  const lambda = opts.rng.beta(opts.alpha, opts.alpha);

  // Members of each group in batch order; groups in order of first appearance (deterministic).
  const byGroup = new Map<number, number[]>();
  for (let i = 0; i < b; i++) {
    if (groups[i] === -1 && opts.excludeNull) continue;
    const list = byGroup.get(groups[i]);
    if (list) list.push(i);
    else byGroup.set(groups[i], [i]);
  }
  let applied = false;
  for (const members of byGroup.values()) {
    if (members.length < Math.max(2, opts.minGroupSize)) continue;
    const partners = members.slice();
    for (let i = partners.length - 1; i > 0; i--) {
      const j = opts.rng.nextInt(i + 1);
      [partners[i], partners[j]] = [partners[j], partners[i]];
    }
    if (batch.features) mixRows(batch.features, batch.features.length / b, members, partners, lambda);
    if (batch.meta) mixRows(batch.meta, batch.meta.length / b, members, partners, lambda);
    if (targets) mixRows(targets, targets.length / b, members, partners, lambda);
    applied = true;
  }
  return applied ? { applied, lambda } : NOT_APPLIED;
}
