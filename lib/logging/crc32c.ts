/**
 * CRC32C (Castagnoli) and the "masked" CRC that TFRecord framing stores (FORMATS.md A2).
 * Table-driven, one byte at a time: event files are small, so simplicity beats slicing-by-8.
 */

/** Reflected Castagnoli polynomial. */
const POLY = 0x82f63b78;
/** leveldb / TensorFlow kMaskDelta. */
const MASK_DELTA = 0xa282ead8;

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32C of `data` (init 0xFFFFFFFF, final xor 0xFFFFFFFF), as an unsigned 32-bit number. */
export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The masked CRC TFRecord stores: rotate right by 15 bits and add a constant, so that a CRC over
 * data which itself contains CRCs does not degenerate.
 */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

export function maskedCrc32c(data: Uint8Array): number {
  return maskCrc(crc32c(data));
}
