#!/usr/bin/env node
// bench-predict: serving a trained model, side by side with what a Python service would run on
// the same LibTorch — PyTorch eager under torch.no_grad(), the model rebuilt from the run by
// python/train_native_torch.py:
//   - MLP 64→256→256→10 batch-1 latency, promise resolved (p50, p99 over --iters calls);
//   - the same MLP's throughput at batch 1024 (median of 30 calls);
//   - a character GPT (4 layers, d 128, 4 heads, context 255): tokens/s generating --tokens
//     tokens with a key/value cache (temperature 1), median of 3.
// Both runs are trained first (a few seconds, with the CLI); the weights are the same for both sides.
//
// LibTorch setups (--libtorch):
//   debian  build/Release/train_native.node and Debian's python3 torch (/usr/bin/python3)
//   pip     build-pip/Release/train_native.node and --pip-python's torch
//   env     the addon TRAIN_NATIVE_ADDON names and the python BENCH_PYTHON names (the device check)
// --device cuda runs both sides on the GPU (training the two runs stays on the CPU).
//
// Usage: node scripts/bench-predict.js [--libtorch debian,pip,env] [--threads 1,2] [--iters 2000]
//          [--tokens 200] [--device cpu|cuda] [--pip-python PATH] [--smoke] [--json FILE]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const yaml = require('js-yaml');
const C = require('./bench/common');
const { writeNpy } = require('./bench/npy-write');

const ROOT = C.ROOT;
const CLI = path.join(ROOT, 'dist', 'cli.js');
const CHILD = path.join(ROOT, 'scripts', 'bench', 'predict-child.js');
const REFERENCE = path.join(ROOT, 'scripts', 'bench', 'predict_reference.py');

const o = C.cliOptions();
const setups = o.list('libtorch', 'debian', ['debian', 'pip', 'env']);
const device = o.list('device', 'cpu', ['cpu', 'cuda'])[0];
const threads = o.list('threads', '1').map(Number);
const smoke = o.flag('smoke');
const iters = o.int('iters', smoke ? 100 : 2000);
const tokens = o.int('tokens', smoke ? 16 : 200);
const pipPython = o.opt('pip-python', process.env.BENCH_PIP_PYTHON || '/work/venv213/bin/python');
const jsonOut = o.opt('json', undefined);
o.rejectUnknown();

const SETUP = {
  debian: { addon: path.join(ROOT, 'build', 'Release', 'train_native.node'), python: '/usr/bin/python3' },
  pip: { addon: path.join(ROOT, 'build-pip', 'Release', 'train_native.node'), python: pipPython },
  env: { addon: process.env.TRAIN_NATIVE_ADDON || '', python: process.env.BENCH_PYTHON || '/usr/bin/python3' },
};

function train(dir, name, config) {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, yaml.dump(config));
  const r = spawnSync(process.execPath, [CLI, 'train', file, '--progress', 'none', '--set', 'TRAIN.DEVICE=cpu'], { cwd: dir, encoding: 'utf8', env: { ...process.env, TRAIN_NATIVE_ADDON: SETUP[setups[0]].addon } });
  if (r.status !== 0) throw new Error(`training ${name} failed: ${r.stderr}`);
  return path.join(dir, 'runs', name);
}

function prepare(dir) {
  const n = smoke ? 256 : 2048;
  fs.mkdirSync(path.join(dir, 'mlp'));
  writeNpy(path.join(dir, 'mlp', 'features.npy'), C.randFloats(n * 64, 3), [n, 64]);
  writeNpy(path.join(dir, 'mlp', 'labels.npy'), C.randInts(n, 10, 4), [n]);
  const text = ['README.md', 'docs/training.md', 'docs/cli.md'].map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8')).join('\n');
  fs.writeFileSync(path.join(dir, 'text.txt'), text.slice(0, smoke ? 20000 : 60000));
  const common = { LR_SCHEDULER: { NAME: 'cosine', BASE_LR: 1e-3 }, LOGGING: { TENSORBOARD: false }, SCHEDULE: { CHECKPOINT: { INTERVAL_EPOCHS: 1 } } };
  const mlp = train(dir, 'mlp', {
    ...common,
    EXPERIMENT: { NAME: 'mlp', OUTPUT_DIR: 'runs' },
    DATA: { SOURCE: 'npy', TRAIN_PATH: 'mlp', VAL_FRACTION: 0.1, BATCH_SIZE: 32 },
    MODEL: { TYPE: 'mlp', INPUT_DIM: 64, NUM_CLASSES: 10, HIDDEN_SIZES: [256, 256] },
    TRAIN: { EPOCHS: 1 },
  });
  const gpt = train(dir, 'gpt', {
    ...common,
    EXPERIMENT: { NAME: 'gpt', OUTPUT_DIR: 'runs' },
    DATA: { SOURCE: 'text', TRAIN_PATH: 'text.txt', VAL_FRACTION: 0.1, BATCH_SIZE: 8, BLOCK_SIZE: 256 },
    MODEL: { TYPE: 'gpt', D_MODEL: 128, NUM_HEADS: 4, NUM_LAYERS: 4, TOKEN_LIMIT: 256 },
    TRAIN: { EPOCHS: 1 },
  });
  return { mlp, gpt };
}

const fmt = (v, digits = 3) => (v >= 100 ? v.toFixed(0) : v.toPrecision(digits));

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-predict-'));
  try {
    const runs = prepare(dir);
    const rows = [];
    const results = [];
    for (const setup of setups) {
      const s = SETUP[setup];
      if (!fs.existsSync(s.addon)) throw new Error(`${setup}: no addon at ${s.addon} (pip: TRAIN_NATIVE_BUILD_DIR=build-pip node dist/cli.js build --libtorch <torch dir>)`);
      for (const t of threads) {
        const args = [runs.mlp, runs.gpt, String(t), String(iters), String(tokens), device];
        const native = await C.runJson(process.execPath, [CHILD, ...args], { env: { TRAIN_NATIVE_ADDON: s.addon } });
        const torchRef = await C.runJson(s.python, [REFERENCE, ...args]);
        results.push({ setup, threads: t, native, torch: torchRef });
        const label = `${setup} (torch ${torchRef.torch}), ${device}, ${t} thread${t > 1 ? 's' : ''}`;
        rows.push(
          { setup: label, measure: 'MLP batch-1 latency p50', 'train-native': `${fmt(native.batch1P50Ms * 1000)} µs`, 'PyTorch eager': `${fmt(torchRef.batch1P50Ms * 1000)} µs`, 'train-native vs PyTorch': `${(torchRef.batch1P50Ms / native.batch1P50Ms).toFixed(2)}×` },
          { setup: label, measure: 'MLP batch-1 latency p99', 'train-native': `${fmt(native.batch1P99Ms * 1000)} µs`, 'PyTorch eager': `${fmt(torchRef.batch1P99Ms * 1000)} µs`, 'train-native vs PyTorch': `${(torchRef.batch1P99Ms / native.batch1P99Ms).toFixed(2)}×` },
          { setup: label, measure: 'MLP batch 1024, rows/s', 'train-native': fmt(native.batch1024RowsPerS), 'PyTorch eager': fmt(torchRef.batch1024RowsPerS), 'train-native vs PyTorch': `${(native.batch1024RowsPerS / torchRef.batch1024RowsPerS).toFixed(2)}×` },
          { setup: label, measure: `GPT tokens/s (${tokens} tokens, KV cache)`, 'train-native': fmt(native.gptTokensPerS), 'PyTorch eager': fmt(torchRef.gptTokensPerS), 'train-native vs PyTorch': `${(native.gptTokensPerS / torchRef.gptTokensPerS).toFixed(2)}×` },
        );
      }
    }
    console.log(`bench-predict: ${C.machineLine()}`);
    console.log(`command: node scripts/bench-predict.js ${process.argv.slice(2).join(' ')}`.trim());
    console.log(C.table(rows));
    if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(results, null, 2));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench-predict: ${e.message}`);
  process.exit(1);
});
