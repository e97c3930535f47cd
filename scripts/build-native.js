#!/usr/bin/env node
// Builds the native addon (build/Release/train_native.node) through cmake-js. One implementation
// behind three callers:
//   - `train-native build` (lib/commands/build.ts): a clean build, exit 1 on failure;
//   - `npm run build:native`: an incremental build for developers;
//   - npm's "install" script (which npm 11 runs for a dependency only once the user approves it).
//
// Run as a script (the last two), a failed build prints how to get LibTorch and exits 0, so that
// `npm install` still succeeds and the TypeScript half keeps working without the addon. Set
// TRAIN_NATIVE_REQUIRE_NATIVE=1 to make a failed build fail the install, or
// TRAIN_NATIVE_SKIP_BUILD=1 to skip the build entirely. TRAIN_NATIVE_BUILD_DIR builds elsewhere
// than build/ (to try another LibTorch without touching build/), TRAIN_NATIVE_JOBS sets the
// number of parallel compile jobs.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

/** The package's own folder: CMakeLists.txt, package.json and build/ live here. */
const PACKAGE_ROOT = path.resolve(__dirname, '..');

/** The ways to get a LibTorch, for messages (CMakeLists.txt prints the same list). */
const LIBTORCH_HELP = [
  'Get LibTorch one of these ways, then run `npx train-native build`:',
  ' - Debian/Ubuntu (CPU, LibTorch 1.13): sudo apt-get install libtorch-dev cmake g++ make',
  ' - a pip torch (CPU or CUDA): pip install torch (the python3 on PATH is asked), or --libtorch "$(python3 -c \'import torch,os;print(os.path.dirname(torch.__file__))\')"',
  ' - an unpacked LibTorch zip from pytorch.org: npx train-native build --libtorch /path/to/libtorch',
];

function defaultJobs() {
  if (process.env.TRAIN_NATIVE_JOBS) return process.env.TRAIN_NATIVE_JOBS;
  // Nine translation units: more jobs than that never help, and each takes ~1 GB with torch's headers.
  return String(Math.max(1, Math.min(os.cpus().length, 8)));
}

/** The first line of a failed `require` of the .node file, as the loader said it. */
function loadProblem(file) {
  const r = spawnSync(process.execPath, ['-e', 'require(process.argv[1])', file], { encoding: 'utf8' });
  if (r.status === 0) return null;
  const line = (r.stderr || '').split('\n').find((l) => /Error/.test(l));
  return (line || r.stderr || `exit status ${r.status}`).trim();
}

/**
 * Builds the addon. Options: libtorch (a folder CMake reads as LIBTORCH), debug, outDir (default
 * <package>/build), clean (remove outDir first: needed when the LibTorch changes, since CMake's
 * cache remembers the old one), jobs. Returns { ok: true, file, seconds } or { ok: false, kind, problem }
 * (kind: 'tool-missing' | 'build-failed' | 'does-not-load').
 * cmake-js's own output goes to this process's stdout and stderr.
 */
function buildAddon(options = {}) {
  let cmakeJs;
  try {
    cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [PACKAGE_ROOT] });
  } catch {
    return { ok: false, kind: 'tool-missing', problem: 'cmake-js is not installed beside train-native (reinstall the package)' };
  }
  const cmake = spawnSync('cmake', ['--version'], { encoding: 'utf8' });
  if (cmake.error || cmake.status !== 0) {
    return { ok: false, kind: 'tool-missing', problem: 'cmake was not found on PATH (Debian/Ubuntu: sudo apt-get install cmake g++ make)' };
  }
  const outDir = path.resolve(options.outDir || path.join(PACKAGE_ROOT, 'build'));
  const args = [cmakeJs, options.clean ? 'rebuild' : 'build', '--parallel', options.jobs || defaultJobs(), '--directory', PACKAGE_ROOT, '--out', outDir];
  if (options.debug) args.push('--debug');
  const env = { ...process.env };
  if (options.libtorch) {
    env.LIBTORCH = options.libtorch;
    delete env.Torch_DIR;
  }
  const started = Date.now();
  const res = spawnSync(process.execPath, args, { cwd: PACKAGE_ROOT, stdio: 'inherit', env });
  if (res.status !== 0) {
    return { ok: false, kind: 'build-failed', problem: `the cmake-js build failed (${res.error ? res.error.message : `exit status ${res.status}`}); the messages above say why` };
  }
  const file = path.join(outDir, options.debug ? 'Debug' : 'Release', 'train_native.node');
  if (!fs.existsSync(file)) return { ok: false, kind: 'build-failed', problem: `the build finished but ${file} is missing` };
  const problem = loadProblem(file);
  if (problem) return { ok: false, kind: 'does-not-load', problem: `${file} was built but does not load: ${problem}` };
  return { ok: true, file, seconds: (Date.now() - started) / 1000 };
}

function main(argv) {
  const required = process.env.TRAIN_NATIVE_REQUIRE_NATIVE === '1';
  if (process.env.TRAIN_NATIVE_SKIP_BUILD === '1' && !required) {
    console.error('train-native: TRAIN_NATIVE_SKIP_BUILD=1, not building the native addon.');
    return 0;
  }
  const result = buildAddon({ debug: argv.includes('--debug'), outDir: process.env.TRAIN_NATIVE_BUILD_DIR });
  if (result.ok) {
    console.error(`train-native: built ${path.relative(PACKAGE_ROOT, result.file)} in ${result.seconds.toFixed(0)} s`);
    return 0;
  }
  console.error(
    [
      `train-native: the native addon was not built: ${result.problem}.`,
      '  The TypeScript parts (config, schedule, CLI) work without it; training needs it.',
      ...(result.kind === 'build-failed' ? LIBTORCH_HELP.map((l) => `  ${l}`) : []),
      '  `npx train-native doctor` checks the result.',
    ].join('\n'),
  );
  return required ? 1 : 0;
}

module.exports = { buildAddon, LIBTORCH_HELP, PACKAGE_ROOT };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
