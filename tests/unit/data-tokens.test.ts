/** DATA.SOURCE tokens and text (lib/data/sources/token-source.ts through loadData). */
import * as fs from 'fs';
import * as path from 'path';
import { loadData } from '../../lib/data/load';
import { expectError, tmpDir, writeFiles } from '../fixtures/data/helpers';
import { makeConfig } from './helpers/make-config';

function tokConfig(data: Record<string, unknown>, model: Record<string, unknown> = {}) {
  return makeConfig({ DATA: { SOURCE: 'tokens', TRAIN_PATH: 'train.bin', ...data }, MODEL: { TYPE: 'gpt', ...model } });
}

describe('tokens source', () => {
  test('uint16: non-overlapping blocks of BLOCK_SIZE, the tail dropped', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'train.bin': new Uint8Array(new Uint16Array([1, 2, 3, 4, 5, 6, 60000, 8, 9, 10, 11]).buffer) });
    const { train } = loadData(tokConfig({ BLOCK_SIZE: 4 }), { baseDir: dir });
    expect(train.kind).toBe('tokens');
    expect(train.labelKind).toBe('none');
    expect(train.size).toBe(2);
    expect(train.width).toBe(4);
    expect(train.vocabSize).toBe(60001);
    expect(train.gather([1, 0]).tokens).toEqual(new Int32Array([5, 6, 60000, 8, 1, 2, 3, 4]));
  });

  test('uint32 ids above 65535', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'train.bin': new Uint8Array(new Uint32Array([100000, 7, 3, 2]).buffer) });
    const { train } = loadData(tokConfig({ BLOCK_SIZE: 2, TOKEN_DTYPE: 'uint32' }), { baseDir: dir });
    expect(train.gather([0, 1]).tokens).toEqual(new Int32Array([100000, 7, 3, 2]));
  });

  test('BLOCK_SIZE defaults to 64', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'train.bin': new Uint8Array(new Uint16Array(130).buffer) });
    const { train } = loadData(tokConfig({}), { baseDir: dir });
    expect(train.width).toBe(64);
    expect(train.size).toBe(2);
  });

  test('file size not a multiple of the element size', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'train.bin': new Uint8Array(7) });
    expectError(() => loadData(tokConfig({ BLOCK_SIZE: 2 }), { baseDir: dir }), 'DataError', 'data error: train.bin: is 7 bytes, not a multiple of 2; DATA.TOKEN_DTYPE uint16');
    expectError(() => loadData(tokConfig({ BLOCK_SIZE: 1, TOKEN_DTYPE: 'uint32' }), { baseDir: dir }), 'DataError', 'not a multiple of 4');
  });

  test('fewer tokens than one block', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'train.bin': new Uint8Array(new Uint16Array([1, 2, 3]).buffer) });
    expectError(() => loadData(tokConfig({ BLOCK_SIZE: 4 }), { baseDir: dir }), 'DataError', 'train.bin: has 3 tokens, fewer than one block of DATA.BLOCK_SIZE 4');
  });

  test('token ids >= MODEL.VOCAB_SIZE', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'train.bin': new Uint8Array(new Uint16Array([1, 2, 3, 50]).buffer) });
    expectError(() => loadData(tokConfig({ BLOCK_SIZE: 2 }, { VOCAB_SIZE: 50 }), { baseDir: dir }), 'DataError', 'train.bin: has token id 50 but MODEL.VOCAB_SIZE is 50 (ids must be 0..49)');
  });

  test('BLOCK_SIZE > MODEL.TOKEN_LIMIT is a config error', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'train.bin': new Uint8Array(new Uint16Array(64).buffer) });
    expectError(() => loadData(tokConfig({ BLOCK_SIZE: 32 }, { TOKEN_LIMIT: 16 }), { baseDir: dir }), 'ConfigError', 'DATA.BLOCK_SIZE: 32 tokens is longer than MODEL.TOKEN_LIMIT 16');
  });

  test('missing file', () => {
    expectError(() => loadData(tokConfig({}), { baseDir: tmpDir() }), 'DataError', 'data error: train.bin: file not found');
  });
});

describe('text source', () => {
  test('UTF-8 bytes are the tokens, vocabulary 256', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'a.txt'), 'hé!!'); // h, 0xc3 0xa9, !, ! = 5 bytes
    const { train } = loadData(makeConfig({ DATA: { SOURCE: 'text', TRAIN_PATH: 'a.txt', BLOCK_SIZE: 2 }, MODEL: { TYPE: 'gpt' } }), { baseDir: dir });
    expect(train.vocabSize).toBe(256);
    expect(train.size).toBe(2);
    expect(train.gather([0, 1]).tokens).toEqual(new Int32Array([0x68, 0xc3, 0xa9, 0x21]));
  });
});
