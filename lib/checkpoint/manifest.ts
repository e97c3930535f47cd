/**
 * manifest.json, the commit marker of a checkpoint folder (written last, like llm.c's DONE file or
 * torchtitan's .metadata): format and version, step, creation time, the monitored metric, and for
 * every data file its name, size and sha256. Building its text and parsing it back with checks.
 */
import type { CheckpointMetric } from './types';

export const MANIFEST_FILE = 'manifest.json';
export const MODEL_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const TRAINER_STATE_FILE = 'trainer_state.json';
/** A checkpoint without these cannot be resumed from, so verification requires them. */
export const REQUIRED_FILES: readonly string[] = [MODEL_FILE, OPTIMIZER_FILE, TRAINER_STATE_FILE];

export const MANIFEST_FORMAT = 'train-native-checkpoint';
export const MANIFEST_VERSION = 1;

export interface ManifestFileEntry {
  name: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  format_version: number;
  step: number;
  created_at: string;
  metric: CheckpointMetric | null;
  files: ManifestFileEntry[];
}

/** JSON has no NaN / Infinity: non-finite metric values are stored as these strings. */
type StoredMetricValue = number | 'NaN' | 'Infinity' | '-Infinity';

function storeMetricValue(v: number): StoredMetricValue {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

export function manifestToJson(m: Manifest): string {
  const metric = m.metric === null ? null : { name: m.metric.name, value: storeMetricValue(m.metric.value), mode: m.metric.mode };
  return `${JSON.stringify({ ...m, metric }, null, 2)}\n`;
}

export type ManifestParse = { ok: true; manifest: Manifest } | { ok: false; problem: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const SHA256_HEX = /^[0-9a-f]{64}$/;

function parseMetric(v: unknown): CheckpointMetric | null | string {
  if (v === null || v === undefined) return null;
  if (!isRecord(v)) return 'metric must be an object or null';
  const { name, value, mode } = v;
  if (typeof name !== 'string') return 'metric.name must be a string';
  if (mode !== 'min' && mode !== 'max') return `metric.mode must be "min" or "max" (got ${JSON.stringify(mode)})`;
  if (typeof value === 'number') return { name, value, mode };
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return { name, value: Number(value), mode };
  return 'metric.value must be a number, "NaN", "Infinity" or "-Infinity"';
}

function parseFileEntry(v: unknown, i: number): ManifestFileEntry | string {
  if (!isRecord(v)) return `files[${i}] must be an object`;
  const { name, size, sha256 } = v;
  // Plain names only: a manifest must never make us read outside its own folder.
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || /[/\\]/.test(name))
    return `files[${i}].name must be a plain file name (got ${JSON.stringify(name)})`;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return `files[${i}] (${name}): size must be a non-negative integer`;
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) return `files[${i}] (${name}): sha256 must be 64 lower-case hex digits`;
  return { name, size, sha256 };
}

/** Parses manifest text; every fault is one short phrase (the caller adds the folder). */
export function parseManifest(text: string): ManifestParse {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, problem: `manifest.json is not valid JSON (${(e as Error).message})` };
  }
  const bad = (problem: string): ManifestParse => ({ ok: false, problem: `manifest.json: ${problem}` });
  if (!isRecord(raw)) return bad('not a JSON object');
  if (raw.format !== MANIFEST_FORMAT) return bad(`format must be "${MANIFEST_FORMAT}" (got ${JSON.stringify(raw.format)})`);
  const version = raw.format_version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) return bad('format_version must be a positive integer');
  if (version > MANIFEST_VERSION) return bad(`format_version ${version} is newer than this train-native reads (${MANIFEST_VERSION}); upgrade train-native`);
  const step = raw.step;
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) return bad('step must be a non-negative integer');
  const createdAt = typeof raw.created_at === 'string' ? raw.created_at : '';
  const metric = parseMetric(raw.metric);
  if (typeof metric === 'string') return bad(metric);
  if (!Array.isArray(raw.files)) return bad('files must be an array');
  const files: ManifestFileEntry[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of raw.files.entries()) {
    const f = parseFileEntry(entry, i);
    if (typeof f === 'string') return bad(f);
    if (seen.has(f.name)) return bad(`${f.name} is listed twice`);
    seen.add(f.name);
    files.push(f);
  }
  return { ok: true, manifest: { format: MANIFEST_FORMAT, format_version: version, step, created_at: createdAt, metric, files } };
}
