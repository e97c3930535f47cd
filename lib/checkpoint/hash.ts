/**
 * SHA-256 of in-memory bytes and of files, fed in chunks with a yield to the event loop between
 * chunks, so hashing a multi-gigabyte checkpoint never stalls the Node process for long.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';

/** 4 MiB: hashing one chunk takes a few milliseconds. */
const CHUNK_BYTES = 4 * 1024 * 1024;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Lower-case hex SHA-256 of `data`. */
export async function sha256OfBytes(data: Uint8Array): Promise<string> {
  const hash = createHash('sha256');
  for (let offset = 0; offset < data.byteLength; offset += CHUNK_BYTES) {
    hash.update(data.subarray(offset, offset + CHUNK_BYTES));
    if (offset + CHUNK_BYTES < data.byteLength) await yieldToEventLoop();
  }
  return hash.digest('hex');
}

/** Lower-case hex SHA-256 and byte count of a file, read as a stream (never whole in memory). */
export async function sha256OfFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.byteLength;
  }
  return { sha256: hash.digest('hex'), size };
}
