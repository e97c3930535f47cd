/** .npy reader (lib/data/npy.ts) against hand-built bytes (FORMATS.md A3). */
import { DataError } from '../../lib/data/errors';
import { npyToFloat32, npyToInt32, parseNpy } from '../../lib/data/npy';
import { expectError, f4, i4, i8, npyBytes } from '../fixtures/data/helpers';

describe('parseNpy', () => {
  test('v1.0 <f4 (2, 3): shape and values; header padded to 64 like numpy', () => {
    const bytes = npyBytes('<f4', [2, 3], f4([1, 2.5, -3, 4, 5, 6]));
    expect((bytes.length - 24) % 64).toBe(0);
    const a = parseNpy(bytes, 'x.npy');
    expect(a.dtype).toBe('<f4');
    expect(a.kind).toBe('f');
    expect(a.shape).toEqual([2, 3]);
    expect(a.size).toBe(6);
    expect(Array.from(a.values as Float32Array)).toEqual([1, 2.5, -3, 4, 5, 6]);
  });

  test('v2.0 and v3.0 headers (u32 length) read the same', () => {
    for (const version of [2, 3] as const) {
      const a = parseNpy(npyBytes('<i4', [3], i4([7, -8, 9]), { version }), 'x.npy');
      expect(a.shape).toEqual([3]);
      expect(Array.from(a.values as Int32Array)).toEqual([7, -8, 9]);
    }
  });

  test('keys in any order, shape () is one element, Python-2 long ints', () => {
    const one = parseNpy(npyBytes('<f8', [], new Uint8Array(new Float64Array([3.25]).buffer)), 's.npy');
    expect(one.shape).toEqual([]);
    expect(one.size).toBe(1);
    expect(one.values[0]).toBe(3.25);
    const text = "{'shape': (2L, 1L), 'fortran_order': False, 'descr': '<i4'}";
    const r = parseNpy(npyBytes('', [], i4([5, 6]), { headerText: text }), 'r.npy');
    expect(r.shape).toEqual([2, 1]);
    expect(Array.from(r.values as Int32Array)).toEqual([5, 6]);
  });

  test.each([
    ['<f8', new Uint8Array(new Float64Array([1.5, -2]).buffer), [1.5, -2]],
    ['<i8', i8([1, -2]), [1, -2]],
    ['<i2', new Uint8Array(new Int16Array([-300, 300]).buffer), [-300, 300]],
    ['<u2', new Uint8Array(new Uint16Array([65535, 1]).buffer), [65535, 1]],
    ['<u4', new Uint8Array(new Uint32Array([70000, 2]).buffer), [70000, 2]],
    ['|u1', new Uint8Array([255, 0]), [255, 0]],
    ['|i1', new Uint8Array(new Int8Array([-128, 127]).buffer), [-128, 127]],
    ['|b1', new Uint8Array([1, 0]), [1, 0]],
  ])('dtype %s', (descr, data, expected) => {
    const a = parseNpy(npyBytes(descr, [2], data), 'x.npy');
    expect(a.dtype).toBe(descr);
    expect(Array.from(npyToFloat32(a))).toEqual(expected);
  });

  test('one-byte types with "<" or "=" byte order are accepted', () => {
    expect(parseNpy(npyBytes('<u1', [1], new Uint8Array([9])), 'x.npy').dtype).toBe('|u1');
  });

  test('fortran order is rejected with how to fix it', () => {
    expectError(() => parseNpy(npyBytes('<f4', [2, 2], f4([1, 2, 3, 4]), { fortran: true }), 'data/x.npy'), 'DataError', 'data error: data/x.npy: Fortran-order arrays are not supported', 'ascontiguousarray');
  });

  test('object dtype is rejected', () => {
    expectError(() => parseNpy(npyBytes('|O', [1], new Uint8Array(8)), 'o.npy'), 'DataError', "o.npy: object arrays ('|O') are not supported");
  });

  test('big-endian is rejected with a conversion hint', () => {
    expectError(() => parseNpy(npyBytes('>f4', [1], f4([1])), 'b.npy'), 'DataError', "b.npy: big-endian arrays ('>f4') are not supported", "newbyteorder('<')");
  });

  test('unsupported and structured dtypes list what is allowed', () => {
    expectError(() => parseNpy(npyBytes('<f2', [1], new Uint8Array(2)), 'h.npy'), 'DataError', "unsupported dtype '<f2'; allowed: <f4 <f8");
    const text = "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }";
    expectError(() => parseNpy(npyBytes('', [], f4([1]), { headerText: text }), 's.npy'), 'DataError', 'structured (record) arrays are not supported');
  });

  test('truncated data: says how many bytes were expected and found', () => {
    const full = npyBytes('<f4', [2, 3], f4([1, 2, 3, 4, 5, 6]));
    expectError(() => parseNpy(full.subarray(0, full.length - 4), 't.npy'), 'DataError', 't.npy: file is truncated: shape (2, 3) of <f4 needs 24 data bytes but only 20 follow the header');
  });

  test('truncated header, bad magic, trailing bytes, bad version', () => {
    const full = npyBytes('<f4', [1], f4([1]));
    expectError(() => parseNpy(full.subarray(0, 30), 't.npy'), 'DataError', 'file is truncated inside the header');
    expectError(() => parseNpy(Buffer.from('hello world, not numpy'), 'n.npy'), 'DataError', 'n.npy: not a .npy file');
    expectError(() => parseNpy(Buffer.concat([full, Buffer.alloc(3)]), 'e.npy'), 'DataError', 'e.npy: file has 3 bytes after the data');
    const v9 = Buffer.from(full);
    v9[6] = 9;
    expectError(() => parseNpy(v9, 'v.npy'), 'DataError', 'unsupported .npy format version 9.0');
  });

  test('a header without shape is invalid', () => {
    const text = "{'descr': '<f4', 'fortran_order': False}";
    expectError(() => parseNpy(npyBytes('', [], f4([1]), { headerText: text }), 'x.npy'), 'DataError', "no 'shape' key");
  });
});

describe('npyToInt32', () => {
  test('int64 in range converts; outside int32 is an error naming the value', () => {
    const ok = parseNpy(npyBytes('<i8', [2], i8([2147483647, -5])), 'y.npy');
    expect(Array.from(npyToInt32(ok, 'y.npy', 'labels'))).toEqual([2147483647, -5]);
    const big = parseNpy(npyBytes('<i8', [2], i8([1, 2147483648])), 'y.npy');
    expectError(() => npyToInt32(big, 'y.npy', 'labels'), 'DataError', 'y.npy: labels: value 2147483648 at flat index 1 does not fit in int32');
  });

  test('floats are refused with the dtype', () => {
    const a = parseNpy(npyBytes('<f4', [1], f4([1])), 'data/train/labels.npy');
    const msg = expectError(() => npyToInt32(a, 'data/train/labels.npy', 'labels for MODEL.TASK classification'), 'DataError');
    expect(msg).toBe('data error: data/train/labels.npy: labels for MODEL.TASK classification must be integers, got <f4; allowed: <i8 <i4 <i2 <u2 <u4 |u1 |i1');
  });

  test('DataError carries where', () => {
    try {
      parseNpy(Buffer.from('x'), 'w.npy');
    } catch (e) {
      expect(e).toBeInstanceOf(DataError);
      expect((e as DataError).where).toBe('w.npy');
    }
    expect.assertions(2);
  });
});
