/**
 * Durable file writes with async fs only (FORMATS.md §B): `writeFileAtomic` = temp file in the same
 * folder, write, fsync, close, rename over the target, fsync the folder; `writeFileSynced` for files
 * inside a folder that is itself still temporary; `fsyncDir`; `readSmallFile` for manifests and
 * markers. Async because training runs inside Node services whose event loop must keep answering.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { atPath } from './io-error';

/** Error codes meaning "this platform / file system cannot fsync a directory" — not a failure. */
const DIR_SYNC_UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EISDIR', 'EPERM', 'EACCES', 'EBADF']);

function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/** Makes a folder's entries (created, renamed, removed files) durable. Missing folder = error. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(dir, 'r');
  } catch (e) {
    // Windows cannot open a directory; the rename itself is still atomic there.
    if (DIR_SYNC_UNSUPPORTED.has(errorCode(e) ?? '')) return;
    throw e;
  }
  try {
    await handle.sync();
  } catch (e) {
    if (!DIR_SYNC_UNSUPPORTED.has(errorCode(e) ?? '')) throw atPath(e, dir);
  } finally {
    await handle.close();
  }
}

/**
 * Creates `file` (must not exist yet), writes `data`, fsyncs and closes it. For files inside a
 * temporary folder whose rename is the commit point, so no per-file rename is needed.
 */
export async function writeFileSynced(file: string, data: Uint8Array | string): Promise<void> {
  const handle = await fs.promises.open(file, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (e) {
    throw atPath(e, file);
  } finally {
    await handle.close();
  }
}

/** The temp name: hidden, in the same folder (rename must not cross file systems), unique per writer. */
export function atomicTempName(target: string): string {
  const base = path.basename(target);
  return path.join(path.dirname(target), `.${base}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/**
 * Replaces `target` atomically: readers see the old content or the new, never a mix. On any
 * failure the temp file is removed, the existing target is untouched, and the error is rethrown.
 */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  const tmp = atomicTempName(target);
  try {
    await writeFileSynced(tmp, data);
    await fs.promises.rename(tmp, target);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  await fsyncDir(path.dirname(target));
}

/** Reads a UTF-8 file of at most `maxBytes` (manifests, markers); larger files are refused, not read. */
export async function readSmallFile(file: string, maxBytes = 16 * 1024 * 1024): Promise<string> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw new Error(`${file}: ${size} bytes is larger than the ${maxBytes} bytes allowed for this file`);
    return await handle.readFile({ encoding: 'utf8' });
  } finally {
    await handle.close();
  }
}
