/**
 * A .npy reader (FORMATS.md A3): format versions 1.0, 2.0 and 3.0, C order, little-endian numeric
 * dtypes <f4 <f8 <i8 <i4 <i2 <u2 <u4 |u1 |i1 |b1. Fortran order, object, structured and big-endian
 * arrays are rejected with a message saying how to convert them. Values come back in their own
 * typed array; `npyToFloat32` / `npyToInt32` convert with range checks.
 */
import * as fs from 'fs';
import { DataError } from './errors';

export type NpyDtype = '<f4' | '<f8' | '<i8' | '<i4' | '<i2' | '<u2' | '<u4' | '|u1' | '|i1' | '|b1';
export type NpyValues = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Uint16Array | Uint32Array | Uint8Array | Int8Array;

export interface NpyArray {
  dtype: NpyDtype;
  /** 'f' float, 'i' signed int, 'u' unsigned int, 'b' bool */
  kind: 'f' | 'i' | 'u' | 'b';
  shape: number[];
  /** Element count (product of shape; 1 for shape ()). */
  size: number;
  values: NpyValues;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const MAX_HEADER_CHARS = 10000; // numpy refuses longer headers without allow_pickle
const SUPPORTED = '<f4 <f8 <i8 <i4 <i2 <u2 <u4 |u1 |i1 |b1';

interface DtypeInfo {
  kind: NpyArray['kind'];
  itemSize: number;
  make: (buf: ArrayBuffer, n: number) => NpyValues;
}

const DTYPES: Record<NpyDtype, DtypeInfo> = {
  '<f4': { kind: 'f', itemSize: 4, make: (b, n) => new Float32Array(b, 0, n) },
  '<f8': { kind: 'f', itemSize: 8, make: (b, n) => new Float64Array(b, 0, n) },
  '<i8': { kind: 'i', itemSize: 8, make: (b, n) => new BigInt64Array(b, 0, n) },
  '<i4': { kind: 'i', itemSize: 4, make: (b, n) => new Int32Array(b, 0, n) },
  '<i2': { kind: 'i', itemSize: 2, make: (b, n) => new Int16Array(b, 0, n) },
  '<u2': { kind: 'u', itemSize: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  '<u4': { kind: 'u', itemSize: 4, make: (b, n) => new Uint32Array(b, 0, n) },
  '|u1': { kind: 'u', itemSize: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  '|i1': { kind: 'i', itemSize: 1, make: (b, n) => new Int8Array(b, 0, n) },
  '|b1': { kind: 'b', itemSize: 1, make: (b, n) => new Uint8Array(b, 0, n) },
};

// JS typed arrays use the platform's byte order; every platform Node 20 supports is little-endian.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('train-native needs a little-endian host');

/** Parsed values of the header's Python literal. */
type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/** A tiny parser for the Python dict literal of a .npy header (strings, ints, bools, tuples, lists, dicts). */
class PyLiteralParser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly where: string,
  ) {}

  parseAll(): PyValue {
    const v = this.value();
    this.ws();
    if (this.pos !== this.text.length) this.fail(`unexpected '${this.text[this.pos]}' after the header dict`);
    return v;
  }

  private fail(msg: string): never {
    throw new DataError(this.where, `not a valid .npy header (${msg}): ${JSON.stringify(this.text.slice(0, 120))}`);
  }

  private ws(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private value(): PyValue {
    this.ws();
    const ch = this.text[this.pos];
    if (ch === '{') return this.dict();
    if (ch === '(') return this.sequence(')');
    if (ch === '[') return this.sequence(']');
    if (ch === "'" || ch === '"') return this.string();
    const m = /^(True|False|None|-?\d+L?)/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`unexpected ${ch === undefined ? 'end' : `'${ch}'`}`);
    this.pos += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace('L', '')); // Python 2 headers may write long ints as 3L
  }

  private string(): string {
    const quote = this.text[this.pos++];
    let out = '';
    while (this.pos < this.text.length && this.text[this.pos] !== quote) {
      if (this.text[this.pos] === '\\') this.pos++;
      out += this.text[this.pos++];
    }
    if (this.pos >= this.text.length) this.fail('unterminated string');
    this.pos++;
    return out;
  }

  private sequence(close: string): PyValue[] {
    this.pos++;
    const items: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value());
      this.ws();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== close) this.fail(`expected ',' or '${close}'`);
    }
  }

  private dict(): { [key: string]: PyValue } {
    this.pos++;
    const out: { [key: string]: PyValue } = {};
    for (;;) {
      this.ws();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const key = this.value();
      if (typeof key !== 'string') this.fail('dict keys must be strings');
      this.ws();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      out[key] = this.value();
      this.ws();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail("expected ',' or '}'");
    }
  }
}

function dtypeOf(descr: PyValue, where: string): NpyDtype {
  if (typeof descr !== 'string') throw new DataError(where, `structured (record) arrays are not supported; save a plain numeric array (one of ${SUPPORTED})`);
  if (descr.includes('O')) throw new DataError(where, `object arrays ('${descr}') are not supported (they need pickle); save a numeric array (one of ${SUPPORTED})`);
  if (descr.length < 3) throw new DataError(where, `unsupported dtype '${descr}'; allowed: ${SUPPORTED}`);
  const order = descr[0];
  const code = descr.slice(1);
  const single = code.endsWith('1');
  // One-byte types have no byte order; numpy writes '|' but '<', '>' and '=' mean the same.
  if (single && '|<>='.includes(order)) {
    const key = `|${code}` as NpyDtype;
    if (key in DTYPES) return key;
  }
  if (!single && order === '>') {
    throw new DataError(where, `big-endian arrays ('${descr}') are not supported; convert with arr.astype(arr.dtype.newbyteorder('<')) before saving`);
  }
  if (!single && (order === '<' || order === '=')) {
    const key = `<${code}` as NpyDtype;
    if (key in DTYPES) return key;
  }
  throw new DataError(where, `unsupported dtype '${descr}'; allowed: ${SUPPORTED}`);
}

interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** byte offset of the data */
  dataStart: number;
}

/** The header of a .npy file from its first bytes (at least the whole header). */
function parseNpyHeader(bytes: Uint8Array, where: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new DataError(where, 'not a .npy file (it does not start with the magic bytes "\\x93NUMPY"); save arrays with numpy.save');
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw new DataError(where, `unsupported .npy format version ${major}.${minor}; versions 1.0, 2.0 and 3.0 are read`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new DataError(where, 'file is truncated inside the header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lenBytes;
  const dataStart = headerStart + headerLen;
  if (headerLen > MAX_HEADER_CHARS) throw new DataError(where, `header is ${headerLen} bytes; more than ${MAX_HEADER_CHARS} is refused (as numpy does)`);
  if (bytes.length < dataStart) throw new DataError(where, `file is truncated inside the header (header says ${headerLen} bytes, file has ${bytes.length - headerStart})`);
  const headerBytes = bytes.subarray(headerStart, dataStart);
  const headerText = Buffer.from(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength).toString(major === 3 ? 'utf8' : 'latin1');

  const header = new PyLiteralParser(headerText, where).parseAll();
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new DataError(where, 'not a valid .npy header (not a dict)');
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!(key in header)) throw new DataError(where, `not a valid .npy header (no '${key}' key)`);
  }
  const dtype = dtypeOf(header.descr, where);
  if (header.fortran_order === true) {
    throw new DataError(where, 'Fortran-order arrays are not supported; save a C-order array (numpy.save(path, numpy.ascontiguousarray(arr)))');
  }
  if (header.fortran_order !== false) throw new DataError(where, "not a valid .npy header ('fortran_order' must be True or False)");
  const shapeV = header.shape;
  if (!Array.isArray(shapeV) || !shapeV.every((d): d is number => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    throw new DataError(where, "not a valid .npy header ('shape' must be a tuple of non-negative integers)");
  }
  return { dtype, shape: shapeV, dataStart };
}

/** Parses the bytes of a .npy file; `where` names the file in error messages. */
export function parseNpy(bytes: Uint8Array, where: string): NpyArray {
  const { dtype, shape, dataStart } = parseNpyHeader(bytes, where);
  const size = shape.reduce((a, b) => a * b, 1);
  const info = DTYPES[dtype];
  const dataBytes = size * info.itemSize;
  const available = bytes.length - dataStart;
  const shapeText = `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
  if (available < dataBytes) {
    throw new DataError(where, `file is truncated: shape ${shapeText} of ${dtype} needs ${dataBytes} data bytes but only ${available} follow the header`);
  }
  if (available > dataBytes) {
    throw new DataError(where, `file has ${available - dataBytes} bytes after the data of shape ${shapeText} ${dtype}; it is corrupt or not written by numpy.save`);
  }
  // Copy into a fresh buffer: typed arrays need aligned offsets and the caller may keep the values.
  const buf = new ArrayBuffer(dataBytes);
  new Uint8Array(buf).set(bytes.subarray(dataStart, dataStart + dataBytes));
  return { dtype, kind: info.kind, shape, size, values: info.make(buf, size) };
}

/** The shape of a .npy file, from its header alone (a dry run counts samples without loading them). */
export function readNpyShape(file: string, where: string): number[] {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new DataError(where, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    const head = Buffer.alloc(12 + MAX_HEADER_CHARS);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    return parseNpyHeader(head.subarray(0, n), where).shape;
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads and parses a .npy file; `where` is the path as the user wrote it (for messages). */
export function readNpy(file: string, where: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new DataError(where, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseNpy(bytes, where);
}

/** Float32 copy of any numeric array (ints and bools included). */
export function npyToFloat32(arr: NpyArray): Float32Array {
  if (arr.values instanceof BigInt64Array) {
    const out = new Float32Array(arr.size);
    for (let i = 0; i < arr.size; i++) out[i] = Number(arr.values[i]);
    return out;
  }
  return Float32Array.from(arr.values as ArrayLike<number>);
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Int32 copy of an integer array. Floats and bools are refused (`what` says what the values are
 * for), as are values outside int32.
 */
export function npyToInt32(arr: NpyArray, where: string, what: string): Int32Array {
  if (arr.kind !== 'i' && arr.kind !== 'u') {
    throw new DataError(where, `${what} must be integers, got ${arr.dtype}; allowed: <i8 <i4 <i2 <u2 <u4 |u1 |i1`);
  }
  if (arr.values instanceof Int32Array) return arr.values.slice();
  const out = new Int32Array(arr.size);
  const src = arr.values;
  for (let i = 0; i < arr.size; i++) {
    const v = typeof src[i] === 'bigint' ? Number(src[i]) : (src[i] as number);
    if (v < INT32_MIN || v > INT32_MAX) {
      throw new DataError(where, `${what}: value ${String(src[i])} at flat index ${i} does not fit in int32 (allowed ${INT32_MIN}..${INT32_MAX})`);
    }
    out[i] = v;
  }
  return out;
}
