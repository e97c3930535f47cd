// Writes .npy files (format 1.0, C order, little-endian) from typed arrays, so that
// scripts/bench-train.js can lay out the npy folders of lib/data/sources/npy-source.ts without numpy.
'use strict';
const fs = require('fs');

const DESCR = new Map([
  [Float32Array, '<f4'],
  [Int32Array, '<i4'],
  [BigInt64Array, '<i8'],
]);

/** `data` holds the values in C order; `shape` its dimensions (their product = data.length). */
function writeNpy(file, data, shape) {
  const descr = DESCR.get(data.constructor);
  if (!descr) throw new Error(`writeNpy: unsupported array type ${data.constructor.name}`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`writeNpy: shape (${shape}) holds ${n} values, data has ${data.length}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  // magic (6) + version (2) + header length (2) + header + '\n', padded to a multiple of 64.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}

module.exports = { writeNpy };
