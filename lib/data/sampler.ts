/**
 * Batch order. EpochSampler shuffles each epoch with a seeded Fisher–Yates permutation that is a
 * pure function of (seed, epoch), so the sample indices of any (epoch, batch) can be recomputed:
 * resuming needs only the position, never sampler state. With several processes (worldSize W),
 * one global batch is B·W consecutive entries of the permutation and rank r takes its r-th slice,
 * so batchesPerEpoch = floor(N / (B·W)) with dropLast, else ceil (SPEC §1); without dropLast the
 * last global batch is short and is split in rank order (a rank may get fewer or no samples).
 */
import { rngFor, RNG_PURPOSE } from './rng';
import { permutation } from './split';

export interface EpochSamplerOptions {
  /** Training samples N */
  size: number;
  /** Per-process batch size */
  batchSize: number;
  dropLast: boolean;
  seed: number;
  /** default 0 */
  rank?: number;
  /** default 1 */
  worldSize?: number;
}

export class EpochSampler {
  readonly size: number;
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly seed: number;
  readonly rank: number;
  readonly worldSize: number;
  readonly batchesPerEpoch: number;
  private cachedEpoch = -1;
  private cachedPerm: Int32Array = new Int32Array(0);

  constructor(opts: EpochSamplerOptions) {
    this.size = opts.size;
    this.batchSize = opts.batchSize;
    this.dropLast = opts.dropLast;
    this.seed = opts.seed;
    this.rank = opts.rank ?? 0;
    this.worldSize = opts.worldSize ?? 1;
    if (!(Number.isInteger(this.size) && this.size >= 1)) throw new RangeError(`EpochSampler: size must be a positive integer, got ${this.size}`);
    if (!(Number.isInteger(this.batchSize) && this.batchSize >= 1)) throw new RangeError(`EpochSampler: batchSize must be a positive integer, got ${this.batchSize}`);
    if (!(Number.isInteger(this.worldSize) && this.worldSize >= 1 && Number.isInteger(this.rank) && this.rank >= 0 && this.rank < this.worldSize)) {
      throw new RangeError(`EpochSampler: need 0 <= rank < worldSize, got rank ${this.rank}, worldSize ${this.worldSize}`);
    }
    const global = this.batchSize * this.worldSize;
    this.batchesPerEpoch = this.dropLast ? Math.floor(this.size / global) : Math.ceil(this.size / global);
  }

  /** The epoch's permutation of 0..N-1 (epochs counted from 0); the latest one is cached. */
  permutation(epoch: number): Int32Array {
    if (epoch !== this.cachedEpoch) {
      this.cachedPerm = permutation(this.size, rngFor(this.seed, RNG_PURPOSE.shuffle, epoch));
      this.cachedEpoch = epoch;
    }
    return this.cachedPerm;
  }

  /** Sample indices of batch `batch` (0-based) of epoch `epoch` (0-based) for this rank; a copy. */
  batchIndices(epoch: number, batch: number): Int32Array {
    if (!(Number.isInteger(epoch) && epoch >= 0)) throw new RangeError(`EpochSampler: epoch must be an integer >= 0, got ${epoch}`);
    if (!(Number.isInteger(batch) && batch >= 0 && batch < this.batchesPerEpoch)) {
      throw new RangeError(`EpochSampler: batch ${batch} is outside 0..${this.batchesPerEpoch - 1}`);
    }
    const start = Math.min(this.size, (batch * this.worldSize + this.rank) * this.batchSize);
    const end = Math.min(this.size, start + this.batchSize);
    return this.permutation(epoch).slice(start, end);
  }
}

/** Validation order: 0..size-1 in order, in batches of batchSize; the last batch may be short. */
export function sequentialBatches(size: number, batchSize: number): Int32Array[] {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`sequentialBatches: batchSize must be a positive integer, got ${batchSize}`);
  const out: Int32Array[] = [];
  for (let start = 0; start < size; start += batchSize) {
    const end = Math.min(size, start + batchSize);
    const b = new Int32Array(end - start);
    for (let i = 0; i < b.length; i++) b[i] = start + i;
    out.push(b);
  }
  return out;
}
