#!/usr/bin/env node
// Benchmarks the native trainer on this machine and prints tables (numbers, not tests):
//  1. step time per model and the share spent assembling the batch (JS copies + tensor upload);
//  2. peak memory of one transformer training step, full vs query-chunked attention, each in a
//     fresh child process (maxRSS delta), to show activation memory grows with N*chunk, not N^2.
// Usage: node scripts/bench-native.js [--quick]
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');

const addonPath = path.resolve(__dirname, '..', 'build', 'Release', 'train_native.node');
const quick = process.argv.includes('--quick');

function rand(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
  return a;
}

async function stepBench() {
  const { NativeTrainer } = require(addonPath);
  const cases = [
    { name: 'mlp 256x64 -> [256,256] -> 10', opts: { model: { type: 'mlp', inputDim: 64, numClasses: 10, hiddenSizes: [256, 256] } },
      batch: () => ({ batchSize: 256, features: rand(256 * 64, 1), labels: new Int32Array(256).map((_, i) => i % 10) }) },
    { name: 'transformer B16 N128 d128 L2', opts: { model: { type: 'transformer', numClasses: 2, vocabSize: 64, dModel: 128, numHeads: 4, numLayers: 2, tokenLimit: 512 } },
      batch: () => ({ batchSize: 16, tokens: new Int32Array(16 * 128).map((_, i) => (i * 7) % 64), labels: new Int32Array(16).map((_, i) => i % 2) }) },
    { name: 'transformer same, chunk 32', opts: { model: { type: 'transformer', numClasses: 2, vocabSize: 64, dModel: 128, numHeads: 4, numLayers: 2, tokenLimit: 512, attentionChunkSize: 32 } },
      batch: () => ({ batchSize: 16, tokens: new Int32Array(16 * 128).map((_, i) => (i * 7) % 64), labels: new Int32Array(16).map((_, i) => i % 2) }) },
    { name: 'gpt B16 N128 d128 L2 vocab 256', opts: { model: { type: 'gpt', vocabSize: 256, dModel: 128, numHeads: 4, numLayers: 2, tokenLimit: 512 } },
      batch: () => ({ batchSize: 16, tokens: new Int32Array(16 * 129).map((_, i) => (i * 13) % 256) }) },
  ];
  const rows = [];
  for (const c of cases) {
    const t = new NativeTrainer({ ...c.opts, seed: 1 });
    const b = c.batch();
    const steps = quick ? 5 : 20;
    for (let i = 0; i < 3; i++) await t.step(b, { lrs: { default: 1e-4 } }); // warm-up
    let total = 0, unpack = 0, prepare = 0, compute = 0;
    for (let i = 0; i < steps; i++) {
      const t0 = process.hrtime.bigint();
      const r = await t.step(b, { lrs: { default: 1e-4 }, readLoss: i === steps - 1 });
      total += Number(process.hrtime.bigint() - t0) / 1e6;
      unpack += r.timing.unpackMs; prepare += r.timing.prepareMs; compute += r.timing.computeMs;
    }
    t.dispose();
    rows.push({ model: c.name, 'step ms': +(total / steps).toFixed(2), 'assembly ms': +((unpack + prepare) / steps).toFixed(3),
      'assembly %': +((100 * (unpack + prepare)) / total).toFixed(2), 'compute ms': +(compute / steps).toFixed(2) });
  }
  console.log('Step time (CPU, threads = LibTorch default; assembly = JS copy + checks + tensor upload)');
  console.table(rows);
}

function memChild(n, chunk, recompute) {
  const code = `
    const { NativeTrainer } = require(${JSON.stringify(addonPath)});
    (async () => {
      const t = new NativeTrainer({ model: { type: 'transformer', numClasses: 2, vocabSize: 32, dModel: 64, numHeads: 4, numLayers: 1, tokenLimit: ${n}, attentionChunkSize: ${chunk}, attentionRecompute: ${recompute} }, seed: 1 });
      const b = { batchSize: 4, tokens: new Int32Array(4 * ${n}).map((_, i) => i % 32), labels: new Int32Array([0, 1, 0, 1]) };
      await t.step({ batchSize: 1, tokens: new Int32Array(8).fill(1), labels: new Int32Array([0]) }, { lrs: { default: 1e-4 } });
      const before = process.resourceUsage().maxRSS;
      const t0 = Date.now();
      await t.step(b, { lrs: { default: 1e-4 } });
      const ms = Date.now() - t0;
      console.log(JSON.stringify({ deltaKiB: process.resourceUsage().maxRSS - before, ms }));
    })();`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
  if (r.status !== 0) return { error: r.stderr.trim().split('\n').pop() };
  return JSON.parse(r.stdout.trim());
}

function memoryBench() {
  const rows = [];
  const ns = quick ? [1024] : [1024, 2048];
  for (const n of ns) {
    for (const [chunk, recompute] of [[0, true], [256, false], [256, true], [64, false], [64, true]]) {
      const m = memChild(n, chunk, recompute);
      rows.push({ N: n, chunk: chunk || 'full', recompute: chunk ? recompute : '-', 'peak RSS growth MiB': m.error ? m.error : +(m.deltaKiB / 1024).toFixed(1), 'step ms': m.ms,
        'B*H*N*N*4 MiB': +((4 * 4 * n * n * 4) / 2 ** 20).toFixed(0) });
    }
  }
  console.log('One training step, transformer B4 H4 d64 L1 (peak RSS growth over the step, fresh process each)');
  console.table(rows);
}

stepBench().then(memoryBench).catch((e) => { console.error(e); process.exit(1); });
