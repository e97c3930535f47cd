/**
 * safetensors codec (FORMATS.md §A1, huggingface/safetensors tensor.rs): `encodeSafetensors`
 * follows the reference writer exactly (dtype-alignment-descending then name order, contiguous
 * offsets, "__metadata__" first, compact JSON padded with spaces to a multiple of 8);
 * `decodeSafetensors` applies every reader validation (header size limits, UTF-8 / JSON,
 * contiguous non-overlapping offsets, size = shape x dtype, no trailing bytes, no duplicates).
 * File writing (atomic temp + fsync + rename) is the caller's job; `writeSafetensorsFile` does it.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

export interface SafetensorsFile {
  tensors: SafetensorsTensor[];
  metadata?: Record<string, string>;
}

export class SafetensorsError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(`safetensors ${kind}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

/** The dtype enum in increasing alignment order (tensor.rs), with bit sizes. */
const DTYPES: ReadonlyArray<readonly [string, number]> = [
  ['BOOL', 8], ['F4', 4], ['F6_E2M3', 6], ['F6_E3M2', 6], ['U8', 8], ['I8', 8], ['F8_E5M2', 8], ['F8_E4M3', 8],
  ['F8_E8M0', 8], ['F8_E4M3FNUZ', 8], ['F8_E5M2FNUZ', 8], ['I16', 16], ['U16', 16], ['F16', 16], ['BF16', 16],
  ['I32', 32], ['U32', 32], ['F32', 32], ['C64', 64], ['F64', 64], ['I64', 64], ['U64', 64],
];
const DTYPE_RANK = new Map(DTYPES.map(([n], i) => [n, i]));
const DTYPE_BITS = new Map(DTYPES.map(([n, b]) => [n, b]));
/** What we write: the classic set older readers know. */
const WRITABLE = new Set(['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64']);

export const MAX_HEADER_SIZE = 100_000_000;

function byteSize(name: string, dtype: string, shape: number[]): number {
  const bits = DTYPE_BITS.get(dtype);
  if (bits === undefined) throw new SafetensorsError('InvalidHeaderDeserialization', `tensor '${name}': unknown dtype '${dtype}'`);
  let n = BigInt(bits);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new SafetensorsError('InvalidHeaderDeserialization', `tensor '${name}': bad dimension ${d}`);
    n *= BigInt(d);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new SafetensorsError('ValidationOverflow', `tensor '${name}': size overflows`);
  }
  if (n % 8n !== 0n) throw new SafetensorsError('MisalignedSlice', `tensor '${name}': ${n} bits is not a whole number of bytes`);
  return Number(n / 8n);
}

/** Serialises tensors (and optional string metadata) to the safetensors byte layout. */
export function encodeSafetensors(file: SafetensorsFile): Buffer {
  const seen = new Set<string>();
  for (const t of file.tensors) {
    if (t.name === '__metadata__') throw new SafetensorsError('InvalidTensorName', "'__metadata__' is reserved");
    if (seen.has(t.name)) throw new SafetensorsError('DuplicateTensor', `'${t.name}' appears twice`);
    seen.add(t.name);
    if (!WRITABLE.has(t.dtype)) throw new SafetensorsError('UnsupportedDtype', `tensor '${t.name}': dtype '${t.dtype}' is not written (portable set only)`);
    const size = byteSize(t.name, t.dtype, t.shape);
    if (size !== t.data.byteLength)
      throw new SafetensorsError('TensorInvalidInfo', `tensor '${t.name}': ${t.data.byteLength} bytes for ${t.dtype} ${JSON.stringify(t.shape)} (expected ${size})`);
  }
  const order = [...file.tensors].sort((a, b) => {
    const r = (DTYPE_RANK.get(b.dtype) ?? 0) - (DTYPE_RANK.get(a.dtype) ?? 0);
    if (r !== 0) return r;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  // Build the JSON by hand so the key order is exactly the writer's (metadata first, then offset order).
  const parts: string[] = [];
  if (file.metadata !== undefined) {
    for (const [k, v] of Object.entries(file.metadata))
      if (typeof v !== 'string') throw new SafetensorsError('InvalidMetadata', `__metadata__['${k}'] must be a string`);
    parts.push(`"__metadata__":${JSON.stringify(file.metadata)}`);
  }
  let offset = 0;
  for (const t of order) {
    const end = offset + t.data.byteLength;
    parts.push(`${JSON.stringify(t.name)}:{"dtype":${JSON.stringify(t.dtype)},"shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const n = Math.ceil(json.length / 8) * 8;
  if (n > MAX_HEADER_SIZE) throw new SafetensorsError('HeaderTooLarge', `header of ${n} bytes exceeds ${MAX_HEADER_SIZE}`);
  const out = Buffer.alloc(8 + n + offset, 0x20);
  out.writeBigUInt64LE(BigInt(n), 0);
  json.copy(out, 8);
  let pos = 8 + n;
  for (const t of order) {
    out.set(t.data, pos);
    pos += t.data.byteLength;
  }
  return out;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function isHeaderEntry(v: unknown): v is HeaderEntry {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.dtype === 'string' &&
    Array.isArray(o.shape) &&
    o.shape.every((d) => typeof d === 'number') &&
    Array.isArray(o.data_offsets) &&
    o.data_offsets.length === 2 &&
    o.data_offsets.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
  );
}

/** Finds a duplicate key anywhere at the top level of a JSON object text (JSON.parse keeps the last). */
function topLevelDuplicate(json: string): string | undefined {
  const keys = new Set<string>();
  let depth = 0;
  let i = 0;
  while (i < json.length) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (k < json.length && ' \t\n\r'.includes(json[k])) k++;
        if (json[k] === ':') {
          const key = JSON.parse(json.slice(i, j + 1)) as string;
          if (keys.has(key)) return key;
          keys.add(key);
        }
      }
      i = j + 1;
      continue;
    }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    i++;
  }
  return undefined;
}

/** Parses and validates a safetensors buffer; tensor data are copies. */
export function decodeSafetensors(buf: Uint8Array): SafetensorsFile {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 8) throw new SafetensorsError('HeaderTooSmall', `file has ${b.length} bytes`);
  const n64 = b.readBigUInt64LE(0);
  if (n64 > BigInt(MAX_HEADER_SIZE)) throw new SafetensorsError('HeaderTooLarge', `header length ${n64} exceeds ${MAX_HEADER_SIZE}`);
  const n = Number(n64);
  if (8 + n > b.length) throw new SafetensorsError('InvalidHeaderLength', `header length ${n} runs past the end of a ${b.length}-byte file`);
  const headerBytes = b.subarray(8, 8 + n);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError('InvalidHeader', 'header is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError('InvalidHeaderDeserialization', `header is not JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new SafetensorsError('InvalidHeaderDeserialization', 'header is not a JSON object');
  const dup = topLevelDuplicate(text);
  if (dup !== undefined) throw new SafetensorsError('InvalidHeaderDeserialization', `duplicate key '${dup}'`);
  const obj = parsed as Record<string, unknown>;
  let metadata: Record<string, string> | undefined;
  const entries: Array<[string, HeaderEntry]> = [];
  for (const [k, v] of Object.entries(obj)) {
    if (k === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string'))
        throw new SafetensorsError('InvalidHeaderDeserialization', '__metadata__ must map strings to strings');
      metadata = v as Record<string, string>;
      continue;
    }
    if (!isHeaderEntry(v)) throw new SafetensorsError('InvalidHeaderDeserialization', `tensor '${k}' needs dtype, shape and data_offsets`);
    entries.push([k, v]);
  }
  const sorted = [...entries].sort((a, b2) => a[1].data_offsets[0] - b2[1].data_offsets[0] || a[1].data_offsets[1] - b2[1].data_offsets[1]);
  let prevEnd = 0;
  for (const [name, e] of sorted) {
    const [begin, end] = e.data_offsets;
    if (begin !== prevEnd || end < begin) throw new SafetensorsError('InvalidOffset', `tensor '${name}' [${begin}, ${end}] (expected to start at ${prevEnd})`);
    const size = byteSize(name, e.dtype, e.shape);
    if (end - begin !== size) throw new SafetensorsError('TensorInvalidInfo', `tensor '${name}': ${end - begin} bytes for ${e.dtype} ${JSON.stringify(e.shape)} (expected ${size})`);
    prevEnd = end;
  }
  if (prevEnd + 8 + n !== b.length)
    throw new SafetensorsError('MetadataIncompleteBuffer', `data ends at ${prevEnd + 8 + n} but the file has ${b.length} bytes`);
  const base = 8 + n;
  const tensors = entries.map(([name, e]) => ({
    name,
    dtype: e.dtype,
    shape: e.shape,
    data: new Uint8Array(b.subarray(base + e.data_offsets[0], base + e.data_offsets[1])),
  }));
  return metadata === undefined ? { tensors } : { tensors, metadata };
}

/** Writes atomically: temp file in the same folder, fsync, rename, fsync the folder. */
export function writeSafetensorsFile(file: string, content: SafetensorsFile): void {
  const bytes = encodeSafetensors(content);
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // some file systems cannot fsync a directory; the rename itself is atomic
  }
}

export function readSafetensorsFile(file: string): SafetensorsFile {
  return decodeSafetensors(fs.readFileSync(file));
}
