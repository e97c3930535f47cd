/**
 * The safetensors codec against FORMATS.md §A1: the reference writer's byte-exact test vectors,
 * every reader validation, round trips, and (when Debian's python torch is present) a
 * cross-check that an independent Python reader sees the same tensors.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensorsFile,
  SafetensorsError,
  writeSafetensorsFile,
} from '../../lib/checkpoint/safetensors';

const f32 = (vals: number[]) => new Uint8Array(new Float32Array(vals).buffer);

function header(buf: Buffer): { n: number; json: string } {
  const n = Number(buf.readBigUInt64LE(0));
  return { n, json: buf.subarray(8, 8 + n).toString('utf8') };
}

function raw(json: string, data: Uint8Array = new Uint8Array(0), pad = true): Buffer {
  let h = Buffer.from(json, 'utf8');
  if (pad && h.length % 8) h = Buffer.concat([h, Buffer.alloc(8 - (h.length % 8), 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, Buffer.from(data)]);
}

function kind(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SafetensorsError) return e.kind;
    throw e;
  }
  return 'ok';
}

describe('safetensors writer: FORMATS.md test vectors', () => {
  it('empty file, no metadata: 08 00.. "{}" + 6 spaces', () => {
    const b = encodeSafetensors({ tensors: [] });
    expect([...b]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20]);
  });

  it('{"attn.0": F32 [1,2,3]}: N = 64, exact JSON, no padding', () => {
    const b = encodeSafetensors({ tensors: [{ name: 'attn.0', dtype: 'F32', shape: [1, 2, 3], data: f32([0, 1, 2, 3, 4, 5]) }] });
    const h = header(b);
    expect(h.n).toBe(64);
    expect(h.json).toBe('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}');
    expect(b.length).toBe(8 + 64 + 24);
    expect(new Float32Array(b.buffer.slice(b.byteOffset + 72, b.byteOffset + 96))).toEqual(new Float32Array([0, 1, 2, 3, 4, 5]));
  });

  it('"attn0" [1,1,2,3]: 65-byte JSON padded to N = 72 with 7 spaces', () => {
    const b = encodeSafetensors({ tensors: [{ name: 'attn0', dtype: 'F32', shape: [1, 1, 2, 3], data: f32([0, 1, 2, 3, 4, 5]) }] });
    const h = header(b);
    expect(h.n).toBe(72);
    expect(h.json).toBe('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}' + ' '.repeat(7));
  });

  it('metadata only: N = 40, metadata + 5 spaces', () => {
    const b = encodeSafetensors({ tensors: [], metadata: { framework: 'pt' } });
    const h = header(b);
    expect(h.n).toBe(40);
    expect(h.json).toBe('{"__metadata__":{"framework":"pt"}}' + ' '.repeat(5));
  });

  it('orders by dtype alignment descending, then name; offsets contiguous', () => {
    const b = encodeSafetensors({
      tensors: [
        { name: 'b', dtype: 'F32', shape: [1], data: f32([1]) },
        { name: 'a', dtype: 'U8', shape: [2], data: new Uint8Array([1, 2]) },
        { name: 'c', dtype: 'I64', shape: [], data: new Uint8Array(8) },
        { name: 'a2', dtype: 'F32', shape: [0], data: new Uint8Array(0) },
      ],
    });
    const json = JSON.parse(header(b).json) as Record<string, { data_offsets: number[] }>;
    expect(Object.keys(json)).toEqual(['c', 'a2', 'b', 'a']);
    expect(json.c.data_offsets).toEqual([0, 8]);
    expect(json.a2.data_offsets).toEqual([8, 8]);
    expect(json.b.data_offsets).toEqual([8, 12]);
    expect(json.a.data_offsets).toEqual([12, 14]);
  });

  it('refuses wrong byte counts, duplicates and non-portable dtypes', () => {
    expect(kind(() => encodeSafetensors({ tensors: [{ name: 'x', dtype: 'F32', shape: [2], data: f32([1]) }] }))).toBe('TensorInvalidInfo');
    const t = { name: 'x', dtype: 'F32', shape: [1], data: f32([1]) };
    expect(kind(() => encodeSafetensors({ tensors: [t, t] }))).toBe('DuplicateTensor');
    expect(kind(() => encodeSafetensors({ tensors: [{ name: 'x', dtype: 'F4', shape: [2], data: new Uint8Array(1) }] }))).toBe('UnsupportedDtype');
  });
});

describe('safetensors reader validations', () => {
  const good = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';

  it('round-trips tensors and metadata bit-exactly', () => {
    const tensors = [
      { name: 'w', dtype: 'F32', shape: [2, 2], data: f32([1.5, -0, NaN, Infinity]) },
      { name: 's', dtype: 'I64', shape: [], data: new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0]) },
      { name: 'h', dtype: 'BF16', shape: [3], data: new Uint8Array([1, 2, 3, 4, 5, 6]) },
    ];
    const back = decodeSafetensors(encodeSafetensors({ tensors, metadata: { k: 'v' } }));
    expect(back.metadata).toEqual({ k: 'v' });
    const byName = new Map(back.tensors.map((t) => [t.name, t]));
    for (const t of tensors) {
      const b = byName.get(t.name)!;
      expect(b.dtype).toBe(t.dtype);
      expect(b.shape).toEqual(t.shape);
      expect(Buffer.from(b.data).equals(Buffer.from(t.data))).toBe(true);
    }
  });

  it('accepts leading and trailing JSON whitespace', () => {
    expect(kind(() => decodeSafetensors(raw(`\n ${good}\t\r `, f32([1, 2]))))).toBe('ok');
  });

  it.each([
    ['HeaderTooSmall', () => Buffer.alloc(5)],
    ['HeaderTooLarge', () => { const b = Buffer.alloc(16); b.writeBigUInt64LE(100_000_001n); return b; }],
    ['InvalidHeaderLength', () => { const b = Buffer.alloc(16); b.writeBigUInt64LE(64n); return b; }],
    ['InvalidHeaderDeserialization', () => raw('{not json}')],
    ['InvalidHeaderDeserialization', () => raw('{"__metadata__":{"a":1}}')],
    ['InvalidHeaderDeserialization', () => raw(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32([1, 2]))],
    ['InvalidOffset', () => raw('{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32([1, 2]))],
    ['InvalidOffset', () => raw('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32([1, 2]))],
    ['TensorInvalidInfo', () => raw('{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', f32([1, 2]))],
    ['MetadataIncompleteBuffer', () => raw(good, f32([1]))],
    ['MetadataIncompleteBuffer', () => raw(good, f32([1, 2, 3]))],
  ])('rejects %s', (expected, make) => {
    expect(kind(() => decodeSafetensors(make()))).toBe(expected);
  });

  it('rejects invalid UTF-8 in the header', () => {
    const h = Buffer.from('{"\xff":1}', 'latin1');
    const b = Buffer.concat([Buffer.alloc(8), h]);
    b.writeBigUInt64LE(BigInt(h.length));
    expect(kind(() => decodeSafetensors(b))).toBe('InvalidHeader');
  });
});

// TRAIN_NATIVE_REFERENCE_PYTHON: another Python with torch (CI's pip-torch part).
const PY = process.env.TRAIN_NATIVE_REFERENCE_PYTHON || '/usr/bin/python3';
const hasTorchPython = fs.existsSync(PY) && spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const hasSafetensorsPython = hasTorchPython && spawnSync(PY, ['-c', 'import safetensors'], { encoding: 'utf8' }).status === 0;

(hasTorchPython ? describe : describe.skip)('safetensors cross-check with Python', () => {
  it('an independent Python reader (struct + json + torch.frombuffer) sees the same tensors', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-'));
    const file = path.join(dir, 'x.safetensors');
    writeSafetensorsFile(file, {
      tensors: [
        { name: 'encoder.w', dtype: 'F32', shape: [2, 3], data: f32([0, 1, 2, 3, 4, 5.5]) },
        { name: 'step', dtype: 'I64', shape: [], data: new Uint8Array([42, 0, 0, 0, 0, 0, 0, 0]) },
      ],
      metadata: { format: 'pt' },
    });
    const script = hasSafetensorsPython
      ? `import sys, json\nfrom safetensors.torch import load_file\nd = load_file(sys.argv[1])\nprint(json.dumps({k: v.flatten().tolist() for k, v in d.items()}))`
      : `import sys, json, struct, torch\nb = open(sys.argv[1], 'rb').read()\nn = struct.unpack('<Q', b[:8])[0]\nh = json.loads(b[8:8+n])\nm = {'F32': torch.float32, 'I64': torch.int64}\nout = {}\nfor k, v in h.items():\n    if k == '__metadata__': continue\n    s, e = v['data_offsets']\n    t = torch.frombuffer(bytearray(b[8+n+s:8+n+e]), dtype=m[v['dtype']]).reshape(v['shape'])\n    out[k] = t.flatten().tolist()\nprint(json.dumps(out))`;
    const r = spawnSync(PY, ['-c', script, file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ 'encoder.w': [0, 1, 2, 3, 4, 5.5], step: [42] });
    expect(readSafetensorsFile(file).tensors.length).toBe(2);
    fs.rmSync(dir, { recursive: true });
  });
});
