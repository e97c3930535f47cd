/**
 * A TensorBoard event-file writer and reader (FORMATS.md A2, SPEC §10 `tensorboard/`).
 *
 * Every open() starts a NEW file — TensorBoard reads a directory's files in name order, so a resumed
 * run must never append to or rewrite an old one. Records are buffered in memory and written with
 * one write per flush(); synchronous fs is fine because writes happen only at logging intervals.
 */
import { mkdirSync, openSync, readFileSync, writeSync } from 'fs';
import { atPath } from '../checkpoint/io-error';
import { syncAndClose } from './fd';
import { hostname as osHostname } from 'os';
import { join } from 'path';
import { computeHistogram } from './histogram';
import {
  decodeEvent,
  encodeFileVersionEvent,
  encodeHistogramEvent,
  encodeScalarEvent,
  encodeSessionLogEvent,
  ParsedEvent,
  SessionStatus,
} from './event-proto';
import { frameRecord, splitRecords } from './tfrecord';

export type { ParsedEvent, ParsedHistogram, ParsedScalar } from './event-proto';

export interface TensorBoardWriterOptions {
  hostname?: string;
  /** Clock in ms since the epoch (tests pin it). */
  now?: () => number;
}

/** Per-process counter that keeps two writers opened in the same second apart. */
let fileCounter = 0;

/** A hostname safe inside a file name (no path separators or spaces). */
function safeHostname(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return cleaned.length > 0 ? cleaned : 'localhost';
}

export class TensorBoardWriter {
  readonly path: string;
  private fd: number | null;
  private pending: Buffer[] = [];
  private readonly now: () => number;

  private constructor(path: string, fd: number, now: () => number) {
    this.path = path;
    this.fd = fd;
    this.now = now;
  }

  /**
   * Creates `dir` if needed and a new file
   * `events.out.tfevents.<10-digit unix seconds>.<hostname>.<pid>.<counter>`; opening with 'wx'
   * guarantees an existing file is never reused. The first record is the file_version event.
   */
  static open(dir: string, opts: TensorBoardWriterOptions = {}): TensorBoardWriter {
    const now = opts.now ?? Date.now;
    const host = safeHostname(opts.hostname ?? osHostname());
    mkdirSync(dir, { recursive: true });
    const seconds = String(Math.floor(now() / 1000)).padStart(10, '0');
    for (;;) {
      const path = join(dir, `events.out.tfevents.${seconds}.${host}.${process.pid}.${fileCounter++}`);
      let fd: number;
      try {
        fd = openSync(path, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      const writer = new TensorBoardWriter(path, fd, now);
      writer.record(encodeFileVersionEvent(writer.wallTime()));
      writer.flush();
      return writer;
    }
  }

  private wallTime(): number {
    return this.now() / 1000;
  }

  private record(data: Uint8Array): void {
    if (this.fd === null) throw new Error(`TensorBoardWriter: ${this.path} is closed`);
    this.pending.push(frameRecord(data));
  }

  /** A scalar (simple_value, float32). NaN and ±Inf are written as they are; TensorBoard shows them. */
  addScalar(tag: string, value: number, step: number): void {
    this.record(encodeScalarEvent(this.wallTime(), step, tag, value));
  }

  /** A histogram of the finite entries of `values` (see computeHistogram). */
  addHistogram(tag: string, values: Float32Array | Float64Array, step: number): void {
    this.record(encodeHistogramEvent(this.wallTime(), step, tag, computeHistogram(values)));
  }

  /**
   * SessionLog START at `step`. After a resume, TensorBoard's Python reader then drops the stale
   * events with step >= `step` that the interrupted run wrote after its last checkpoint.
   */
  addSessionStart(step: number): void {
    this.record(encodeSessionLogEvent(this.wallTime(), step, SessionStatus.START));
  }

  /** Writes the buffered records with one write. */
  flush(): void {
    if (this.fd === null || this.pending.length === 0) return;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    let off = 0;
    try {
      while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
    } catch (e) {
      throw atPath(e, this.path);
    }
  }

  /** flush + fsync + close; idempotent. */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    try {
      this.flush();
    } finally {
      this.fd = null;
      try {
        syncAndClose(fd);
      } catch (e) {
        throw atPath(e, this.path);
      }
    }
  }
}

/**
 * Reads a whole event file, verifying both CRCs of every record; throws RecordCrcError on a
 * mismatch. A truncated final record (a writer killed mid-write) is reported as `truncated: true`,
 * as TensorBoard tolerates it.
 */
export function readEventFile(path: string): { events: ParsedEvent[]; truncated: boolean } {
  const { records, truncated } = splitRecords(readFileSync(path), path);
  return { events: records.map(decodeEvent), truncated };
}
