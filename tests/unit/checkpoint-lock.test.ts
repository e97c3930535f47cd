/**
 * The run-directory lock: one writer at a time, across processes; the holder is named; a lock
 * whose writer is gone (this host) is taken over with a note; another host's lock is never taken;
 * release removes only one's own lock.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { acquireRunLock, LOCK_FILE, RunLockedError } from '../../lib/checkpoint/lock';
import { makeTempDir } from './helpers/checkpoint-fixtures';

const LOCK_MODULE = path.join(__dirname, '..', '..', 'dist', 'checkpoint', 'lock.js');

/** The PID of a process that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('acquireRunLock', () => {
  test('writes pid, host and start time; a second writer is refused naming the holder; release frees it', async () => {
    const dir = path.join(makeTempDir('lock'), 'run');
    const lock = await acquireRunLock(dir);
    expect(lock.createdDir).toBe(true);
    expect(lock.tookOver).toBeNull();
    const held = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as Record<string, unknown>;
    expect(held.pid).toBe(process.pid);
    expect(held.host).toBe(os.hostname());
    expect(Number.isNaN(Date.parse(String(held.startedAt)))).toBe(false);
    await expect(acquireRunLock(dir)).rejects.toThrow(new RegExp(`is in use by another training run: process ${process.pid} on ${os.hostname()}`));
    await lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    const again = await acquireRunLock(dir);
    expect(again.createdDir).toBe(false);
    await again.release();
  });

  test('a lock whose process is gone is taken over, with a note naming it', async () => {
    const dir = makeTempDir('lock');
    const pid = deadPid();
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
    const lock = await acquireRunLock(dir);
    expect(lock.tookOver).toBe(`took over the stale lock of process ${pid} on ${os.hostname()}, started 2026-01-01T00:00:00.000Z, which is no longer running`);
    expect(JSON.parse(fs.readFileSync(lock.file, 'utf8')).pid).toBe(process.pid);
    expect(fs.readdirSync(dir)).toEqual([LOCK_FILE]);
    await lock.release();
  });

  test("a lock copied along with the directory (another directory's inode) locks the original, not the copy", async () => {
    const original = makeTempDir('lock');
    const held = await acquireRunLock(original);
    const copy = makeTempDir('lock');
    fs.copyFileSync(held.file, path.join(copy, LOCK_FILE)); // a live holder on this host, as a sync would copy it
    const lock = await acquireRunLock(copy);
    expect(lock.tookOver).toMatch(/it was copied along with the directory, and locks the original$/);
    await expect(acquireRunLock(original)).rejects.toThrow(/is in use by another training run/);
    await Promise.all([lock.release(), held.release()]);
  });

  test('a live PID with another process start time (a reused PID) is stale', async () => {
    if (!fs.existsSync('/proc/self/stat')) return;
    const dir = makeTempDir('lock');
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: os.hostname(), startedAt: 'then', procStart: '-1' }));
    const lock = await acquireRunLock(dir);
    expect(lock.tookOver).toContain('process 1 on');
    await lock.release();
  });

  test("another host's lock is refused, never taken over", async () => {
    const dir = makeTempDir('lock');
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: 'elsewhere', startedAt: 'then' }));
    const err = await acquireRunLock(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunLockedError);
    expect((err as Error).message).toMatch(/is locked by process \d+ on elsewhere, started then .*delete the lock only if that run has ended/);
  });

  test('release leaves a lock that is no longer its own (taken over by another writer)', async () => {
    const dir = makeTempDir('lock');
    const lock = await acquireRunLock(dir);
    const theirs = JSON.stringify({ pid: 12345, host: os.hostname(), startedAt: 'later' });
    fs.writeFileSync(lock.file, theirs);
    await lock.release();
    expect(fs.readFileSync(lock.file, 'utf8')).toBe(theirs);
  });

  test.each([
    ['a free run directory', false],
    ['a stale lock', true],
  ])('of 8 processes racing for %s exactly one gets the lock', async (_what, stale) => {
    const dir = makeTempDir('lock');
    if (stale) fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: os.hostname(), startedAt: 'then' }));
    const script = `const { acquireRunLock } = require(${JSON.stringify(LOCK_MODULE)});
      setTimeout(() => acquireRunLock(process.argv[1]).then(() => { console.log('won'); setTimeout(() => process.exit(0), 1500); }, (e) => { console.log(e.name); process.exit(0); }), 300);`;
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', () => resolve(out.trim()));
      })),
    );
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'RunLockedError')).toHaveLength(7);
  });
});
