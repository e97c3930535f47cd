/** EpochSampler and sequentialBatches (lib/data/sampler.ts). */
import { EpochSampler, sequentialBatches } from '../../lib/data/sampler';

function epochIndices(s: EpochSampler, epoch: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < s.batchesPerEpoch; b++) out.push(...s.batchIndices(epoch, b));
  return out;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('EpochSampler', () => {
  test('without dropLast an epoch is a permutation of 0..N-1; last batch short', () => {
    const s = new EpochSampler({ size: 10, batchSize: 4, dropLast: false, seed: 1 });
    expect(s.batchesPerEpoch).toBe(3);
    expect(s.batchIndices(0, 2).length).toBe(2);
    const idx = epochIndices(s, 0);
    expect([...idx].sort((a, b) => a - b)).toEqual(range(10));
    expect(idx).not.toEqual(range(10));
  });

  test('dropLast: floor(N / B) full batches, distinct indices', () => {
    const s = new EpochSampler({ size: 10, batchSize: 4, dropLast: true, seed: 1 });
    expect(s.batchesPerEpoch).toBe(2);
    const idx = epochIndices(s, 3);
    expect(idx.length).toBe(8);
    expect(new Set(idx).size).toBe(8);
    expect(() => s.batchIndices(0, 2)).toThrow('batch 2 is outside 0..1');
    // the dropped samples are the tail of that epoch's permutation, so they change per epoch
    expect(s.permutation(3).slice(0, 8)).toEqual(new Int32Array(idx));
  });

  test('epochs differ; a pure function of (seed, epoch) regardless of call order', () => {
    const a = new EpochSampler({ size: 100, batchSize: 10, dropLast: true, seed: 7 });
    const e0 = epochIndices(a, 0);
    const e1 = epochIndices(a, 1);
    expect(e1).not.toEqual(e0);
    // A fresh sampler asked for epoch 1 batch 5 first (a resume) gives the same indices.
    const b = new EpochSampler({ size: 100, batchSize: 10, dropLast: true, seed: 7 });
    expect(Array.from(b.batchIndices(1, 5))).toEqual(e1.slice(50, 60));
    expect(Array.from(b.batchIndices(0, 0))).toEqual(e0.slice(0, 10));
    expect(epochIndices(new EpochSampler({ size: 100, batchSize: 10, dropLast: true, seed: 8 }), 0)).not.toEqual(e0);
  });

  test('batchIndices returns a copy', () => {
    const s = new EpochSampler({ size: 6, batchSize: 3, dropLast: true, seed: 0 });
    const first = Array.from(s.batchIndices(0, 0));
    s.batchIndices(0, 0).fill(-1);
    expect(Array.from(s.batchIndices(0, 0))).toEqual(first);
  });

  test('ranks take disjoint slices of each global batch (SPEC §1: floor(N / (B·W)))', () => {
    const opts = { size: 20, batchSize: 3, dropLast: true, seed: 3, worldSize: 2 };
    const r0 = new EpochSampler({ ...opts, rank: 0 });
    const r1 = new EpochSampler({ ...opts, rank: 1 });
    expect(r0.batchesPerEpoch).toBe(3);
    const one = new EpochSampler({ ...opts, worldSize: 1, batchSize: 6 });
    for (let b = 0; b < 3; b++) {
      expect([...r0.batchIndices(2, b), ...r1.batchIndices(2, b)]).toEqual(Array.from(one.batchIndices(2, b)));
    }
    expect(() => new EpochSampler({ ...opts, rank: 2 })).toThrow('need 0 <= rank < worldSize');
  });
});

describe('sequentialBatches', () => {
  test('in order, last partial batch kept', () => {
    expect(sequentialBatches(7, 3).map((b) => Array.from(b))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(sequentialBatches(0, 3)).toEqual([]);
  });
});
