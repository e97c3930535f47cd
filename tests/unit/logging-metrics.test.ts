// metrics.jsonl: exact lines, non-finite values as null, resume truncation, torn-line handling.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { MetricsLog, MetricsLogError, MetricsRecord, readMetricsLog } from '../../lib/logging/metrics-log';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'metrics-test-'));
  path = join(dir, 'metrics.jsonl');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const rec = (step: number, split = 'train', extra: Record<string, number | string | null> = {}): MetricsRecord => ({
  step,
  epoch: Math.floor(step / 100),
  split,
  ...extra,
});

describe('MetricsLog', () => {
  it('writes one JSON line per record, in key order, on disk after close()', () => {
    const log = MetricsLog.open(path);
    log.append({ step: 64, epoch: 1, split: 'train', loss: 0.51, lr: 0.001 });
    log.append({ step: 64, epoch: 1, split: 'val_partial_mask_meta:a+b', loss: 0.4, accuracy: 0.88 });
    log.close();
    log.close();
    expect(readFileSync(path, 'utf8')).toBe(
      '{"step":64,"epoch":1,"split":"train","loss":0.51,"lr":0.001}\n' +
        '{"step":64,"epoch":1,"split":"val_partial_mask_meta:a+b","loss":0.4,"accuracy":0.88}\n',
    );
    expect(() => log.append(rec(1))).toThrow('is closed');
  });

  it('writes NaN and ±Infinity as null', () => {
    const log = MetricsLog.open(path);
    log.append(rec(1, 'train', { loss: NaN, grad_norm: Infinity, x: -Infinity }));
    log.close();
    expect(readFileSync(path, 'utf8')).toBe('{"step":1,"epoch":0,"split":"train","loss":null,"grad_norm":null,"x":null}\n');
    expect(readMetricsLog(path)).toEqual([{ step: 1, epoch: 0, split: 'train', loss: null, grad_norm: null, x: null }]);
  });

  it('on resume keeps exactly the lines with step <= resumeStep, then appends', () => {
    const first = MetricsLog.open(path);
    for (const s of [10, 20, 30, 40, 50]) first.append(rec(s, 'train', { loss: s / 100 }));
    first.append(rec(30, 'val', { loss: 0.3 }));
    first.append(rec(50, 'val', { loss: 0.2 }));
    first.close();
    const resumed = MetricsLog.open(path, { resumeStep: 30 });
    resumed.append(rec(40, 'train', { loss: 0.99 }));
    resumed.close();
    expect(readMetricsLog(path).map((r) => [r.step, r.split, r.loss])).toEqual([
      [10, 'train', 0.1],
      [20, 'train', 0.2],
      [30, 'train', 0.3],
      [30, 'val', 0.3],
      [40, 'train', 0.99],
    ]);
  });

  it('makes a resumed file byte-identical to an uninterrupted one', () => {
    const records = [rec(10, 'train', { loss: 1 }), rec(20, 'train', { loss: 0.5 }), rec(20, 'val', { acc: 0.7 }), rec(30, 'train', { loss: 0.25 })];
    const straight = join(dir, 'straight.jsonl');
    const a = MetricsLog.open(straight);
    records.forEach((r) => a.append(r));
    a.close();

    const b = MetricsLog.open(path);
    records.slice(0, 3).forEach((r) => b.append(r));
    b.append(rec(30, 'train', { loss: 123 })); // written after the checkpoint at 20, then a crash
    appendFileSync(path, '{"step":40,"ep'); // torn line
    b.close();
    const c = MetricsLog.open(path, { resumeStep: 20 });
    c.append(records[3]);
    c.close();
    expect(readFileSync(path, 'utf8')).toBe(readFileSync(straight, 'utf8'));
  });

  it('resume on a missing file just creates it', () => {
    const log = MetricsLog.open(path, { resumeStep: 100 });
    log.append(rec(1));
    log.close();
    expect(readMetricsLog(path)).toEqual([rec(1)]);
  });

  it('repairs a torn last line before appending without resume', () => {
    writeFileSync(path, '{"step":1,"epoch":0,"split":"train"}\n{"step":2,"ep');
    const log = MetricsLog.open(path);
    log.append(rec(3));
    log.close();
    expect(readFileSync(path, 'utf8')).toBe('{"step":1,"epoch":0,"split":"train"}\n{"step":3,"epoch":0,"split":"train"}\n');
  });
});

describe('readMetricsLog', () => {
  it('skips a torn last line', () => {
    writeFileSync(path, '{"step":1,"epoch":0,"split":"train","loss":1}\n{"step":2,"epoch":0,"spl');
    expect(readMetricsLog(path)).toEqual([{ step: 1, epoch: 0, split: 'train', loss: 1 }]);
  });
  it('rejects a bad line in the middle, naming file and line', () => {
    writeFileSync(path, '{"step":1,"epoch":0,"split":"train"}\nnot json\n{"step":2,"epoch":0,"split":"train"}\n');
    expect(() => readMetricsLog(path)).toThrow(MetricsLogError);
    expect(() => readMetricsLog(path)).toThrow(`${path} line 2: not a metrics record`);
  });
});
