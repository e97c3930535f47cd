/**
 * Group-wise mixup (SPEC §6, seed 000). With probability `prob` per batch, λ ~ Beta(α, α) and,
 * inside each group of the batch with at least minGroupSize members (group -1 = "no group" is
 * left out when excludeNull), every member i is mixed with a random member perm(i) of its own
 * group: x_i = λ·x_i + (1-λ)·x_perm(i), for features, metadata and regression targets.
 * Class labels are kept: groups are meant to be label-homogeneous (e.g. a taxonomic level at or
 * below the predicted one), so a mix of two members shares their label. Tokens are discrete and
 * never mixed. drawMixup makes the decision (the session applies it on its device);
 * applyMixupDecision is the reference for that, on arrays. The caller derives `rng` from the step.
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

/**
 * What mixup decided for one batch: row members[i] becomes lambda·row + (1-lambda)·row partners[i].
 * Members of every mixed group, concatenated in group order; each partner is a member of its group.
 */
export interface MixupDecision {
  members: Int32Array;
  partners: Int32Array;
  lambda: number;
}

/** The rows mixup may change: features, metadata and regression targets (never tokens or class ids). */
export interface MixableRows {
  batchSize: number;
  features?: Float32Array;
  meta?: Float32Array;
  targets?: Float32Array;
}

/**
 * Draws the mixup decision for a batch with `groups` (mixup group id per row) from opts.rng; null
 * when nothing is mixed. `mixable`: the batch has features, metadata or regression targets.
 */
export function drawMixup(groups: ArrayLike<number> | undefined, batchSize: number, mixable: boolean, opts: MixupOptions): MixupDecision | null {
  if (!groups || batchSize === 0 || !mixable) return null;
  if (!(opts.prob > 0) || opts.rng.nextFloat() >= opts.prob) return null;
  const lambda = opts.rng.beta(opts.alpha, opts.alpha);

  // Members of each group in batch order; groups in order of first appearance (deterministic).
  const byGroup = new Map<number, number[]>();
  for (let i = 0; i < batchSize; i++) {
    if (groups[i] === -1 && opts.excludeNull) continue;
    const list = byGroup.get(groups[i]);
    if (list) list.push(i);
    else byGroup.set(groups[i], [i]);
  }
  const members: number[] = [];
  const partners: number[] = [];
  for (const group of byGroup.values()) {
    if (group.length < Math.max(2, opts.minGroupSize)) continue;
    const p = group.slice();
    for (let i = p.length - 1; i > 0; i--) {
      const j = opts.rng.nextInt(i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    members.push(...group);
    partners.push(...p);
  }
  return members.length > 0 ? { members: Int32Array.from(members), partners: Int32Array.from(partners), lambda } : null;
}

/** Mixes rows `members` of a row-major [B, width] array with rows `partners`, reading the originals. */
function mixRows(values: Float32Array, width: number, d: MixupDecision): void {
  const { members, partners, lambda } = d;
  const original = new Float32Array(members.length * width);
  members.forEach((r, k) => original.set(values.subarray(r * width, (r + 1) * width), k * width));
  const slot = new Map(Array.from(members, (r, k) => [r, k]));
  members.forEach((r, k) => {
    const p = slot.get(partners[k]) as number;
    for (let j = 0; j < width; j++) values[r * width + j] = lambda * original[k * width + j] + (1 - lambda) * original[p * width + j];
  });
}

/**
 * Applies a decision to the arrays in place (the reference for the session's on-device mixing):
 * every value in double precision, rounded to float32 when stored.
 */
export function applyMixupDecision(rows: MixableRows, d: MixupDecision): void {
  const b = rows.batchSize;
  if (rows.features) mixRows(rows.features, rows.features.length / b, d);
  if (rows.meta) mixRows(rows.meta, rows.meta.length / b, d);
  if (rows.targets) mixRows(rows.targets, rows.targets.length / b, d);
}

/** drawMixup, then applyMixupDecision to the batch (in place). */
export function applyMixup(batch: DataBatch, opts: MixupOptions): MixupResult {
  const rows: MixableRows = { batchSize: batch.batchSize, features: batch.features, meta: batch.meta, targets: batch.labels instanceof Float32Array ? batch.labels : undefined };
  const d = drawMixup(batch.groups, batch.batchSize, !!(rows.features || rows.meta || rows.targets), opts);
  if (d === null) return NOT_APPLIED;
  applyMixupDecision(rows, d);
  return { applied: true, lambda: d.lambda };
}
