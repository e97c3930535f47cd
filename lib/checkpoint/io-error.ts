/**
 * File-system errors as people can act on them. Node's errors from descriptor writes (write,
 * fsync) carry no path, so the writers attach the file they were writing (`atPath`); the CLI then
 * names the operation and the path (`describeIoError`) instead of reporting an internal error.
 */

/** The errno codes that are the machine's or the user's situation, not a bug. */
const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'is a folder',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ENAMETOOLONG: 'file name too long',
  EFBIG: 'file too large',
  ENOENT: 'no such file or folder',
};

const VERBS: Record<string, string> = {
  open: 'open',
  write: 'write',
  read: 'read',
  fsync: 'sync',
  close: 'close',
  mkdir: 'create the folder',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove the folder',
  rm: 'remove',
  scandir: 'list the folder',
  stat: 'inspect',
  link: 'link',
  copyfile: 'copy',
};

interface ErrnoLike {
  code?: unknown;
  syscall?: unknown;
  path?: unknown;
  dest?: unknown;
}

function asErrno(e: unknown): ErrnoLike | null {
  return typeof e === 'object' && e !== null ? (e as ErrnoLike) : null;
}

/** Adds `path` to a file-system error that has none (descriptor writes); returns the error. */
export function atPath(e: unknown, path: string): unknown {
  const errno = asErrno(e);
  if (errno !== null && typeof errno.code === 'string' && errno.path === undefined) errno.path = path;
  return e;
}

/** "cannot write /runs/x/metrics.jsonl: no space left on the device (ENOSPC)", or null for other errors. */
export function describeIoError(e: unknown): string | null {
  const errno = asErrno(e);
  if (errno === null || typeof errno.code !== 'string' || !(errno.code in REASONS)) return null;
  const syscall = typeof errno.syscall === 'string' ? errno.syscall : '';
  const verb = VERBS[syscall] ?? (syscall || 'use');
  const where = typeof errno.path === 'string' ? ` ${errno.path}` : '';
  const to = typeof errno.dest === 'string' ? ` to ${errno.dest}` : '';
  return `cannot ${verb}${where}${to}: ${REASONS[errno.code]} (${errno.code})`;
}
