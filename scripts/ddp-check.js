#!/usr/bin/env node
// ddp-check: data parallel on this machine's device, as a user runs it. Trains the same small MLP
// job twice — `train-native launch --nproc-per-node 2` with batch 16 per rank, and one process
// with batch 32 — and compares the final weights (they must agree: the samples of every global
// step are the same). On CUDA the backend is nccl when there are 2 GPUs (one per rank), gloo on
// CUDA tensors with one GPU (NCCL refuses two ranks on one device). Prints one table.
//
// Usage: node scripts/ddp-check.js [--device cpu|cuda] [--backend auto|gloo|nccl]
//   (scripts/device-check.sh runs it as its step 7; TRAIN_NATIVE_ADDON picks the addon)
'use strict';
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const yaml = require('js-yaml');

const C = require('./bench/common');

const ROOT = C.ROOT;
const CLI = path.join(ROOT, 'dist', 'cli.js');
const cli = C.cliOptions();
const device = cli.opt('device', 'cpu');
const backendOpt = cli.opt('backend', 'auto');
cli.rejectUnknown();
if (!['cpu', 'cuda'].includes(device)) cli.fail(`--device must be cpu or cuda, got '${device}'`);
if (!['auto', 'gloo', 'nccl'].includes(backendOpt)) cli.fail(`--backend must be auto, gloo or nccl, got '${backendOpt}'`);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** name -> Float32Array of a checkpoint's model.safetensors. */
function weights(file) {
  const raw = fs.readFileSync(file);
  const n = Number(raw.readBigUInt64LE(0));
  const header = JSON.parse(raw.subarray(8, 8 + n).toString('utf8'));
  const out = new Map();
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    const [a, b] = v.data_offsets;
    const bytes = raw.subarray(8 + n + a, 8 + n + b);
    out.set(k, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
  }
  return out;
}

function gpuCount() {
  const probe = `require(${JSON.stringify(path.join(ROOT, 'dist', 'native', 'index.js'))}).buildInfo().then((i) => console.log(JSON.stringify({ n: i.cudaDeviceCount, b: i.distBackends })))`;
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  if (r.status !== 0 || r.stdout.trim() === '') throw new Error(`buildInfo failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
  return JSON.parse(r.stdout.trim());
}

async function main() {
  const info = gpuCount();
  const backend = backendOpt !== 'auto' ? backendOpt : device === 'cuda' && info.n >= 2 && info.b.includes('nccl') ? 'nccl' : 'gloo';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddp-check-'));
  const config = (batch) => ({
    EXPERIMENT: { NAME: 'ddp', OUTPUT_DIR: dir, SEED: 3 },
    DATA: { SOURCE: 'synthetic:classification', TRAIN_SAMPLES: 1024, VAL_FRACTION: 0.25, BATCH_SIZE: batch },
    MODEL: { TYPE: 'mlp', INPUT_DIM: 32, NUM_CLASSES: 4, HIDDEN_SIZES: [128, 128], DROPOUT: 0 },
    TRAIN: { EPOCHS: 2, DEVICE: device, THREADS: 1 },
    DIST: { BACKEND: backend, TIMEOUT_S: 60 },
    LOGGING: { PROGRESS: 'none', TENSORBOARD: false },
  });
  const two = path.join(dir, 'two.yaml');
  const one = path.join(dir, 'one.yaml');
  fs.writeFileSync(two, yaml.dump(config(16)));
  fs.writeFileSync(one, yaml.dump(config(32)));
  const run = (args) => {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.slice(0, 4).join(' ')} … exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
    return (Date.now() - t0) / 1000;
  };
  const s2 = run(['launch', '--nproc-per-node', '2', '--master-port', String(await freePort()), '--', 'train', two, '--run-dir', path.join(dir, 'r2')]);
  const s1 = run(['train', one, '--run-dir', path.join(dir, 'r1')]);
  const last = (d) => path.join(d, 'checkpoints', fs.readFileSync(path.join(d, 'checkpoints', 'latest'), 'utf8').trim(), 'model.safetensors');
  const a = weights(last(path.join(dir, 'r2')));
  const b = weights(last(path.join(dir, 'r1')));
  let worst = 0;
  for (const [k, x] of a) {
    const y = b.get(k);
    let scale = 0, diff = 0;
    for (let i = 0; i < x.length; i++) (scale = Math.max(scale, Math.abs(y[i]))), (diff = Math.max(diff, Math.abs(x[i] - y[i])));
    worst = Math.max(worst, diff / Math.max(scale, 1e-12));
  }
  const tolerance = device === 'cuda' ? 1e-4 : 1e-5;
  console.log(`# ddp-check: 2 ranks × batch 16 against 1 process × batch 32, MLP 32→128→128→4, 64 steps, on ${device}`);
  console.log(C.table([{ device, backend, 'GPUs': String(info.n), '2 ranks (s)': s2.toFixed(1), '1 process (s)': s1.toFixed(1), 'max rel. weight diff': worst.toExponential(2), verdict: worst < tolerance ? `ok (< ${tolerance})` : `FAIL (>= ${tolerance})` }]));
  fs.rmSync(dir, { recursive: true, force: true });
  if (!(worst < tolerance)) process.exit(1);
}

main().catch((e) => {
  console.error(`ddp-check: ${e.message}`);
  process.exit(1);
});
