// TensorBoard event files: written records read back exactly with valid CRCs, corruption and
// truncation detection, unique file names, histogram statistics.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { basename, join } from 'path';
import { readEventFile, TensorBoardWriter } from '../../lib/logging/tensorboard';
import { computeHistogram, DEFAULT_BUCKET_LIMITS } from '../../lib/logging/histogram';
import { SessionStatus } from '../../lib/logging/event-proto';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tb-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const fixedClock = (ms: number) => () => ms;

function writeSample(): string {
  const w = TensorBoardWriter.open(join(dir, 'tb'), { hostname: 'host', now: fixedClock(1_700_000_000_500) });
  w.addScalar('train/loss', 0.5, 0);
  w.addScalar('train/loss', 0, 10);
  w.addScalar('val/accuracy', NaN, 20);
  w.addScalar('val/big', 1e40, 30);
  w.addHistogram('weights/fc1', Float32Array.from([-2, -0.5, 0, 0, 1e-13, 3.25]), 30);
  w.addSessionStart(30);
  w.close();
  w.close(); // idempotent
  return w.path;
}

describe('TensorBoardWriter', () => {
  it('names files events.out.tfevents.<10-digit seconds>.<host>.<pid>.<n>', () => {
    const path = writeSample();
    expect(basename(path)).toMatch(new RegExp(`^events\\.out\\.tfevents\\.1700000000\\.host\\.${process.pid}\\.\\d+$`));
  });

  it('pads the timestamp to 10 digits', () => {
    const w = TensorBoardWriter.open(dir, { hostname: 'h', now: fixedClock(5_000) });
    w.close();
    expect(basename(w.path)).toMatch(/^events\.out\.tfevents\.0000000005\.h\./);
  });

  it('gives two writers opened in the same second different files', () => {
    const a = TensorBoardWriter.open(dir, { hostname: 'h', now: fixedClock(1_000_000) });
    const b = TensorBoardWriter.open(dir, { hostname: 'h', now: fixedClock(1_000_000) });
    a.close();
    b.close();
    expect(a.path).not.toBe(b.path);
    expect(readdirSync(dir).sort()).toEqual([basename(a.path), basename(b.path)].sort());
  });

  it('reads back every event with exact values', () => {
    const { events, truncated } = readEventFile(writeSample());
    expect(truncated).toBe(false);
    expect(events.length).toBe(7);
    for (const e of events) expect(e.wallTime).toBe(1_700_000_000.5);
    expect(events[0]).toEqual({ wallTime: 1_700_000_000.5, step: 0, fileVersion: 'brain.Event:2' });
    expect(events[1].scalars).toEqual([{ tag: 'train/loss', value: 0.5 }]);
    // 0.0 is emitted (oneof member), not dropped.
    expect(events[2]).toEqual({ wallTime: 1_700_000_000.5, step: 10, scalars: [{ tag: 'train/loss', value: 0 }] });
    expect(events[3].step).toBe(20);
    expect(events[3].scalars?.[0].value).toBeNaN();
    // Written as float32: beyond float range becomes +Infinity, as TensorBoard would show it.
    expect(events[4].scalars).toEqual([{ tag: 'val/big', value: Infinity }]);
    const h = events[5].histograms?.[0];
    expect(h?.tag).toBe('weights/fc1');
    expect(h?.min).toBe(-2);
    expect(h?.max).toBe(3.25);
    expect(h?.num).toBe(6);
    expect(h?.sum).toBeCloseTo(0.75 + 1e-13, 15);
    expect(h?.sumSquares).toBeCloseTo(4 + 0.25 + 10.5625, 12);
    expect(h?.bucket.reduce((a, b) => a + b, 0)).toBe(6);
    expect(events[6]).toEqual({ wallTime: 1_700_000_000.5, step: 30, sessionStatus: SessionStatus.START });
  });

  it('buffers records until flush()', () => {
    const w = TensorBoardWriter.open(dir, { hostname: 'h' });
    const afterOpen = readFileSync(w.path).length;
    w.addScalar('a', 1, 1);
    expect(readFileSync(w.path).length).toBe(afterOpen);
    w.flush();
    expect(readFileSync(w.path).length).toBeGreaterThan(afterOpen);
    w.close();
    expect(() => w.addScalar('a', 1, 2)).toThrow('is closed');
  });

  it('detects a flipped byte anywhere in the file as a CRC error', () => {
    const path = writeSample();
    const original = readFileSync(path);
    for (const at of [0, 9, 13, original.length - 1, Math.floor(original.length / 2)]) {
      const copy = Buffer.from(original);
      copy[at] ^= 0x40;
      writeFileSync(path, copy);
      expect(() => readEventFile(path)).toThrow(/CRC mismatch/);
    }
  });

  it('reports a truncated last record and keeps the complete ones', () => {
    const path = writeSample();
    const original = readFileSync(path);
    writeFileSync(path, original.subarray(0, original.length - 3));
    const { events, truncated } = readEventFile(path);
    expect(truncated).toBe(true);
    expect(events.length).toBe(6);
    expect(events[5].histograms?.[0].tag).toBe('weights/fc1');
  });
});

describe('computeHistogram', () => {
  it('uses TF default limits: ±1e-12·1.1^k up to 1e20, 0, ±DBL_MAX', () => {
    const limits = DEFAULT_BUCKET_LIMITS;
    const mid = limits.indexOf(0);
    expect(limits.length).toBe(2 * mid + 1);
    expect(limits[mid + 1]).toBe(1e-12);
    expect(limits[mid + 2]).toBe(1e-12 * 1.1);
    expect(limits[limits.length - 1]).toBe(Number.MAX_VALUE);
    expect(limits[0]).toBe(-Number.MAX_VALUE);
    expect(limits[limits.length - 2]).toBeLessThan(1e20);
    expect(limits[limits.length - 2] * 1.1).toBeGreaterThanOrEqual(1e20);
    for (let i = 1; i < limits.length; i++) expect(limits[i]).toBeGreaterThan(limits[i - 1]);
  });

  it('matches the input statistics and counts every finite value once', () => {
    const values = new Float64Array(1000);
    let seed = 7;
    for (let i = 0; i < values.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      values[i] = (seed / 2 ** 31 - 0.5) * 10;
    }
    values[3] = NaN;
    values[4] = Infinity;
    const h = computeHistogram(values);
    const finite = Array.from(values).filter(Number.isFinite);
    expect(h.num).toBe(998);
    expect(h.min).toBe(Math.min(...finite));
    expect(h.max).toBe(Math.max(...finite));
    expect(h.sum).toBeCloseTo(finite.reduce((a, b) => a + b, 0), 9);
    expect(h.sumSquares).toBeCloseTo(finite.reduce((a, b) => a + b * b, 0), 6);
    expect(h.bucket.reduce((a, b) => a + b, 0)).toBe(998);
    expect(h.bucket.length).toBe(h.bucketLimit.length);
    // Runs of empty buckets are collapsed: no two empty buckets in a row.
    for (let i = 1; i < h.bucket.length; i++) expect(h.bucket[i] === 0 && h.bucket[i - 1] === 0).toBe(false);
  });

  it('puts each value in [limit[i-1], limit[i]) like TF', () => {
    const h = computeHistogram([0, 1e-12]);
    // 0 lands in [0, 1e-12), 1e-12 in [1e-12, 1.1e-12).
    const nonEmpty = h.bucket.map((c, i) => [h.bucketLimit[i], c]).filter(([, c]) => c > 0);
    expect(nonEmpty).toEqual([
      [1e-12, 1],
      [1e-12 * 1.1, 1],
    ]);
    expect(h.bucketLimit[h.bucketLimit.length - 1]).toBe(Number.MAX_VALUE);
  });

  it('gives an empty histogram for no finite values', () => {
    expect(computeHistogram([NaN])).toEqual({ min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [], bucket: [] });
  });
});
