/** writeFileAtomic / readSmallFile / sha256 helpers: content replaced whole or not at all, no temp left behind. */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { readSmallFile, writeFileAtomic } from '../../lib/checkpoint/atomic';
import { sha256OfBytes, sha256OfFile } from '../../lib/checkpoint/hash';
import { ls, makeTempDir } from './helpers/checkpoint-fixtures';

afterEach(() => jest.restoreAllMocks());

describe('writeFileAtomic', () => {
  it('creates and then replaces a file with exact content (string and bytes), leaving no temp file', async () => {
    const dir = makeTempDir('atomic');
    const target = path.join(dir, 'latest');
    await writeFileAtomic(target, 'step-00000001\n');
    expect(fs.readFileSync(target, 'utf8')).toBe('step-00000001\n');
    await writeFileAtomic(target, new Uint8Array([0, 1, 2, 255]));
    expect(Array.from(fs.readFileSync(target))).toEqual([0, 1, 2, 255]);
    expect(ls(dir)).toEqual(['latest']);
  });

  it('writes the temp file in the same folder as .<base>.tmp-<pid>-<hex>', async () => {
    const dir = makeTempDir('atomic');
    const target = path.join(dir, 'best');
    const renames: Array<[string, string]> = [];
    const realRename = fs.promises.rename.bind(fs.promises);
    jest.spyOn(fs.promises, 'rename').mockImplementation(async (from, to) => {
      renames.push([String(from), String(to)]);
      return realRename(from, to);
    });
    await writeFileAtomic(target, 'x');
    expect(renames).toHaveLength(1);
    expect(path.dirname(renames[0][0])).toBe(dir);
    expect(path.basename(renames[0][0])).toMatch(new RegExp(`^\\.best\\.tmp-${process.pid}-[0-9a-f]{12}$`));
    expect(renames[0][1]).toBe(target);
  });

  it('keeps the old content and removes the temp file when the rename fails', async () => {
    const dir = makeTempDir('atomic');
    const target = path.join(dir, 'latest');
    fs.writeFileSync(target, 'old\n');
    jest.spyOn(fs.promises, 'rename').mockRejectedValueOnce(Object.assign(new Error('EIO: simulated'), { code: 'EIO' }));
    await expect(writeFileAtomic(target, 'new\n')).rejects.toThrow('EIO: simulated');
    expect(fs.readFileSync(target, 'utf8')).toBe('old\n');
    expect(ls(dir)).toEqual(['latest']);
  });

  it('removes the temp file when the target cannot be replaced (it is a folder)', async () => {
    const dir = makeTempDir('atomic');
    fs.mkdirSync(path.join(dir, 'occupied'));
    fs.writeFileSync(path.join(dir, 'occupied', 'keep.txt'), 'kept');
    await expect(writeFileAtomic(path.join(dir, 'occupied'), 'data')).rejects.toThrow();
    expect(ls(dir)).toEqual(['occupied']);
    expect(fs.readFileSync(path.join(dir, 'occupied', 'keep.txt'), 'utf8')).toBe('kept');
  });

  it('fails without creating anything when the folder does not exist', async () => {
    const dir = makeTempDir('atomic');
    await expect(writeFileAtomic(path.join(dir, 'missing', 'f'), 'x')).rejects.toThrow(/ENOENT/);
    expect(ls(dir)).toEqual([]);
  });
});

describe('readSmallFile', () => {
  it('reads UTF-8 text and refuses files over the limit', async () => {
    const dir = makeTempDir('atomic');
    const f = path.join(dir, 'm.json');
    fs.writeFileSync(f, '{"ä":1}');
    await expect(readSmallFile(f)).resolves.toBe('{"ä":1}');
    await expect(readSmallFile(f, 4)).rejects.toThrow(`${f}: 8 bytes is larger than the 4 bytes allowed for this file`);
  });
});

describe('sha256', () => {
  it('matches a one-shot digest for bytes spanning several chunks, and for files', async () => {
    const data = new Uint8Array(9 * 1024 * 1024 + 13).map((_, i) => (i * 31) & 0xff);
    const expected = createHash('sha256').update(data).digest('hex');
    await expect(sha256OfBytes(data)).resolves.toBe(expected);
    const f = path.join(makeTempDir('hash'), 'blob');
    fs.writeFileSync(f, data);
    await expect(sha256OfFile(f)).resolves.toEqual({ sha256: expected, size: data.byteLength });
  });

  it('hashes the empty input to the known empty digest', async () => {
    await expect(sha256OfBytes(new Uint8Array(0))).resolves.toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
