/**
 * DATA.RANDOM_OFFSETS: every epoch, sample i (stream block b) starts at b·STRIDE + o with o drawn
 * from (seed, epoch, b) in [0, STRIDE). The tokens of an epoch are a pure function of the epoch,
 * so a resumed run re-derives them (no state to save), and over the epochs the model sees every
 * position of the stream, not only the block starts.
 */
import type { ArrayDataset } from './array-dataset';
import { rngFor } from './rng';
import { fillBlocks } from './sources/token-source';

/** Stream id of the offsets' generator (beside RNG_PURPOSE's). */
export const OFFSETS_PURPOSE = 0x44410006;

/** The epoch's tokens ([size, block] row-major), or null when the dataset's blocks do not move. */
export function tokensForEpoch(data: ArrayDataset, seed: number, epoch: number): Int32Array | null {
  const ts = data.tokenStream;
  if (!ts || !ts.blocking.randomOffsets || ts.blocking.stride <= 1) return null;
  const n = data.size;
  const offsets = new Int32Array(n);
  const blocks = ts.blocks ?? Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) offsets[i] = rngFor(seed, OFFSETS_PURPOSE, epoch, blocks[i]).nextInt(ts.blocking.stride);
  const out = new Int32Array(n * ts.blocking.block);
  // fillBlocks places sample i at i·stride; a subset's sample sits at its stream block instead.
  const shifted = Int32Array.from(offsets, (o, i) => (blocks[i] - i) * ts.blocking.stride + o);
  fillBlocks(ts.stream, ts.blocking, n, out, shifted);
  return out;
}
