/**
 * Runs the compiled CLI the way a user does: `node dist/cli.js ARGS` from the package root.
 * dist/ is compiled once per test run by tests/global-setup.js, so the tests exercise what ships.
 */
import { spawnSync, SpawnSyncOptions } from 'child_process';
import { join } from 'path';

export const ROOT = join(__dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}


export function runCli(args: string[], opts: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    ...opts,
    env: { ...process.env, TRAIN_NATIVE_DEBUG: '', ...(opts.env ?? {}) },
  });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}
