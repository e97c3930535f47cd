/**
 * Checkpoint verification: the manifest is present and parseable, lists the files a resume needs,
 * and every listed file exists with the listed size and sha256. Files are hashed as streams, or
 * from bytes the caller already read (loadCheckpoint), so each file is read once.
 */
import * as fs from 'fs';
import * as path from 'path';
import { sha256OfBytes, sha256OfFile } from './hash';
import { REQUIRED_FILES, type Manifest, type ManifestFileEntry } from './manifest';
import { readCheckpointManifest } from './scan';

export type VerifyResult = { ok: true } | { ok: false; problem: string };

const short = (hex: string): string => `${hex.slice(0, 12)}…`;

/** Checks one file against its manifest entry; `bytes` when already in memory. */
export async function verifyFileEntry(dir: string, entry: ManifestFileEntry, bytes?: Uint8Array): Promise<VerifyResult> {
  const file = path.join(dir, entry.name);
  let size: number;
  if (bytes !== undefined) size = bytes.byteLength;
  else {
    try {
      size = (await fs.promises.stat(file)).size;
    } catch {
      return { ok: false, problem: `${entry.name}: missing` };
    }
  }
  if (size !== entry.size) return { ok: false, problem: `${entry.name}: size mismatch (manifest says ${entry.size} bytes, file has ${size})` };
  const sha256 = bytes !== undefined ? await sha256OfBytes(bytes) : (await sha256OfFile(file)).sha256;
  if (sha256 !== entry.sha256)
    return { ok: false, problem: `${entry.name}: sha256 mismatch (manifest ${short(entry.sha256)}, file ${short(sha256)})` };
  return { ok: true };
}

/** The manifest lists every file a resume needs. */
export function checkRequiredFiles(manifest: Manifest): VerifyResult {
  const listed = new Set(manifest.files.map((f) => f.name));
  const absent = REQUIRED_FILES.filter((n) => !listed.has(n));
  return absent.length === 0 ? { ok: true } : { ok: false, problem: `manifest.json does not list ${absent.join(', ')}` };
}

/** Verifies one checkpoint folder; `problem` names the file and what is wrong (not the folder). */
export async function verifyCheckpoint(dir: string): Promise<VerifyResult> {
  const read = await readCheckpointManifest(dir);
  if (!read.ok) return read;
  const required = checkRequiredFiles(read.manifest);
  if (!required.ok) return required;
  for (const entry of read.manifest.files) {
    const r = await verifyFileEntry(read.info.dir, entry);
    if (!r.ok) return r;
  }
  return { ok: true };
}
