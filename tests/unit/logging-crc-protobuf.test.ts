// CRC32C vectors (FORMATS.md A2), protobuf encode/decode round trips and TFRecord framing.
import { crc32c, maskedCrc32c } from '../../lib/logging/crc32c';
import {
  decodeFields,
  encodeVarint,
  fieldBytes,
  fieldDouble,
  fieldFloat,
  fieldInt64,
  fieldPackedDoubles,
  fieldString,
  ProtoDecodeError,
  ProtoWriter,
} from '../../lib/logging/protobuf';
import { encodeFileVersionEvent } from '../../lib/logging/event-proto';
import { frameRecord, splitRecords } from '../../lib/logging/tfrecord';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('crc32c', () => {
  it('matches RFC 3720 B.4: 32 zero bytes', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  });
  it('matches the rustboard masked CRC doc test', () => {
    expect(maskedCrc32c(Buffer.from('\x1a\x11CRC test, one two', 'latin1'))).toBe(0x5794d08a);
  });
  it('matches the standard check value of "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

describe('the FORMATS.md computed Event example', () => {
  const data = encodeFileVersionEvent(1234.0);
  it('encodes to the 24 documented bytes', () => {
    expect(hex(data)).toBe('090000000000489340' + '1a0d' + Buffer.from('brain.Event:2').toString('hex'));
    expect(data.length).toBe(24);
  });
  it('frames with the documented CRCs', () => {
    const rec = frameRecord(data);
    expect(hex(rec.subarray(0, 8))).toBe('1800000000000000');
    expect(rec.readUInt32LE(8)).toBe(0x224b7fa3);
    expect(rec.readUInt32LE(36)).toBe(0xf47fdb01);
    expect(rec.length).toBe(40);
  });
});

describe('protobuf', () => {
  it('encodes varints', () => {
    expect(hex(encodeVarint(0n))).toBe('00');
    expect(hex(encodeVarint(1n))).toBe('01');
    expect(hex(encodeVarint(300n))).toBe('ac02');
    expect(hex(encodeVarint(0xffffffffffffffffn))).toBe('ffffffffffffffffff01');
  });
  it('writes a negative int64 as a 10-byte varint and reads it back', () => {
    const bytes = new ProtoWriter().int64(2, -1).finish();
    expect(hex(bytes)).toBe('10' + 'ffffffffffffffffff01');
    expect(fieldInt64(decodeFields(bytes)[0])).toBe(-1);
  });
  it('round-trips every field kind in order', () => {
    const inner = new ProtoWriter().string(1, 'héllo');
    const bytes = new ProtoWriter()
      .double(1, 1234.5)
      .int64(2, 9007199254740991)
      .float(3, 0.1)
      .uint(4, 3)
      .message(5, inner)
      .packedDoubles(6, [-Number.MAX_VALUE, 0, 1e-12, 2.5])
      .float(7, 0)
      .finish();
    const f = decodeFields(bytes);
    expect(f.map((x) => x.field)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(fieldDouble(f[0])).toBe(1234.5);
    expect(fieldInt64(f[1])).toBe(9007199254740991);
    expect(fieldFloat(f[2])).toBe(Math.fround(0.1));
    expect(fieldInt64(f[3])).toBe(3);
    expect(fieldString(decodeFields(fieldBytes(f[4]))[0])).toBe('héllo');
    expect(fieldPackedDoubles(f[5])).toEqual([-Number.MAX_VALUE, 0, 1e-12, 2.5]);
    // A float field set to 0 is still on the wire (key 0x3d + 4 zero bytes).
    expect(hex(bytes.subarray(bytes.length - 5))).toBe('3d00000000');
    expect(fieldFloat(f[6])).toBe(0);
  });
  it('rejects truncated input and the wrong wire type', () => {
    const bytes = new ProtoWriter().double(1, 1).finish();
    expect(() => decodeFields(bytes.subarray(0, 5))).toThrow(ProtoDecodeError);
    expect(() => fieldString(decodeFields(bytes)[0])).toThrow('field 1 has wire type 1, expected length-delimited');
  });
});

describe('TFRecord splitting', () => {
  const a = frameRecord(Buffer.from('first'));
  const b = frameRecord(Buffer.from('second record'));
  it('splits concatenated records', () => {
    const { records, truncated } = splitRecords(Buffer.concat([a, b]), 'f');
    expect(records.map((r) => Buffer.from(r).toString())).toEqual(['first', 'second record']);
    expect(truncated).toBe(false);
  });
  it('reports every cut inside the last record as truncated', () => {
    const whole = Buffer.concat([a, b]);
    for (let cut = a.length + 1; cut < whole.length; cut++) {
      const { records, truncated } = splitRecords(whole.subarray(0, cut), 'f');
      expect(records.length).toBe(1);
      expect(truncated).toBe(true);
    }
  });
  it('throws on a corrupt length or data byte', () => {
    const badLen = Buffer.from(a);
    badLen[0] ^= 1;
    expect(() => splitRecords(badLen, 'x.tfevents')).toThrow('x.tfevents: record 0 at byte 0: length CRC mismatch');
    const badData = Buffer.from(a);
    badData[12] ^= 1;
    expect(() => splitRecords(badData, 'x.tfevents')).toThrow('x.tfevents: record 0 at byte 0: data CRC mismatch');
  });
});
