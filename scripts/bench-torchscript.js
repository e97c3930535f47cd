#!/usr/bin/env node
// bench-torchscript: your own TorchScript module (examples/cnn/make_cnn.py, a small CNN with
// BatchNorm on 8x8 images) trained two ways on the same LibTorch, side by side:
//   train-native   `node dist/cli.js train CONFIG` (MODEL.TYPE torchscript), as a user runs it
//   PyTorch loop   scripts/bench/torchscript_reference.py (torch.jit.load, AdamW, LambdaLR, clip)
// Per-step time from two run lengths, (t(E2) - t(E1)) / (steps(E2) - steps(E1)), so start-up
// cancels; medians over rounds that alternate the two. No validation; the loss read every 16 steps.
//
// LibTorch (--libtorch): debian (build/, /usr/bin/python3) or pip (build-pip/, --pip-python).
// Usage: node scripts/bench-torchscript.js [--libtorch debian,pip] [--threads 1,2] [--rounds 3]
//          [--epochs 1,4] [--batch 32] [--pip-python PATH]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const yaml = require('js-yaml');
const C = require('./bench/common');
const { writeNpy } = require('./bench/npy-write');

const ROOT = C.ROOT;
const o = C.cliOptions();
const setups = o.list('libtorch', 'debian', ['debian', 'pip']);
const threads = o.list('threads', '1').map(Number);
const rounds = o.int('rounds', 3);
const [e1, e2] = o.list('epochs', '1,4').map(Number);
const batch = o.int('batch', 32);
const pipPython = o.opt('pip-python', process.env.BENCH_PIP_PYTHON || '/work/venv213/bin/python');
o.rejectUnknown();

const SETUP = {
  debian: { addon: path.join(ROOT, 'build', 'Release', 'train_native.node'), python: '/usr/bin/python3' },
  pip: { addon: path.join(ROOT, 'build-pip', 'Release', 'train_native.node'), python: pipPython },
};

function timed(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${path.basename(args[0] || cmd)} failed: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return { s, out: r.stdout };
}

function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ts-'));
  const n = 4096;
  const x = C.randFloats(n * 64, 7);
  fs.mkdirSync(path.join(dir, 'data'));
  writeNpy(path.join(dir, 'data', 'features.npy'), x, [n, 1, 8, 8]);
  writeNpy(path.join(dir, 'data', 'labels.npy'), C.randInts(n, 10, 8), [n]);
  const rows = [];
  try {
    for (const setup of setups) {
      const s = SETUP[setup];
      const module = path.join(dir, `cnn-${setup}.pt`);
      timed(s.python, [path.join(ROOT, 'examples', 'cnn', 'make_cnn.py'), module]);
      const torchVersion = timed(s.python, ['-c', 'import torch; print(torch.__version__)']).out.trim();
      for (const t of threads) {
        const tn = { [e1]: [], [e2]: [] };
        const py = { [e1]: [], [e2]: [] };
        for (let r = 0; r < rounds; r++) {
          for (const e of [e1, e2]) {
            const cfg = path.join(dir, `c-${e}.yaml`);
            fs.writeFileSync(cfg, yaml.dump({
              EXPERIMENT: { NAME: `e${e}`, OUTPUT_DIR: path.join(dir, `runs-${setup}-${t}-${r}`), SEED: 1 },
              DATA: { SOURCE: 'npy', TRAIN_PATH: path.join(dir, 'data'), BATCH_SIZE: batch },
              MODEL: { TYPE: 'torchscript', PATH: module, TASK: 'classification' },
              LR_SCHEDULER: { NAME: 'cosine', BASE_LR: 1e-3, MIN_LR: 1e-5, WARMUP_FRACTION: 0.05 },
              TRAIN: { EPOCHS: e, THREADS: t, DEVICE: 'cpu' },
              SCHEDULE: { CHECKPOINT: { STEPS: [Math.floor(n / batch) * e] }, METRICS: { STEP_INTERVAL: 16, CONSOLE_INTERVAL: 16, LR_INTERVAL: 16 } },
              LOGGING: { PROGRESS: 'none', TENSORBOARD: false, HISTOGRAM_INTERVAL_EPOCHS: 0 },
            }));
            const order = r % 2 === 0 ? ['tn', 'py'] : ['py', 'tn'];
            for (const who of order) {
              if (who === 'tn') tn[e].push(timed(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'train', cfg, '--progress', 'none'], { TRAIN_NATIVE_ADDON: s.addon }).s);
              else py[e].push(timed(s.python, [path.join(ROOT, 'scripts', 'bench', 'torchscript_reference.py'), module, path.join(dir, 'data'), String(e), String(batch), String(t)]).s);
            }
          }
        }
        const steps = (Math.floor(n / batch)) * (e2 - e1);
        const perStep = (m) => ((C.median(m[e2]) - C.median(m[e1])) / steps) * 1000;
        const a = perStep(tn);
        const b = perStep(py);
        rows.push({ LibTorch: `${setup} ${torchVersion}`, threads: t, 'train-native': `${a.toFixed(3)} ms`, 'PyTorch loop': `${b.toFixed(3)} ms`, 'vs loop': `${(b / a).toFixed(2)}×` });
      }
    }
    console.log(`bench-torchscript: ${C.machineLine()}`);
    console.log(`command: node scripts/bench-torchscript.js ${process.argv.slice(2).join(' ')}`.trim());
    console.log(`model: examples/cnn/make_cnn.py (conv 16 + BN, conv 32 + BN, linear), batch ${batch}, ${Math.floor(n / batch)} steps an epoch; per-step time from ${e1} and ${e2} epochs, median of ${rounds} rounds`);
    console.log(C.table(rows));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`bench-torchscript: ${e.message}`);
  process.exit(1);
}
