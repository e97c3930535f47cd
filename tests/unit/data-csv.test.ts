/** csv parsing (lib/data/csv.ts) and DATA.SOURCE csv (lib/data/sources/csv-source.ts through loadData). */
import * as path from 'path';
import { parseCsv } from '../../lib/data/csv';
import { loadData } from '../../lib/data/load';
import { expectError, tmpDir, writeFiles } from '../fixtures/data/helpers';
import { makeConfig } from './helpers/make-config';

function csvConfig(data: Record<string, unknown>, model: Record<string, unknown> = {}) {
  return makeConfig({ DATA: { SOURCE: 'csv', TRAIN_PATH: 'train.csv', ...data }, MODEL: model });
}

function all(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

describe('parseCsv', () => {
  test('header, rows, quoted fields with commas and "" escapes, CRLF, blank lines, BOM', () => {
    const t = parseCsv('\ufeffa,b,c\r\n1,"x, y",3\r\n\r\n"4","say ""hi""", 6 \n', 'f.csv');
    expect(t.header).toEqual(['a', 'b', 'c']);
    expect(t.rows).toEqual([
      ['1', 'x, y', '3'],
      ['4', 'say "hi"', '6'],
    ]);
    expect(t.lines).toEqual([2, 4]);
  });

  test('errors: field count, duplicate column, empty file, unterminated quote', () => {
    expectError(() => parseCsv('a,b\n1,2\n3\n', 'f.csv'), 'DataError', 'f.csv: line 3: 1 fields but the header has 2 columns');
    expectError(() => parseCsv('a,a\n1,2\n', 'f.csv'), 'DataError', "column 'a' appears twice");
    expectError(() => parseCsv('\n\n', 'f.csv'), 'DataError', 'f.csv: the file is empty');
    expectError(() => parseCsv('a\n', 'f.csv'), 'DataError', 'no data rows');
    expectError(() => parseCsv('a,b\n"1,2\n', 'f.csv'), 'DataError', 'line 2: unterminated double-quoted field');
  });
});

describe('csv source', () => {
  test('integer labels, default features = every other column', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'train.csv': 'x1,label,x2\n0.5,1,2\n-1e-1,0,3\n4,2,.5\n' });
    const { train, val } = loadData(csvConfig({}), { baseDir: dir });
    expect(val).toBeNull();
    expect(train.kind).toBe('features');
    expect(train.width).toBe(2);
    expect(train.numClasses).toBe(3);
    const b = train.gather(all(3));
    expect(Array.from(b.features ?? [])).toEqual([0.5, 2, Math.fround(-0.1), 3, 4, 0.5]);
    expect(b.labels).toEqual(new Int32Array([1, 0, 2]));
  });

  test('string labels map to ids in sorted order over BOTH splits', () => {
    const dir = tmpDir();
    writeFiles(dir, {
      'train.csv': 'f,species\n1,zebra\n2,ant\n3,zebra\n',
      'val.csv': 'f,species\n4,mole\n5,ant\n',
    });
    const { train, val } = loadData(csvConfig({ LABELS: 'species', VAL_PATH: 'val.csv' }), { baseDir: dir });
    expect(train.classNames).toEqual(['ant', 'mole', 'zebra']);
    expect(train.numClasses).toBe(3);
    expect(train.gather(all(3)).labels).toEqual(new Int32Array([2, 0, 2]));
    expect(val?.gather(all(2)).labels).toEqual(new Int32Array([1, 0]));
    expect(val?.numClasses).toBe(3);
  });

  test('a bad feature cell names file, line and column', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'train.csv': 'a,b,label\n1,2,0\n3,abc,1\n' });
    expectError(() => loadData(csvConfig({}), { baseDir: dir }), 'DataError', `data error: train.csv: line 3, column 'b': "abc" is not a number`);
  });

  test('an empty cell is not a number either', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'train.csv': 'a,label\n,0\n' });
    expectError(() => loadData(csvConfig({}), { baseDir: dir }), 'DataError', `line 2, column 'a': "" is not a number`);
  });

  test('numeric labels must be integers >= 0 for classification', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'train.csv': 'a,label\n1,0\n2,1.5\n', 'neg.csv': 'a,label\n1,0\n2,-1\n' });
    expectError(() => loadData(csvConfig({}), { baseDir: dir }), 'DataError', `train.csv: line 3, column 'label': "1.5" is not a class id`);
    expectError(() => loadData(csvConfig({ TRAIN_PATH: 'neg.csv' }), { baseDir: dir }), 'DataError', `neg.csv: line 3, column 'label': "-1" is not a class id`);
  });

  test('regression: float targets, several LABELS columns give outputDim K', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'train.csv': 'x,y1,y2\n1,0.25,-2\n2,1.5,3\n' });
    const { train } = loadData(csvConfig({ LABELS: 'y1,y2' }, { TASK: 'regression' }), { baseDir: dir });
    expect(train.labelKind).toBe('regression');
    expect(train.outputDim).toBe(2);
    expect(train.width).toBe(1);
    expect(train.gather([1, 0]).labels).toEqual(new Float32Array([1.5, 3, 0.25, -2]));
  });

  test('FEATURES list, GROUPS (names and empty = -1), meta columns', () => {
    const dir = tmpDir();
    writeFiles(dir, {
      'train.csv': 'a,b,c,label,genus,meta_TIME,meta_PLACE_0,meta_PLACE_1\n1,2,3,0,pan,0.1,10,20\n4,5,6,1,,0.2,30,40\n7,8,9,1,homo,0.3,50,60\n',
    });
    const { train } = loadData(csvConfig({ FEATURES: 'c, a', GROUPS: 'genus', META_COMPONENTS: ['PLACE', 'TIME'] }), { baseDir: dir });
    expect(train.width).toBe(2);
    expect(train.metaComponents).toEqual([
      { name: 'PLACE', offset: 0, width: 2 },
      { name: 'TIME', offset: 2, width: 1 },
    ]);
    const b = train.gather(all(3));
    expect(Array.from(b.features ?? [])).toEqual([3, 1, 6, 4, 9, 7]);
    expect(b.groups).toEqual(new Int32Array([1, -1, 0])); // homo = 0, pan = 1
    expect(b.meta).toEqual(new Float32Array([10, 20, 0.1, 30, 40, 0.2, 50, 60, 0.3]));

    // Without FEATURES, label / group / meta columns are not features.
    const d2 = loadData(csvConfig({ GROUPS: 'genus', META_COMPONENTS: ['PLACE', 'TIME'] }), { baseDir: dir });
    expect(d2.train.width).toBe(3);
  });

  test('missing columns and files are named', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'train.csv': 'a,label\n1,0\n' });
    expectError(() => loadData(csvConfig({ LABELS: 'y' }), { baseDir: dir }), 'DataError', "train.csv: has no column 'y' (DATA.LABELS names it); columns: a, label");
    expectError(() => loadData(csvConfig({ META_COMPONENTS: ['T'] }), { baseDir: dir }), 'DataError', "has no column 'meta_T'");
    expectError(() => loadData(csvConfig({ TRAIN_PATH: 'nope.csv' }), { baseDir: dir }), 'DataError', `data error: nope.csv: file not found (looked for ${path.join(dir, 'nope.csv')})`);
  });

  test('validation file with other feature columns is refused', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'train.csv': 'a,b,label\n1,2,0\n', 'val.csv': 'a,c,label\n1,2,0\n' });
    expectError(() => loadData(csvConfig({ VAL_PATH: 'val.csv' }), { baseDir: dir }), 'DataError', 'val.csv: feature columns (a,c) differ from train.csv');
  });

  test('relative paths resolve against baseDir', () => {
    const dir = tmpDir();
    writeFiles(dir, { 'sub/train.csv': 'a,label\n1,0\n' });
    const { train } = loadData(csvConfig({ TRAIN_PATH: 'sub/train.csv' }), { baseDir: dir });
    expect(train.size).toBe(1);
    const abs = loadData(csvConfig({ TRAIN_PATH: path.join(dir, 'sub/train.csv') }), { baseDir: '/nonexistent' });
    expect(abs.train.size).toBe(1);
  });
});
