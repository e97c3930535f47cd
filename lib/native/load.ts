/**
 * The one place that loads the .node file (through `bindings`). A failure explains itself:
 * not built (how to build), a missing shared library (which one, how to install LibTorch), or an
 * ABI / Node-API mismatch (rebuild). The result is cached: loading is attempted once.
 */
import bindings from 'bindings';
import { existsSync } from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';

import type { NativeAddon } from './types';

export class NativeLoadError extends Error {
  readonly code = 'ERR_NATIVE_NOT_AVAILABLE';
  constructor(
    message: string,
    readonly reason: 'not-built' | 'missing-library' | 'abi-mismatch' | 'other',
    readonly causeMessage: string,
  ) {
    super(message);
    this.name = 'NativeLoadError';
  }
}

const BUILD_HINT =
  'Build it with `npx train-native build` (needs cmake, g++ and LibTorch: `sudo apt-get install libtorch-dev` on ' +
  'Debian/Ubuntu, or `pip install torch` / an unpacked LibTorch with `--libtorch PATH`). `npx train-native doctor` checks the result.';

/** Turns a failed require of the addon into a NativeLoadError that says what to do. */
export function explainLoadFailure(err: unknown): NativeLoadError {
  const msg = err instanceof Error ? err.message : String(err);
  if (/Could not locate the bindings file|Cannot find module/i.test(msg)) {
    return new NativeLoadError(`train-native: the native addon is not built. ${BUILD_HINT}`, 'not-built', msg);
  }
  const lib = /([\w.+-]+\.so(?:\.[\d.]+)?): cannot open shared object file/.exec(msg);
  if (lib) {
    return new NativeLoadError(
      `train-native: the native addon was built but ${lib[1]} cannot be loaded (LibTorch or one of its ` +
        `dependencies is missing or moved). Reinstall the LibTorch it was built against (Debian: ` +
        `sudo apt-get install libtorch-dev; pip: pip install torch) or rebuild with \`npx train-native build\`. ` +
        `Loader said: ${msg}`,
      'missing-library',
      msg,
    );
  }
  if (/undefined symbol|NODE_MODULE_VERSION|napi|version `GLIBC|GLIBCXX|was compiled against/i.test(msg)) {
    return new NativeLoadError(
      `train-native: the native addon does not match this Node.js / LibTorch / C++ runtime (ABI mismatch). ` +
        `Rebuild it with \`npx train-native build\`. Loader said: ${msg}`,
      'abi-mismatch',
      msg,
    );
  }
  return new NativeLoadError(`train-native: the native addon failed to load: ${msg}. ${BUILD_HINT}`, 'other', msg);
}

let cached: { addon: NativeAddon } | { error: NativeLoadError } | undefined;

/**
 * TRAIN_NATIVE_ADDON names a .node file to load instead of the package's own build: a second
 * build against another LibTorch (CI's pip-torch part, bench-train.js) lives beside the first.
 */
function attempt(): { addon: NativeAddon } | { error: NativeLoadError } {
  try {
    const override = process.env.TRAIN_NATIVE_ADDON;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (override) return { addon: require(path.resolve(override)) as NativeAddon };
    const addon = bindings({
      bindings: 'train_native.node',
      module_root: path.resolve(__dirname, '..', '..'),
    }) as NativeAddon;
    return { addon };
  } catch (err) {
    return { error: explainLoadFailure(err) };
  }
}

/** The addon, or throws a NativeLoadError explaining why it is unavailable. */
export function loadNative(): NativeAddon {
  cached ??= attempt();
  if ('error' in cached) throw cached.error;
  return cached.addon;
}

/** The .node file a load will open, when it can be named without loading it (else undefined). */
function addonPath(): string | undefined {
  const override = process.env.TRAIN_NATIVE_ADDON;
  if (override) return path.resolve(override);
  const root = path.resolve(__dirname, '..', '..');
  return ['Release', 'Debug'].map((c) => path.join(root, 'build', c, 'train_native.node')).find((f) => existsSync(f));
}

let warming: Promise<void> | undefined;

/**
 * Opening the addon maps and relocates LibTorch (about 0.3 s), which would block the event loop
 * of a service that starts training. A worker thread opens it first; the shared libraries then
 * stay loaded, so the main thread's own load costs well under a millisecond.
 */
function warmUp(): Promise<void> {
  const file = addonPath();
  if (cached || !file) return Promise.resolve();
  warming ??= new Promise<void>((done) => {
    const worker = new Worker(`require(${JSON.stringify(file)}); require('worker_threads').parentPort.postMessage('loaded');`, { eval: true });
    // A failed load is explained by the main thread's own attempt; the worker only saves time.
    const finish = () => void worker.terminate().then(() => done(), () => done());
    worker.once('message', finish);
    worker.once('error', finish);
    worker.once('exit', () => done());
  });
  return warming;
}

/** loadNative() without blocking the event loop for LibTorch's load (see warmUp). */
export async function loadNativeAsync(): Promise<NativeAddon> {
  await warmUp();
  return loadNative();
}

/** True when the addon loads; tests use it to skip cleanly. */
export function isNativeAvailable(): boolean {
  cached ??= attempt();
  return 'addon' in cached;
}

/** Why the addon is unavailable, or undefined when it loads. */
export function nativeLoadError(): NativeLoadError | undefined {
  cached ??= attempt();
  return 'error' in cached ? cached.error : undefined;
}
