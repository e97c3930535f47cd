#!/usr/bin/env node
/**
 * Steps/s of the native addon vs a plain PyTorch loop on the same LibTorch, side by side in one run.
 *
 * The same MLP and transformer encoder (classification) are stepped by the addon
 * (createSession().step, readLoss false) and by scripts/bench/step_reference.py (PyTorch 1.13 at
 * /usr/bin/python3, the same LibTorch the addon links): same thread count (threads option /
 * torch.set_num_threads), AdamW (lr 1e-4, wd 0.01), total-norm gradient clipping at 1.0, fp32,
 * no dropout. Runs alternate addon, python, addon, python... each in a fresh process; each run
 * warms up, then times a block of steps; the table shows medians over the rounds (mlp 5, transformer 3).
 * Before timing, the two sides are shown to be the same model: parameter names, shapes and count,
 * and the same loss before and after one step from the addon's initial weights.
 * Then the batch-assembly share: JS gather of the batch + the addon's TypedArray copies and tensor
 * upload, over the whole step.
 *
 *   npm run build && npm run build:native
 *   node scripts/bench-step.js [--quick] [--rounds N] [--threads 1,2] [--models mlp,transformer]
 *                                [--blas-dir DIR] [--json FILE]
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const C = require('./bench/common');

const { opt, flag } = C.cliOptions();
const quick = flag('quick');
const threadList = opt('threads', `1,${Math.min(2, C.nproc())}`).split(',').map(Number).filter((v, i, a) => a.indexOf(v) === i);
const modelList = opt('models', 'mlp,transformer').split(',');
const jsonOut = opt('json', null);
// --blas-dir DIR: load libblas.so.3 from DIR in both children (LD_LIBRARY_PATH; libtorch_cpu has no
// runpath), e.g. an unpacked Debian libopenblas0-pthread, with OPENBLAS_NUM_THREADS = the run's threads.
const blasDir = opt('blas-dir', null);
const blasEnv = (threads) => (blasDir ? { LD_LIBRARY_PATH: blasDir, OPENBLAS_NUM_THREADS: String(threads) } : {});
const roundsOf = (key) => Number(opt('rounds', quick ? 1 : key === 'mlp' ? 5 : 3));

const CHILD = path.join(__dirname, 'bench', 'step-child.js');
const PY = path.join(__dirname, 'bench', 'step_reference.py');

const MODELS = {
  mlp: {
    label: 'mlp 64 -> [256, 256] -> 10, batch 32',
    spec: { model: { type: 'mlp', inputDim: 64, hiddenSizes: [256, 256], numClasses: 10 }, batchSize: 32 },
    // steps per timed block, warm-up steps; target: addon >= 1.5x python
    warmup: 50, steps: quick ? 100 : 400, target: 1.5,
  },
  transformer: {
    label: 'transformer L4 d256 H4 ff1024 vocab 1000, seq 256, batch 16',
    spec: {
      model: { type: 'transformer', vocabSize: 1000, dModel: 256, numHeads: 4, numLayers: 4, ffDim: 1024, tokenLimit: 256, numClasses: 10, maskedTokenHead: false },
      batchSize: 16, seqLen: 256,
    },
    warmup: 1, steps: quick ? 1 : 2, target: 1.0,
    // the architecture check runs this smaller copy (same code paths, seconds instead of minutes)
    verifySpec: {
      model: { type: 'transformer', vocabSize: 50, dModel: 32, numHeads: 4, numLayers: 2, ffDim: 64, tokenLimit: 16, numClasses: 3, maskedTokenHead: false },
      batchSize: 4, seqLen: 16,
    },
  },
};

const node = (args, threads = 1) => C.runJson(process.execPath, [CHILD, ...args], { env: blasEnv(threads) });
const python = (args, threads = 1) => C.runJson(C.PYTHON, [PY, ...args], { env: blasEnv(threads) });

async function checkSameModel(key) {
  const m = MODELS[key];
  const s = JSON.stringify(m.spec);
  const [a, p] = [await node(['params', s]), await python(['params', '--spec', s])];
  const same = JSON.stringify(a.params) === JSON.stringify(p.params);
  const vs = JSON.stringify(m.verifySpec ?? m.spec);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-step-'));
  const la = await node(['verify', vs, dir]);
  const lp = await python(['verify', '--spec', vs, '--dir', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
  const rel = (x, y) => Math.abs(x - y) / Math.max(Math.abs(y), 1e-12);
  const err = Math.max(rel(la.lossBefore, lp.lossBefore), rel(la.lossAfter, lp.lossAfter));
  return {
    model: key,
    'addon params': a.count,
    'python params': p.count,
    'names+shapes equal': same ? 'yes' : 'NO',
    'checked at': m.verifySpec ? 'reduced size (L2 d32 seq16)' : 'benchmark size',
    'loss before (addon / python)': `${la.lossBefore.toFixed(6)} / ${lp.lossBefore.toFixed(6)}`,
    'loss after 1 step (addon / python)': `${la.lossAfter.toFixed(6)} / ${lp.lossAfter.toFixed(6)}`,
    'max rel diff': err.toExponential(1),
    ok: same && a.count === p.count && err < 1e-4,
  };
}

async function main() {
  await C.waitForQuiet();
  const api = C.nativeApi();
  const info = await api.buildInfo();
  const header = [
    '# bench-step: native addon vs PyTorch loop, same LibTorch',
    C.machineLine(),
    `addon: LibTorch ${info.torchVersion} (${info.torchSource}, ${info.buildType}); python: ${C.PYTHON} torch (see params check); ` +
      `parallel backend: ${(/ATen parallel backend: (.*)/.exec(info.parallelInfo) || [])[1] ?? '?'}`,
    `rounds: mlp ${roundsOf('mlp')}, transformer ${roundsOf('transformer')}; alternating addon/python, fresh process per run; AdamW lr 1e-4 wd 0.01, clip 1.0, fp32, dropout 0`,
    `BLAS: ${blasDir ? `libblas.so.3 from ${blasDir} (LD_LIBRARY_PATH, OPENBLAS_NUM_THREADS = threads), both sides` : 'the system libblas.so.3 (/etc/alternatives), both sides'}`,
  ];
  console.log(header.join('\n'));

  const checks = [];
  for (const key of modelList) checks.push(await checkSameModel(key));
  console.log('\nSame model on both sides (parameter names/shapes/count; losses from the addon\'s initial weights):');
  console.log(C.table(checks.map((c) => ({ ...c, ok: c.ok ? 'yes' : 'NO' }))));

  const rows = [];
  const raw = [];
  for (const key of modelList) {
    const m = MODELS[key];
    const s = JSON.stringify(m.spec);
    for (const threads of threadList) {
      const a = [], p = [];
      for (let r = 0; r < roundsOf(key); r++) {
        const ra = await node(['run', s, threads, m.warmup, m.steps, 1].map(String), threads);
        const rp = await python(['run', '--spec', s, '--threads', threads, '--warmup', m.warmup, '--steps', m.steps].map(String), threads);
        a.push(ra.stepsPerSec[0]);
        p.push(rp.stepsPerSec[0]);
        process.stderr.write(`  ${key} threads ${threads} round ${r + 1}: addon ${ra.stepsPerSec[0].toFixed(3)}  python ${rp.stepsPerSec[0].toFixed(3)} steps/s  (load ${C.loadavg()})\n`);
      }
      const ma = C.median(a), mp = C.median(p), ratio = ma / mp;
      raw.push({ model: key, threads, addon: a, python: p });
      const fmt = (v) => (v >= 10 ? v.toFixed(1) : v.toFixed(3));
      rows.push({
        model: m.label, threads, 'addon steps/s': fmt(ma), 'python steps/s': fmt(mp), ratio: ratio.toFixed(2) + 'x',
        target: `>= ${m.target.toFixed(1)}x`, result: ratio >= m.target ? 'pass' : 'FAIL',
        'runs addon ; python': `${a.map(fmt).join(' ')} ; ${p.map(fmt).join(' ')}`,
      });
    }
  }
  console.log(`\nSteps/s (median of the alternating runs; each run: warm-up, then a timed block; load now ${C.loadavg()}):`);
  console.log(C.table(rows));

  const asm = [];
  for (const key of modelList) {
    const m = MODELS[key];
    // every thread count for the MLP (the share is largest where the step is shortest); the
    // transformer's seconds-long step only at the largest count
    for (const threads of key === 'mlp' ? threadList : [Math.max(...threadList)]) {
      const g = await node(['gather', JSON.stringify(m.spec), threads, m.warmup, key === 'mlp' ? m.steps : Math.max(2, m.steps)].map(String), threads);
      const share = (100 * (g.gatherMs + g.unpackMs + g.prepareMs)) / g.wallMs;
      asm.push({
        model: key, threads, 'JS gather ms': g.gatherMs.toFixed(3), 'addon unpack ms': g.unpackMs.toFixed(3), 'addon prepare ms': g.prepareMs.toFixed(3),
        'step wall ms': g.wallMs.toFixed(2), 'assembly share': share.toFixed(2) + '%', target: '< 5%', result: share < 5 ? 'pass' : 'FAIL',
      });
    }
  }
  console.log('\nBatch assembly share of a step (gather batchSize random rows of a 4096-sample pool into new TypedArrays in JS,');
  console.log('+ addon unpackMs (TypedArray copies, JS thread) + prepareMs (checks, tensor upload); wall = gather start -> step resolved):');
  console.log(C.table(asm));
  console.log(`\nload average at end: ${C.loadavg()}`);
  if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify({ header, checks, rows, raw, asm }, null, 2));
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
