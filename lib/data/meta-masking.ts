/**
 * Meta-masking (SPEC §6, seed 000): a per-sample keep/drop mask over metadata columns, so the model
 * learns to work with missing metadata. Each sample is fully masked with probability fullProb; a
 * sample that is not then has, with probability partialProb, one WHITELIST combination of
 * components masked (drawn by WEIGHTS, uniform when absent). The mask is [B, metaDim] floats,
 * 1 = keep, 0 = masked, as NativeBatch.metaMask expects. The caller derives `rng` from the step
 * (rngFor(seed, step, purpose, ...)) so masks need no checkpointed state.
 */
import { ConfigError } from '../config/errors';
import type { Rng } from './rng';
import type { MetaComponent } from './types';

export interface MetaMaskingOptions {
  /** Probability that a sample's metadata is masked entirely. */
  fullProb: number;
  /** Probability that a sample not fully masked gets one whitelist combination masked. */
  partialProb: number;
  /** Component-name combinations partial masking chooses from. */
  whitelist: string[][];
  /** Sampling weights of the whitelist combinations (uniform when absent). */
  weights?: number[];
  rng: Rng;
}

const WHITELIST_KEY = 'SCHEDULE.META_MASKING.PARTIAL.WHITELIST';
const WEIGHTS_KEY = 'SCHEDULE.META_MASKING.PARTIAL.WEIGHTS';

function metaDimOf(components: readonly MetaComponent[]): number {
  return components.reduce((m, c) => Math.max(m, c.offset + c.width), 0);
}

/** The components named in `names`; an unknown name is a config error on `keyPath`. */
function resolveNames(components: readonly MetaComponent[], names: readonly string[], keyPath: string): MetaComponent[] {
  return names.map((name) => {
    const c = components.find((x) => x.name === name);
    if (!c) {
      const known = components.map((x) => x.name).join(', ') || 'none (DATA.META_COMPONENTS is empty)';
      throw new ConfigError(`unknown metadata component '${name}'; DATA.META_COMPONENTS has: ${known}`, keyPath);
    }
    return c;
  });
}

function zeroComponents(mask: Float32Array, row: number, metaDim: number, comps: readonly MetaComponent[]): void {
  for (const c of comps) mask.fill(0, row * metaDim + c.offset, row * metaDim + c.offset + c.width);
}

/** Cumulative weights for drawing a combination; validates WEIGHTS. */
function cumulativeWeights(count: number, weights: number[] | undefined): number[] {
  const w = weights ?? new Array<number>(count).fill(1);
  if (w.length !== count) throw new ConfigError(`has ${w.length} weights but WHITELIST has ${count} combinations; give one weight per combination`, WEIGHTS_KEY);
  if (w.some((x) => !(Number.isFinite(x) && x >= 0))) throw new ConfigError(`weights must be finite numbers >= 0, got [${w.join(', ')}]`, WEIGHTS_KEY);
  let acc = 0;
  const cum = w.map((x) => (acc += x));
  if (count > 0 && acc <= 0) throw new ConfigError('weights must not all be 0', WEIGHTS_KEY);
  return cum;
}

/**
 * Checks WHITELIST names and WEIGHTS against the data's components up front, so a typo fails
 * before training starts rather than at the first step that masks.
 */
export function validateMetaMasking(components: readonly MetaComponent[], whitelist: readonly string[][], weights?: number[]): void {
  whitelist.forEach((names) => resolveNames(components, names, WHITELIST_KEY));
  cumulativeWeights(whitelist.length, weights);
}

/** Draws a [batchSize, metaDim] mask from opts.rng: the decision the session applies to the metadata. */
export function drawMetaMask(batchSize: number, components: readonly MetaComponent[], opts: MetaMaskingOptions): Float32Array {
  const metaDim = metaDimOf(components);
  const combos = opts.whitelist.map((names) => resolveNames(components, names, WHITELIST_KEY));
  const cum = cumulativeWeights(combos.length, opts.weights);
  const total = cum.length > 0 ? cum[cum.length - 1] : 0;
  const mask = new Float32Array(batchSize * metaDim).fill(1);
  for (let i = 0; i < batchSize; i++) {
    if (opts.fullProb > 0 && opts.rng.nextFloat() < opts.fullProb) {
      mask.fill(0, i * metaDim, (i + 1) * metaDim);
      continue;
    }
    if (combos.length === 0 || !(opts.partialProb > 0) || opts.rng.nextFloat() >= opts.partialProb) continue;
    const u = opts.rng.nextFloat() * total;
    let k = 0;
    while (k < cum.length - 1 && cum[k] <= u) k++;
    zeroComponents(mask, i, metaDim, combos[k]);
  }
  return mask;
}

/**
 * A fixed mask for validation variants: `maskedNames` masked in every sample, everything else kept
 * (all component names = fully masked metadata; [] = nothing masked).
 */
export function metaMaskFor(
  components: readonly MetaComponent[],
  maskedNames: readonly string[],
  batchSize: number,
  metaDim: number,
  keyPath = 'SCHEDULE.VALIDATION.PARTIAL_MASK_META.WHITELIST',
): Float32Array {
  if (metaDim < metaDimOf(components)) throw new RangeError(`metaMaskFor: metaDim ${metaDim} is smaller than the components' ${metaDimOf(components)} columns`);
  const comps = resolveNames(components, maskedNames, keyPath);
  const mask = new Float32Array(batchSize * metaDim).fill(1);
  for (let i = 0; i < batchSize; i++) zeroComponents(mask, i, metaDim, comps);
  return mask;
}
