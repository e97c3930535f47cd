#!/usr/bin/env node
// Builds the native addon (build/Release/train_native.node) through cmake-js. Run by
// `npm install` (the "install" script) and `npm run build:native`.
//
// Without LibTorch (or without a compiler / cmake-js) the build cannot succeed; then this script
// prints how to get one and exits 0, so that `npm install` still succeeds and the TypeScript half
// keeps working without the addon. Set TRAIN_NATIVE_REQUIRE_NATIVE=1 to make a failed build fail
// the install, or TRAIN_NATIVE_SKIP_BUILD=1 to skip the build entirely.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const required = process.env.TRAIN_NATIVE_REQUIRE_NATIVE === '1';
const args = process.argv.slice(2);

function giveUp(reason) {
  const lines = [
    `train-native: the native addon was not built (${reason}).`,
    '  The TypeScript parts (config, schedule, CLI) work without it; training needs it.',
    '  To build it, get LibTorch, then run `npm run build:native`:',
    '   - Debian/Ubuntu (CPU, LibTorch 1.13): sudo scripts/setup-libtorch.sh   (installs libtorch-dev)',
    '   - a Python torch (CPU or CUDA): pip install torch   (found via torch.utils.cmake_prefix_path)',
    '   - an unpacked LibTorch from pytorch.org: export LIBTORCH=/path/to/libtorch',
    '  Check the result with `train-native doctor`.',
  ];
  console.error(lines.join('\n'));
  process.exit(required ? 1 : 0);
}

if (process.env.TRAIN_NATIVE_SKIP_BUILD === '1' && !required) {
  console.error('train-native: TRAIN_NATIVE_SKIP_BUILD=1, not building the native addon.');
  process.exit(0);
}

let cmakeJs;
try {
  cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
} catch {
  giveUp('cmake-js is not installed (it is a devDependency)');
}
const cmake = spawnSync('cmake', ['--version'], { encoding: 'utf8' });
if (cmake.error || cmake.status !== 0) giveUp('cmake was not found on PATH');

const debug = args.includes('--debug');
const jobs = process.env.TRAIN_NATIVE_JOBS || '2';
const cmdArgs = [cmakeJs, 'build', '--parallel', jobs, '--directory', root];
// TRAIN_NATIVE_BUILD_DIR: build elsewhere (e.g. to try another LibTorch without touching build/).
const outDir = process.env.TRAIN_NATIVE_BUILD_DIR ? path.resolve(process.env.TRAIN_NATIVE_BUILD_DIR) : path.join(root, 'build');
if (process.env.TRAIN_NATIVE_BUILD_DIR) cmdArgs.push('--out', outDir);
if (debug) cmdArgs.push('--debug');
const started = Date.now();
const res = spawnSync(process.execPath, cmdArgs, { cwd: root, stdio: 'inherit', env: process.env });
if (res.status !== 0) {
  giveUp('the cmake-js build failed; see the messages above (LibTorch not found prints how to get it)');
}
const out = path.join(outDir, debug ? 'Debug' : 'Release', 'train_native.node');
if (!fs.existsSync(out)) giveUp(`the build finished but ${out} is missing`);
console.error(`train-native: built ${path.relative(root, out)} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
