/**
 * A minimal protobuf wire-format encoder and decoder: just what TensorBoard event files need
 * (varint / int64, double, float, length-delimited strings and messages, packed doubles). The
 * decoder reads back what the encoder writes (tests, `readEventFile`, the `plot` command); it
 * skips fields it does not know, as protobuf readers must.
 */

export enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  Fixed32 = 5,
}

/** Builds one message. Field writers append in call order; `finish()` returns the bytes. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  private key(field: number, wire: WireType): void {
    this.push(encodeVarint(BigInt((field << 3) | wire)));
  }

  /** An unsigned varint field (enums, counts); `value` must be a non-negative integer. */
  uint(field: number, value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`protobuf: uint field ${field} needs a non-negative integer, got ${value}`);
    this.key(field, WireType.Varint);
    this.push(encodeVarint(BigInt(value)));
    return this;
  }

  /** An int64 field: negative values are two's complement, i.e. a 10-byte varint. */
  int64(field: number, value: number | bigint): this {
    const big = typeof value === 'bigint' ? value : BigInt(checkInteger(field, value));
    this.key(field, WireType.Varint);
    this.push(encodeVarint(BigInt.asUintN(64, big)));
    return this;
  }

  double(field: number, value: number): this {
    this.key(field, WireType.Fixed64);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value, 0);
    this.push(b);
    return this;
  }

  /** A float field: the value is rounded to float32, as the receiving `float` field holds. */
  float(field: number, value: number): this {
    this.key(field, WireType.Fixed32);
    const b = Buffer.alloc(4);
    b.writeFloatLE(value, 0);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, WireType.LengthDelimited);
    this.push(encodeVarint(BigInt(value.length)));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  /** A packed `repeated double`: one length-delimited field of little-endian doubles. */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    const b = Buffer.alloc(8 * values.length);
    for (let i = 0; i < values.length; i++) b.writeDoubleLE(values[i], 8 * i);
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    return Buffer.concat(this.chunks, this.size);
  }
}

function checkInteger(field: number, value: number): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf: int64 field ${field} needs a safe integer, got ${value}`);
  return value;
}

/** Base-128 varint of an unsigned 64-bit value. */
export function encodeVarint(value: bigint): Uint8Array {
  if (value < 0n || value > 0xffffffffffffffffn) throw new RangeError(`protobuf: varint out of range: ${value}`);
  const out: number[] = [];
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Uint8Array.from(out);
}

/** One decoded field. Fixed-width and length-delimited payloads are views into the input. */
export type ProtoField =
  | { field: number; wireType: WireType.Varint; varint: bigint }
  | { field: number; wireType: WireType.Fixed64 | WireType.Fixed32 | WireType.LengthDelimited; bytes: Uint8Array };

export class ProtoDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtoDecodeError';
  }
}

/** Splits a message into its fields, in order; throws ProtoDecodeError on malformed input. */
export function decodeFields(buf: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new ProtoDecodeError(`protobuf: varint runs past the end at byte ${pos}`);
      const byte = buf[pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new ProtoDecodeError(`protobuf: varint longer than 10 bytes at byte ${pos}`);
  };
  const take = (n: number): Uint8Array => {
    if (pos + n > buf.length) throw new ProtoDecodeError(`protobuf: field of ${n} bytes runs past the end at byte ${pos}`);
    const view = buf.subarray(pos, pos + n);
    pos += n;
    return view;
  };
  while (pos < buf.length) {
    const key = readVarint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    switch (wire) {
      case WireType.Varint:
        fields.push({ field, wireType: WireType.Varint, varint: readVarint() });
        break;
      case WireType.Fixed64:
        fields.push({ field, wireType: WireType.Fixed64, bytes: take(8) });
        break;
      case WireType.Fixed32:
        fields.push({ field, wireType: WireType.Fixed32, bytes: take(4) });
        break;
      case WireType.LengthDelimited: {
        const len = readVarint();
        if (len > BigInt(buf.length)) throw new ProtoDecodeError(`protobuf: length ${len} runs past the end at byte ${pos}`);
        fields.push({ field, wireType: WireType.LengthDelimited, bytes: take(Number(len)) });
        break;
      }
      default:
        throw new ProtoDecodeError(`protobuf: unsupported wire type ${wire} (field ${field}) at byte ${pos}`);
    }
  }
  return fields;
}

function wrongType(f: ProtoField, wanted: string): ProtoDecodeError {
  return new ProtoDecodeError(`protobuf: field ${f.field} has wire type ${f.wireType}, expected ${wanted}`);
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function fieldDouble(f: ProtoField): number {
  if (f.wireType !== WireType.Fixed64) throw wrongType(f, 'fixed64 (double)');
  return dataView(f.bytes).getFloat64(0, true);
}

export function fieldFloat(f: ProtoField): number {
  if (f.wireType !== WireType.Fixed32) throw wrongType(f, 'fixed32 (float)');
  return dataView(f.bytes).getFloat32(0, true);
}

/** An int64 field as a JS number (exact up to 2^53). */
export function fieldInt64(f: ProtoField): number {
  if (f.wireType !== WireType.Varint) throw wrongType(f, 'varint');
  return Number(BigInt.asIntN(64, f.varint));
}

export function fieldBytes(f: ProtoField): Uint8Array {
  if (f.wireType !== WireType.LengthDelimited) throw wrongType(f, 'length-delimited');
  return f.bytes;
}

export function fieldString(f: ProtoField): string {
  return Buffer.from(fieldBytes(f)).toString('utf8');
}

/** A packed `repeated double` (also accepts one unpacked element, as protobuf parsers must). */
export function fieldPackedDoubles(f: ProtoField): number[] {
  if (f.wireType === WireType.Fixed64) return [fieldDouble(f)];
  const bytes = fieldBytes(f);
  if (bytes.length % 8 !== 0) throw new ProtoDecodeError(`protobuf: packed doubles field ${f.field} has ${bytes.length} bytes, not a multiple of 8`);
  const view = dataView(bytes);
  const out: number[] = new Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}
