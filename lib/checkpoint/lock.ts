/**
 * The run-directory lock: one writer per run directory. A writer creates `<run>/train.lock`
 * with O_EXCL (atomic on local file systems: of two writers exactly one creates it), holding its
 * PID, host and start time. A second writer is refused, naming the holder. A lock whose process
 * is gone on this host (the run was killed with kill -9) is stale and taken over, with a note.
 * A lock from another host is never taken over: its process cannot be checked from here.
 * A lock written for another directory — a copy of the run directory, e.g. the remote copy of
 * SCHEDULE.CHECKPOINT.SYNC brought back after the machine was lost — is not this directory's:
 * the lock records its directory's inode, and a copy has a new one, so it is taken over too.
 * Readers (plot, schedule, loading a model) take no lock.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { atPath } from './io-error';

export const LOCK_FILE = 'train.lock';

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  /** Linux: the process start time in /proc/<pid>/stat, to tell a reused PID apart. */
  procStart?: string;
  /** The run directory's inode when the lock was taken: a copied directory has another. */
  dirIno?: number;
}

/** Another writer holds the run directory (a person's choice to resolve: exit status 2). */
export class RunLockedError extends Error {
  override name = 'RunLockedError';
  constructor(
    message: string,
    readonly holder: LockHolder | null,
  ) {
    super(message);
  }
}

export interface RunLock {
  file: string;
  /** The run directory did not exist before the lock was taken (a failed start removes it again). */
  createdDir: boolean;
  /** Set when a stale lock was taken over: a sentence for the log. */
  tookOver: string | null;
  /** Removes the lock if it is still this writer's. Safe to call twice. */
  release(): Promise<void>;
}

function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

function parseHolder(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && Number.isSafeInteger(v.pid) && v.pid > 0 && typeof v.host === 'string' && typeof v.startedAt === 'string') {
      return {
        pid: v.pid,
        host: v.host,
        startedAt: v.startedAt,
        ...(typeof v.procStart === 'string' ? { procStart: v.procStart } : {}),
        ...(typeof v.dirIno === 'number' ? { dirIno: v.dirIno } : {}),
      };
    }
  } catch {
    // an unreadable lock is treated like one whose writer died while writing it (below)
  }
  return null;
}

/**
 * Linux: a process's state letter and start time (clock ticks since boot) from /proc/<pid>/stat;
 * null elsewhere or when it is gone. The start time tells a reused PID from the lock's writer.
 */
function procStat(pid: number): { state: string; startTicks: string } | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ppid …": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], startTicks: fields[19] };
  } catch {
    return null;
  }
}

/** Whether the lock's writer is still running on this host (a zombie or a reused PID is not). */
function holderAlive(h: LockHolder): boolean {
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if (errorCode(e) !== 'EPERM') return false; // EPERM: it exists but belongs to someone else
  }
  const stat = procStat(h.pid);
  if (stat === null) return true;
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return h.procStart === undefined || h.procStart === stat.startTicks;
}

function describeHolder(h: LockHolder): string {
  return `process ${h.pid} on ${h.host}, started ${h.startedAt}`;
}

async function readLock(file: string): Promise<{ text: string } | null> {
  try {
    return { text: await fs.promises.readFile(file, 'utf8') };
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return null;
    throw e;
  }
}

/** Creates the lock file; false when one exists. Written and fsynced before it counts as taken. */
async function tryCreate(file: string, me: LockHolder): Promise<boolean> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'wx');
  } catch (e) {
    if (errorCode(e) === 'EEXIST') return false;
    throw e;
  }
  try {
    await handle.writeFile(`${JSON.stringify(me)}\n`);
    await handle.sync();
  } catch (e) {
    // A lock that could not be written whole (a full disk) is not left behind half-made.
    await handle.close().catch(() => undefined);
    await fs.promises.rm(file, { force: true });
    throw atPath(e, file);
  }
  await handle.close();
  return true;
}

/** A lock file younger than this with unparseable content may still be being written by its creator. */
const WRITE_GRACE_MS = 2000;

/** Takes the lock of `runDir` (created if missing) for this process, or throws RunLockedError. */
export async function acquireRunLock(runDir: string): Promise<RunLock> {
  const createdDir = (await fs.promises.mkdir(runDir, { recursive: true })) !== undefined;
  const file = path.join(path.resolve(runDir), LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  const start = procStat(process.pid)?.startTicks;
  if (start !== undefined) me.procStart = start;
  me.dirIno = (await fs.promises.stat(runDir)).ino;
  let tookOver: string | null = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await tryCreate(file, me)) return held(file, me, tookOver, createdDir);
    const existing = await readLock(file);
    if (existing === null) continue; // released between our create and read: try again
    const holder = parseHolder(existing.text);
    if (holder === null) {
      const age = Date.now() - (await fs.promises.stat(file).then((s) => s.mtimeMs, () => 0));
      if (age < WRITE_GRACE_MS) {
        await new Promise((r) => setTimeout(r, WRITE_GRACE_MS - age));
        continue;
      }
    } else if (holder.dirIno !== undefined && holder.dirIno !== me.dirIno) {
      // Copied with the directory (a sync, a backup): it locks the original, not this copy.
    } else if (holder.host !== me.host) {
      throw new RunLockedError(
        `${runDir} is locked by ${describeHolder(holder)} (${file}); another host's process cannot be checked from here: delete the lock only if that run has ended`,
        holder,
      );
    } else if (holder.pid === process.pid || holderAlive(holder)) {
      throw new RunLockedError(`${runDir} is in use by another training run: ${describeHolder(holder)} holds ${file}`, holder);
    }
    // Stale: move it aside under a name only we use, then check that what we moved is what we
    // judged stale (a third writer may have replaced it in between); if not, put it back.
    const aside = `${file}.stale-${process.pid}`;
    try {
      await fs.promises.rename(file, aside);
    } catch (e) {
      if (errorCode(e) === 'ENOENT') continue;
      throw e;
    }
    const moved = await readLock(aside);
    if (moved !== null && moved.text !== existing.text) {
      await fs.promises.link(aside, file).catch(() => undefined);
      await fs.promises.rm(aside, { force: true });
      continue;
    }
    await fs.promises.rm(aside, { force: true });
    tookOver =
      holder === null
        ? `took over an unreadable lock file ${file}`
        : holder.dirIno !== undefined && holder.dirIno !== me.dirIno
          ? `took over the lock of ${describeHolder(holder)}: it was copied along with the directory, and locks the original`
          : `took over the stale lock of ${describeHolder(holder)}, which is no longer running`;
  }
  const last = await readLock(file);
  const holder = last ? parseHolder(last.text) : null;
  throw new RunLockedError(`${runDir} is in use by another training run${holder ? `: ${describeHolder(holder)}` : ''} (${file})`, holder);
}

function held(file: string, me: LockHolder, tookOver: string | null, createdDir: boolean): RunLock {
  let released = false;
  return {
    file,
    createdDir,
    tookOver,
    async release() {
      if (released) return;
      released = true;
      const now = await readLock(file).catch(() => null);
      // Only our own lock: a lock someone took over (after we were presumed dead) is theirs.
      if (now !== null && parseHolder(now.text)?.pid === me.pid && parseHolder(now.text)?.startedAt === me.startedAt) {
        await fs.promises.rm(file, { force: true });
      }
    },
  };
}
