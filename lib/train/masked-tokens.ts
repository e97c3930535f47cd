/**
 * Stage 1's self-supervised objective (seed 002): hide a random MASK_PROB of each sequence's
 * tokens behind the [MASK] id and train the encoder's masked-token head to recover them. Only
 * masked positions carry a target; the rest are -100 (ignored by the loss).
 */
import type { Rng } from '../data';

export const IGNORE_INDEX = -100;

/**
 * Returns masked copies of `tokens` ([batch, seqLen]) and the targets. Every sequence gets at least
 * one masked position, so no sample contributes an empty loss.
 */
export function maskTokens(
  tokens: Int32Array,
  batchSize: number,
  maskTokenId: number,
  maskProb: number,
  rng: Rng,
): { tokens: Int32Array; targets: Int32Array } {
  const seqLen = tokens.length / batchSize;
  const masked = new Int32Array(tokens);
  const targets = new Int32Array(tokens.length).fill(IGNORE_INDEX);
  for (let b = 0; b < batchSize; b++) {
    const row = b * seqLen;
    let any = false;
    for (let i = 0; i < seqLen; i++) {
      if (rng.nextFloat() < maskProb) {
        targets[row + i] = tokens[row + i];
        masked[row + i] = maskTokenId;
        any = true;
      }
    }
    if (!any) {
      const i = rng.nextInt(seqLen);
      targets[row + i] = tokens[row + i];
      masked[row + i] = maskTokenId;
    }
  }
  return { tokens: masked, targets };
}
