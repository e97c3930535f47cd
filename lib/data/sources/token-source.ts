/**
 * DATA.SOURCE tokens and text: a flat stream of tokens cut into blocks of BLOCK_SIZE tokens, one
 * block a sample, starting every STRIDE tokens (default BLOCK_SIZE: no overlap; tokens after the
 * last whole block are dropped). With RANDOM_OFFSETS each start also leaves room for an offset
 * of up to STRIDE - 1 tokens (lib/data/offsets.ts moves the blocks each epoch).
 *   tokens: little-endian uint16 or uint32 ids (DATA.TOKEN_DTYPE), e.g. a nanoGPT-style train.bin.
 *   text:   a UTF-8 file read as bytes, so the vocabulary is the 256 byte values.
 * A gpt model shifts inside (targets = next tokens), so a block is just BLOCK_SIZE tokens.
 */
import * as fs from 'fs';
import { ArrayDataset } from '../array-dataset';
import { DataError } from '../errors';

/** Block length when DATA.BLOCK_SIZE is absent (the same as synthetic:language's). */
export const DEFAULT_BLOCK_SIZE = 64;

export const TEXT_VOCAB_SIZE = 256;

function readBytes(file: string, shown: string, source: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const looked = file !== shown ? ` (looked for ${file})` : '';
    throw new DataError(shown, code === 'ENOENT' ? `file not found${looked}; DATA.SOURCE ${source} needs TRAIN_PATH / VAL_PATH to be a file` : `cannot read the file (${code ?? String(e)})`);
  }
}

/**
 * Blocks of `block` tokens starting every `stride` tokens in a stream of `tokens`; with random
 * offsets the last start keeps stride - 1 tokens spare so any offset still fits.
 */
export function blockCount(tokens: number, block: number, stride: number, randomOffsets = false): number {
  const room = tokens - block - (randomOffsets ? stride - 1 : 0);
  return room < 0 ? 0 : Math.floor(room / stride) + 1;
}

export interface Blocking {
  block: number;
  stride: number;
  randomOffsets: boolean;
}

/** The samples' tokens for one arrangement: block i starts at i·stride + offsets[i]. */
export function fillBlocks(stream: ArrayLike<number>, blocking: Blocking, count: number, out: Int32Array, offsets?: Int32Array): void {
  const { block, stride } = blocking;
  for (let i = 0; i < count; i++) {
    const start = i * stride + (offsets ? offsets[i] : 0);
    for (let j = 0; j < block; j++) out[i * block + j] = stream[start + j];
  }
}

function cutBlocks(stream: ArrayLike<number>, blocking: Blocking, shown: string, vocabSize?: number): ArrayDataset {
  const { block, stride, randomOffsets } = blocking;
  const blocks = blockCount(stream.length, block, stride, randomOffsets);
  if (blocks === 0) {
    throw new DataError(shown, `has ${stream.length} tokens, fewer than one block of DATA.BLOCK_SIZE ${block}${randomOffsets ? ` plus STRIDE - 1 (${stride - 1}) for DATA.RANDOM_OFFSETS` : ''}; use a longer file or a smaller DATA.BLOCK_SIZE`);
  }
  const tokens = new Int32Array(blocks * block);
  fillBlocks(stream, blocking, blocks, tokens);
  const ds = new ArrayDataset({ size: blocks, kind: 'tokens', width: block, tokens, labelKind: 'none', vocabSize, metaComponents: [] });
  if (randomOffsets) ds.tokenStream = { stream, blocking };
  return ds;
}

export function loadTokenFile(file: string, shown: string, dtype: 'uint16' | 'uint32', blocking: Blocking): ArrayDataset {
  const bytes = readBytes(file, shown, 'tokens');
  const itemSize = dtype === 'uint16' ? 2 : 4;
  if (bytes.length % itemSize !== 0) {
    throw new DataError(shown, `is ${bytes.length} bytes, not a multiple of ${itemSize}; DATA.TOKEN_DTYPE ${dtype} needs ${itemSize} bytes per token (is the dtype right?)`);
  }
  const count = bytes.length / itemSize;
  // Copy to an aligned buffer; the ids are little-endian like the host (checked in npy.ts).
  const aligned = new Uint8Array(bytes.length);
  aligned.set(bytes);
  const stream = dtype === 'uint16' ? new Uint16Array(aligned.buffer, 0, count) : new Uint32Array(aligned.buffer, 0, count);
  if (dtype === 'uint32') {
    for (let i = 0; i < count; i++) {
      if (stream[i] > 2147483647) throw new DataError(shown, `token ${i} is ${stream[i]}; token ids must be below 2^31`);
    }
  }
  return cutBlocks(stream, blocking, shown);
}

export function loadTextFile(file: string, shown: string, blocking: Blocking): ArrayDataset {
  return cutBlocks(readBytes(file, shown, 'text'), blocking, shown, TEXT_VOCAB_SIZE);
}
