#!/usr/bin/env node
/**
 * Time per Optimizer::step call, alone, for two versions of native/core/optimizer.cc on one
 * LibTorch: the working tree's and the one at git revision --before (default: none, only the
 * working tree). scripts/bench/optimizer-step.cc is compiled with each (g++, -O2, like the addon's
 * Release build) and run in alternating fresh processes; the table shows medians over the rounds
 * of each run's median call time. The parameter shapes are the models' own (mlp and transformer
 * as scripts/bench-step.js builds them, read from the addon's parameters()); every parameter has
 * a gradient; AdamW (lr 1e-4, wd 0.01) or SGD.
 *
 *   npm run build && npm run build:native
 *   node scripts/bench-optimizer.js [--before REV] [--libtorch DIR] [--threads 1,2]
 *                                   [--models mlp,transformer] [--optimizer adamw] [--rounds 5]
 * --libtorch: an unpacked LibTorch or a pip torch's package folder (default: the system's,
 * Debian libtorch-dev); the working tree's optimizer is also timed on its masked step.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const C = require('./bench/common');

const { opt } = C.cliOptions();
const before = opt('before', null);
const libtorch = opt('libtorch', null);
const threadList = opt('threads', '1,2').split(',').map(Number);
const modelList = opt('models', 'mlp,transformer').split(',');
const optimizer = opt('optimizer', 'adamw');
const rounds = Number(opt('rounds', 5));

const MODELS = {
  mlp: { label: 'mlp 64 -> [256, 256] -> 10', model: { type: 'mlp', inputDim: 64, hiddenSizes: [256, 256], numClasses: 10 }, warmup: 200, iters: 2000 },
  transformer: {
    label: 'transformer L4 d256 H4 ff1024 vocab 1000',
    model: { type: 'transformer', vocabSize: 1000, dModel: 256, numHeads: 4, numLayers: 4, ffDim: 1024, tokenLimit: 256, numClasses: 10, maskedTokenHead: false },
    warmup: 20, iters: 200,
  },
};

function torchFlags() {
  const inc = libtorch ? [path.join(libtorch, 'include'), path.join(libtorch, 'include', 'torch', 'csrc', 'api', 'include')] : ['/usr/include/torch/csrc/api/include'];
  const lib = libtorch ? [`-L${path.join(libtorch, 'lib')}`, `-Wl,-rpath,${path.join(libtorch, 'lib')}`] : [];
  const versionH = [...inc.map((d) => path.join(d, 'torch', 'version.h')), ...(libtorch ? [path.join(libtorch, 'include', 'torch', 'headeronly', 'version.h')] : [])].find((f) => fs.existsSync(f));
  const v = fs.readFileSync(versionH, 'utf8');
  const major = Number(/TORCH_VERSION_MAJOR (\d+)/.exec(v)[1]);
  const minor = Number(/TORCH_VERSION_MINOR (\d+)/.exec(v)[1]);
  // LibTorch >= 2.12 headers need C++20 (as CMakeLists.txt); the CXX11 ABI is the default of both builds here
  const std = major > 2 || (major === 2 && minor >= 12) ? '-std=c++20' : '-std=c++17';
  return { version: `${major}.${minor}`, args: [std, ...inc.map((d) => `-I${d}`), ...lib, '-ltorch', '-ltorch_cpu', '-lc10'] };
}

/** Compiles the harness against the core headers and optimizer.cc under `nativeDir`. */
function build(nativeDir, out, flags) {
  const masked = /const torch::Tensor& apply\)/.test(fs.readFileSync(path.join(nativeDir, 'core', 'internal.h'), 'utf8'));
  execFileSync('nice', ['-n', '10', 'g++', '-O2', '-DNDEBUG', ...(masked ? ['-DTN_BENCH_MASKED'] : []), `-I${nativeDir}`,
    path.join(__dirname, 'bench', 'optimizer-step.cc'), path.join(nativeDir, 'core', 'optimizer.cc'), '-o', out, ...flags.args], { stdio: 'inherit' });
  return { exe: out, masked };
}

function checkout(rev, dir) {
  fs.mkdirSync(path.join(dir, 'core'), { recursive: true });
  for (const f of ['optimizer.cc', 'internal.h', 'api.h']) {
    fs.writeFileSync(path.join(dir, 'core', f), execFileSync('git', ['show', `${rev}:native/core/${f}`], { cwd: C.ROOT }));
  }
  return dir;
}

async function main() {
  const api = C.nativeApi();
  const shapes = {};
  for (const key of modelList) {
    const t = await api.createSession({ model: MODELS[key].model, threads: 1 });
    const ps = await t.parameters();
    shapes[key] = { arg: ps.map((p) => p.shape.join('x')).join(';'), count: ps.length, numel: ps.reduce((s, p) => s + p.numel, 0) };
    await t.dispose();
  }
  const flags = torchFlags();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-optimizer-'));
  process.stderr.write(`compiling the harness (LibTorch ${flags.version})...\n`);
  const versions = [];
  if (before) versions.push({ name: `before (${before})`, ...build(checkout(before, path.join(tmp, 'before')), path.join(tmp, 'before.exe'), flags) });
  versions.push({ name: 'working tree', ...build(path.join(C.ROOT, 'native'), path.join(tmp, 'after.exe'), flags) });
  await C.waitForQuiet();
  console.log(`# bench-optimizer: Optimizer::step per call, ${optimizer}, LibTorch ${flags.version} (${libtorch ?? 'system'})`);
  console.log(C.machineLine());
  console.log(`rounds ${rounds}, alternating versions, fresh process per run; each run: warm-up, then timed calls (median per run)`);
  const rows = [];
  for (const key of modelList) {
    const m = MODELS[key];
    for (const threads of threadList) {
      const runs = [];
      for (const v of versions) {
        runs.push({ name: v.name, exe: v.exe, extra: [], us: [] });
        if (v.masked) runs.push({ name: `${v.name}, masked`, exe: v.exe, extra: ['masked'], us: [] });
      }
      for (let r = 0; r < rounds; r++) {
        for (const run of runs) {
          const res = await C.runJson(run.exe, [optimizer, threads, m.warmup, m.iters, shapes[key].arg, ...run.extra].map(String));
          run.us.push(res.medianUs);
        }
      }
      const base = C.median(runs[0].us);
      for (const run of runs) {
        const med = C.median(run.us);
        rows.push({
          model: `${m.label} (${shapes[key].count} tensors, ${shapes[key].numel} values)`, threads, optimizer: run.name,
          'µs per step()': med.toFixed(1), 'vs first': `${(base / med).toFixed(2)}x`, runs: run.us.map((u) => u.toFixed(0)).join(' '),
        });
      }
    }
  }
  console.log(C.table(rows));
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
