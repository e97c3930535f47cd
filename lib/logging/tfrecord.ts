/**
 * TFRecord framing (FORMATS.md A2): u64 LE length, masked CRC32C of those 8 bytes, the data, masked
 * CRC32C of the data. Framing one record, and splitting a whole file back into verified records.
 */
import { maskedCrc32c } from './crc32c';

/** Bytes of framing around each record: length (8) + length CRC (4) + data CRC (4). */
export const RECORD_OVERHEAD = 16;

export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(RECORD_OVERHEAD + data.length);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

export class RecordCrcError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordCrcError';
  }
}

export interface SplitRecords {
  records: Uint8Array[];
  /** The file ends inside a record (a writer killed mid-write); TensorBoard tolerates this. */
  truncated: boolean;
}

/**
 * Splits `buf` into record payloads, verifying both CRCs of every complete record.
 * `source` names the file in error messages.
 */
export function splitRecords(buf: Uint8Array, source: string): SplitRecords {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const records: Uint8Array[] = [];
  let pos = 0;
  while (pos < view.length) {
    if (view.length - pos < 12) return { records, truncated: true };
    const lengthCrc = view.readUInt32LE(pos + 8);
    if (maskedCrc32c(view.subarray(pos, pos + 8)) !== lengthCrc) {
      throw new RecordCrcError(`${source}: record ${records.length} at byte ${pos}: length CRC mismatch (corrupt event file)`);
    }
    const length = view.readBigUInt64LE(pos);
    if (length > BigInt(view.length - pos - RECORD_OVERHEAD)) return { records, truncated: true };
    const start = pos + 12;
    const end = start + Number(length);
    const data = view.subarray(start, end);
    if (maskedCrc32c(data) !== view.readUInt32LE(end)) {
      throw new RecordCrcError(`${source}: record ${records.length} at byte ${pos}: data CRC mismatch (corrupt event file)`);
    }
    records.push(data);
    pos = end + 4;
  }
  return { records, truncated: false };
}
