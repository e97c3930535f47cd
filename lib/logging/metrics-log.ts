/**
 * `metrics.jsonl` (SPEC §10): one JSON object a line, e.g.
 *   {"step":64,"epoch":1,"split":"train","loss":0.51,"lr":0.001}
 *
 * - Non-finite numbers: JSON has no NaN/Infinity, so they are written as `null` (what
 *   JSON.stringify does) and read back as `null`; a reader cannot tell NaN from Inf.
 * - Each append() is one write of one complete line, so a crash tears at most the last line;
 *   readers skip a torn last line.
 * - On resume, lines with step > resumeStep (written after the checkpoint we resume from) are
 *   dropped first, by an atomic rewrite, so a resumed run's file equals an uninterrupted run's.
 */
import { existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'fs';
import { atPath } from '../checkpoint/io-error';
import { syncAndClose } from './fd';

export type MetricsRecord = { step: number; epoch: number; split: string } & Record<string, number | string | null>;

export interface MetricsLogOptions {
  /** The step of the checkpoint being resumed: lines with a larger step are removed. */
  resumeStep?: number;
}

function isRecord(value: unknown): value is MetricsRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  return typeof r.step === 'number' && typeof r.epoch === 'number' && typeof r.split === 'string';
}

function parseLine(line: string): MetricsRecord | null {
  try {
    const value: unknown = JSON.parse(line);
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * Replaces `path` by the complete, valid lines that `keep` accepts: temporary file, fsync, rename,
 * so a crash leaves either the old or the new file.
 */
function rewriteKeeping(path: string, keep: (r: MetricsRecord) => boolean): void {
  const lines = readFileSync(path, 'utf8').split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    const r = line.trim() === '' ? null : parseLine(line);
    if (r !== null && keep(r)) kept.push(line);
  }
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, kept.map((l) => `${l}\n`).join(''));
    syncAndClose(openSync(tmp, 'r+'));
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw atPath(e, tmp);
  }
}

export class MetricsLog {
  readonly path: string;
  private fd: number | null;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  /**
   * Opens `path` for appending (creating it). With `resumeStep`, first keeps only the lines whose
   * step <= resumeStep. Without it, an existing file that ends in a torn line is repaired first
   * (otherwise the next record would be glued onto the torn one).
   */
  static open(path: string, opts: MetricsLogOptions = {}): MetricsLog {
    if (existsSync(path)) {
      const { resumeStep } = opts;
      if (resumeStep !== undefined) {
        rewriteKeeping(path, (r) => r.step <= resumeStep);
      } else {
        const text = readFileSync(path, 'utf8');
        if (text.length > 0 && !text.endsWith('\n')) rewriteKeeping(path, () => true);
      }
    }
    return new MetricsLog(path, openSync(path, 'a'));
  }

  /** Writes one line now (one write call). Non-finite numbers become null. */
  append(record: MetricsRecord): void {
    if (this.fd === null) throw new Error(`MetricsLog: ${this.path} is closed`);
    const data = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    let off = 0;
    try {
      while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
    } catch (e) {
      throw atPath(e, this.path);
    }
  }

  /** Makes every appended line durable (fsync); call before writing a checkpoint's manifest. */
  flush(): void {
    try {
      if (this.fd !== null) fsyncSync(this.fd);
    } catch (e) {
      throw atPath(e, this.path);
    }
  }

  /** fsync + close; idempotent. */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    syncAndClose(fd);
  }
}

export class MetricsLogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricsLogError';
  }
}

/**
 * All records of a metrics.jsonl file. A torn last line (no trailing newline, not valid JSON) is
 * skipped; an invalid line anywhere else is corruption and throws MetricsLogError naming the line.
 */
export function readMetricsLog(path: string): MetricsRecord[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const records: MetricsRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const r = parseLine(line);
    if (r !== null) {
      records.push(r);
      return;
    }
    const isTornTail = i === lines.length - 1; // the text after the last '\n'
    if (!isTornTail) {
      throw new MetricsLogError(`${path} line ${i + 1}: not a metrics record (expected a JSON object with numeric "step", "epoch" and a string "split")`);
    }
  });
  return records;
}
