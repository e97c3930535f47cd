/**
 * Stage 1's self-supervised objective (seed 002): hide a random MASK_PROB of each sequence's
 * tokens behind the [MASK] id and train the encoder's masked-token head to recover them. Only
 * masked positions carry a target; the rest are -100 (ignored by the loss).
 *
 * drawTokenMask makes the decision (IndexedBatch.tokenMask; the session applies it on its device);
 * applyTokenMask is the reference for that, on arrays.
 */
import type { Rng } from '../data';

export const IGNORE_INDEX = -100;

/**
 * Which positions of a [batchSize, seqLen] token batch are masked (1) — every sequence gets at
 * least one, so no sample contributes an empty loss.
 */
export function drawTokenMask(batchSize: number, seqLen: number, maskProb: number, rng: Rng): Uint8Array {
  const mask = new Uint8Array(batchSize * seqLen);
  for (let b = 0; b < batchSize; b++) {
    const row = b * seqLen;
    let any = false;
    for (let i = 0; i < seqLen; i++) {
      if (rng.nextFloat() < maskProb) {
        mask[row + i] = 1;
        any = true;
      }
    }
    if (!any) mask[row + rng.nextInt(seqLen)] = 1;
  }
  return mask;
}

/** Masked copies of `tokens` and the targets: the original token where `mask` is 1, else -100. */
export function applyTokenMask(tokens: Int32Array, mask: Uint8Array, maskTokenId: number): { tokens: Int32Array; targets: Int32Array } {
  const masked = new Int32Array(tokens);
  const targets = new Int32Array(tokens.length).fill(IGNORE_INDEX);
  for (let i = 0; i < tokens.length; i++) {
    if (mask[i] === 1) {
      targets[i] = tokens[i];
      masked[i] = maskTokenId;
    }
  }
  return { tokens: masked, targets };
}
