/**
 * The TensorBoard Event protobuf (tensorboard event.proto / summary.proto, FORMATS.md A2): encoding
 * the events we write (file_version, scalar and histogram summaries, SessionLog) and decoding them
 * back into plain objects.
 */
import type { HistogramData } from './histogram';
import {
  decodeFields,
  fieldBytes,
  fieldDouble,
  fieldFloat,
  fieldInt64,
  fieldPackedDoubles,
  fieldString,
  ProtoWriter,
  WireType,
} from './protobuf';

/** SessionLog.status values. */
export const SessionStatus = { UNSPECIFIED: 0, START: 1, STOP: 2, CHECKPOINT: 3 } as const;

export const FILE_VERSION = 'brain.Event:2';

export interface ParsedScalar {
  tag: string;
  value: number;
}

export interface ParsedHistogram extends HistogramData {
  tag: string;
}

export interface ParsedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars?: ParsedScalar[];
  histograms?: ParsedHistogram[];
  sessionStatus?: number;
}

// Field numbers.
const EVENT = { wallTime: 1, step: 2, fileVersion: 3, summary: 5, sessionLog: 7 } as const;
const SUMMARY = { value: 1 } as const;
const VALUE = { tag: 1, simpleValue: 2, histo: 5 } as const;
const HISTO = { min: 1, max: 2, num: 3, sum: 4, sumSquares: 5, bucketLimit: 6, bucket: 7 } as const;
const SESSION_LOG = { status: 1 } as const;

/** The common Event header. proto3 omits a zero step on the wire; readers default it to 0. */
function eventHeader(wallTime: number, step: number): ProtoWriter {
  const w = new ProtoWriter().double(EVENT.wallTime, wallTime);
  if (step !== 0) w.int64(EVENT.step, step);
  return w;
}

export function encodeFileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(EVENT.wallTime, wallTime).string(EVENT.fileVersion, FILE_VERSION).finish();
}

/** simple_value is a oneof member, so it is written even when 0 (FORMATS.md A2 proto3 pitfall). */
export function encodeScalarEvent(wallTime: number, step: number, tag: string, value: number): Uint8Array {
  const v = new ProtoWriter().string(VALUE.tag, tag).float(VALUE.simpleValue, value);
  const summary = new ProtoWriter().message(SUMMARY.value, v);
  return eventHeader(wallTime, step).message(EVENT.summary, summary).finish();
}

export function encodeHistogramEvent(wallTime: number, step: number, tag: string, h: HistogramData): Uint8Array {
  const histo = new ProtoWriter()
    .double(HISTO.min, h.min)
    .double(HISTO.max, h.max)
    .double(HISTO.num, h.num)
    .double(HISTO.sum, h.sum)
    .double(HISTO.sumSquares, h.sumSquares)
    .packedDoubles(HISTO.bucketLimit, h.bucketLimit)
    .packedDoubles(HISTO.bucket, h.bucket);
  const v = new ProtoWriter().string(VALUE.tag, tag).message(VALUE.histo, histo);
  const summary = new ProtoWriter().message(SUMMARY.value, v);
  return eventHeader(wallTime, step).message(EVENT.summary, summary).finish();
}

export function encodeSessionLogEvent(wallTime: number, step: number, status: number): Uint8Array {
  const log = new ProtoWriter().uint(SESSION_LOG.status, status);
  return eventHeader(wallTime, step).message(EVENT.sessionLog, log).finish();
}

function decodeHistogram(bytes: Uint8Array): HistogramData {
  const h: HistogramData = { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [], bucket: [] };
  for (const f of decodeFields(bytes)) {
    switch (f.field) {
      case HISTO.min: h.min = fieldDouble(f); break;
      case HISTO.max: h.max = fieldDouble(f); break;
      case HISTO.num: h.num = fieldDouble(f); break;
      case HISTO.sum: h.sum = fieldDouble(f); break;
      case HISTO.sumSquares: h.sumSquares = fieldDouble(f); break;
      case HISTO.bucketLimit: h.bucketLimit.push(...fieldPackedDoubles(f)); break;
      case HISTO.bucket: h.bucket.push(...fieldPackedDoubles(f)); break;
    }
  }
  return h;
}

function decodeSummary(bytes: Uint8Array, into: ParsedEvent): void {
  for (const vf of decodeFields(bytes)) {
    if (vf.field !== SUMMARY.value) continue;
    let tag = '';
    let scalar: number | undefined;
    let histo: HistogramData | undefined;
    for (const f of decodeFields(fieldBytes(vf))) {
      if (f.field === VALUE.tag) tag = fieldString(f);
      else if (f.field === VALUE.simpleValue) scalar = fieldFloat(f);
      else if (f.field === VALUE.histo) histo = decodeHistogram(fieldBytes(f));
    }
    if (scalar !== undefined) (into.scalars ??= []).push({ tag, value: scalar });
    if (histo !== undefined) (into.histograms ??= []).push({ tag, ...histo });
  }
}

/** Decodes one Event; fields we never write (graph_def, log_message, …) are ignored. */
export function decodeEvent(bytes: Uint8Array): ParsedEvent {
  const event: ParsedEvent = { wallTime: 0, step: 0 };
  for (const f of decodeFields(bytes)) {
    switch (f.field) {
      case EVENT.wallTime: event.wallTime = fieldDouble(f); break;
      case EVENT.step: event.step = fieldInt64(f); break;
      case EVENT.fileVersion: event.fileVersion = fieldString(f); break;
      case EVENT.summary: decodeSummary(fieldBytes(f), event); break;
      case EVENT.sessionLog: {
        event.sessionStatus = SessionStatus.UNSPECIFIED;
        for (const s of decodeFields(fieldBytes(f))) {
          if (s.field === SESSION_LOG.status && s.wireType === WireType.Varint) event.sessionStatus = Number(s.varint);
        }
        break;
      }
    }
  }
  return event;
}
