/**
 * Where command output goes. Commands write through this instead of `process.stdout` so tests can
 * capture it, and so nothing but the requested document reaches stdout (`schedule --json` must be
 * parseable as is).
 */
import { mkdirSync, renameSync, writeFileSync } from 'fs';
import { dirname, resolve } from 'path';
import { CliError } from './errors';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIO: CliIO = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/**
 * Writes a file the user asked for (e.g. `--plot out/lr.svg`) whole or not at all: a temporary
 * file next to it, then a rename. A missing parent folder is created.
 */
export function writeUserFile(path: string, content: string | Uint8Array, what: string): string {
  const target = resolve(path);
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(tmp, content);
    renameSync(tmp, target);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CliError(`cannot write ${what} to ${path}: ${reason}`, 1);
  }
  return target;
}
