/** Retention: top-N by metric ∪ last-N by step, never empty; exact sets, properties, and deletion on disk. */
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { CheckpointStore, bestCheckpoint, selectRetained, type CheckpointInfo } from '../../lib/checkpoint';
import { MODEL, ls, makeTempDir } from './helpers/checkpoint-fixtures';

function ckpt(step: number, value?: number, mode: 'min' | 'max' = 'min', name = 'val_loss'): CheckpointInfo {
  const info: CheckpointInfo = { name: `step-${String(step).padStart(8, '0')}`, dir: `/x/${step}`, step };
  if (value !== undefined) info.metric = { name, value, mode };
  return info;
}
const names = (s: Set<string>): string[] => [...s].sort();
const n = (step: number): string => `step-${String(step).padStart(8, '0')}`;

describe('selectRetained (exact sets)', () => {
  // losses by step: 10→0.9, 20→0.2, 30→0.5, 40→0.1, 50→0.7
  const losses: Array<[number, number]> = [[10, 0.9], [20, 0.2], [30, 0.5], [40, 0.1], [50, 0.7]];
  const min = losses.map(([s, v]) => ckpt(s, v, 'min'));
  const max = losses.map(([s, v]) => ckpt(s, v, 'max'));

  it.each([
    [0, 0, [50]],
    [0, 1, [50]],
    [0, 2, [40, 50]],
    [1, 0, [40]],
    [2, 0, [20, 40]],
    [2, 1, [20, 40, 50]],
    [3, 2, [20, 30, 40, 50]],
    [9, 9, [10, 20, 30, 40, 50]],
  ])('min mode: top %i ∪ last %i = %j', (top, last, expected) => {
    expect(names(selectRetained(min, top, last))).toEqual(expected.map(n));
  });

  it.each([
    [1, 0, [10]],
    [2, 0, [10, 50]],
    [2, 1, [10, 50]],
    [1, 2, [10, 40, 50]],
  ])('max mode: top %i ∪ last %i = %j', (top, last, expected) => {
    expect(names(selectRetained(max, top, last))).toEqual(expected.map(n));
  });

  it('ignores absent and non-finite metrics for top-N, and keeps the newest when nothing else qualifies', () => {
    const list = [ckpt(1, NaN), ckpt(2), ckpt(3, Infinity), ckpt(4, -Infinity)];
    expect(names(selectRetained(list, 3, 0))).toEqual([n(4)]);
    expect(bestCheckpoint(list)).toBeUndefined();
    const withOne = [ckpt(1, 5), ckpt(2, NaN), ckpt(3)];
    expect(names(selectRetained(withOne, 1, 0))).toEqual([n(1)]);
    expect(bestCheckpoint(withOne)?.name).toBe(n(1));
  });

  it('breaks ties in favour of the newer checkpoint', () => {
    const list = [ckpt(1, 0.3), ckpt(2, 0.3), ckpt(3, 0.5)];
    expect(names(selectRetained(list, 1, 0))).toEqual([n(2)]);
    expect(bestCheckpoint(list)?.name).toBe(n(2));
  });

  it('compares only checkpoints carrying the newest metric name', () => {
    const list = [ckpt(1, 0.01, 'min', 'train_loss'), ckpt(2, 0.5, 'min', 'val_loss'), ckpt(3, 0.4, 'min', 'val_loss')];
    expect(names(selectRetained(list, 1, 0))).toEqual([n(3)]);
  });

  it('returns the empty set only for no checkpoints, and rejects negative counts', () => {
    expect(selectRetained([], 2, 2).size).toBe(0);
    expect(() => selectRetained([ckpt(1)], -1, 0)).toThrow('keepTopN (SCHEDULE.CHECKPOINT.KEEP_TOP_N) must be a non-negative integer (got -1)');
  });
});

describe('selectRetained (properties)', () => {
  const listArb = fc
    .record({
      steps: fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 12 }),
      values: fc.array(fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(0.5, 0.25), fc.constantFrom(NaN, Infinity, -Infinity, undefined)), {
        minLength: 12,
        maxLength: 12,
      }),
      mode: fc.constantFrom('min' as const, 'max' as const),
    })
    .map(({ steps, values, mode }) => steps.map((s, i) => ckpt(s, values[i], mode)));

  it('equals top-N by metric ∪ last-N by step (or the newest when that is empty), computed independently', () => {
    fc.assert(
      fc.property(listArb, fc.nat(6), fc.nat(6), (list, top, last) => {
        const byStepDesc = [...list].sort((a, b) => b.step - a.step);
        const mode = list.find((c) => c.metric !== undefined)?.metric?.mode ?? 'min';
        const finite = list.filter((c) => c.metric !== undefined && Number.isFinite(c.metric.value));
        // Rank: better value first, then newer: an explicit "is a better than b" count.
        const better = (a: CheckpointInfo, b: CheckpointInfo): boolean => {
          const va = a.metric?.value ?? 0;
          const vb = b.metric?.value ?? 0;
          return (mode === 'min' ? va < vb : va > vb) || (va === vb && a.step > b.step);
        };
        const topNames = finite.filter((c) => finite.filter((o) => better(o, c)).length < top).map((c) => c.name);
        const expected = new Set([...topNames, ...byStepDesc.slice(0, last).map((c) => c.name)]);
        if (expected.size === 0) expected.add(byStepDesc[0].name);
        const got = selectRetained(list, top, last);
        expect(names(got)).toEqual(names(expected));
        expect(got.size).toBeGreaterThan(0);
        expect(got.has(byStepDesc[0].name) || last === 0).toBe(true);
      }),
    );
  });
});

describe('retention on disk', () => {
  it.each([
    [0, 2, [30, 40]],
    [1, 1, [20, 40]],
    [0, 0, [40]],
    [2, 0, [20, 40]],
  ])('KEEP_TOP_N %i, KEEP_LAST_N %i keeps %j', async (top, last, kept) => {
    const dir = path.join(makeTempDir('retain'), 'checkpoints');
    const store = new CheckpointStore(dir, { keepTopN: top, keepLastN: last });
    const values: Array<[number, number]> = [[10, 0.9], [20, 0.1], [30, 0.5], [40, 0.3]];
    const deleted: string[] = [];
    for (const [step, value] of values) {
      const r = await store.save({ step, model: MODEL, optimizer: [], trainerState: { step }, metric: { name: 'val_loss', value, mode: 'min' } });
      deleted.push(...r.deleted);
      expect(r.deleted).not.toContain(r.info.name);
    }
    const keptNames = kept.map(n);
    expect((await store.list()).map((c) => c.name)).toEqual(keptNames);
    expect([...deleted].sort()).toEqual(values.map(([s]) => n(s)).filter((x) => !keptNames.includes(x)));
    // No `.tmp-deleting-*` (or any other temp) folder is left behind.
    expect(ls(dir)).toEqual([...(ls(dir).includes('best') ? ['best'] : []), 'latest', ...keptNames]);
    expect(fs.readFileSync(path.join(dir, 'latest'), 'utf8')).toBe(`${n(40)}\n`);
  });

  it('deletes through a .tmp-deleting- rename with the manifest removed first', async () => {
    const dir = path.join(makeTempDir('retain'), 'checkpoints');
    const store = new CheckpointStore(dir, { keepTopN: 0, keepLastN: 1 });
    await store.save({ step: 1, model: MODEL, optimizer: [], trainerState: {} });
    const ops: string[] = [];
    const realRename = fs.promises.rename.bind(fs.promises);
    const realRm = fs.promises.rm.bind(fs.promises);
    jest.spyOn(fs.promises, 'rename').mockImplementation(async (a, b) => {
      ops.push(`rename ${path.basename(String(a))} -> ${path.basename(String(b))}`);
      return realRename(a, b);
    });
    jest.spyOn(fs.promises, 'rm').mockImplementation(async (p, o) => {
      if (fs.existsSync(String(p))) ops.push(`rm ${path.relative(dir, String(p))}`);
      return realRm(p, o);
    });
    const r = await store.save({ step: 2, model: MODEL, optimizer: [], trainerState: {} });
    jest.restoreAllMocks();
    expect(r.deleted).toEqual([n(1)]);
    const i = ops.indexOf(`rename ${n(1)} -> .tmp-deleting-${n(1)}`);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(ops.slice(i + 1)).toEqual([`rm ${path.join(`.tmp-deleting-${n(1)}`, 'manifest.json')}`, `rm .tmp-deleting-${n(1)}`]);
  });

  it('never deletes the checkpoint just saved, even behind newer ones from an earlier run', async () => {
    const dir = path.join(makeTempDir('retain'), 'checkpoints');
    const store = new CheckpointStore(dir, { keepTopN: 0, keepLastN: 1 });
    await store.save({ step: 50, model: MODEL, optimizer: [], trainerState: {} });
    const r = await store.save({ step: 30, model: MODEL, optimizer: [], trainerState: {} });
    expect(r.deleted).toEqual([]);
    expect((await store.list()).map((c) => c.step)).toEqual([30, 50]);
    expect(fs.readFileSync(path.join(dir, 'latest'), 'utf8')).toBe(`${n(50)}\n`);
  });
});
