// One addon measurement for scripts/bench-step.js, in a fresh process (as step_reference.py is on
// the Python side). Prints one JSON line.
//   node step-child.js run    SPEC_JSON THREADS WARMUP STEPS REPEAT
//       steps/s of `await session.step(batch, {readLoss: false})` over one fixed batch, the way a
//       loop that logs rarely calls it; the addon still copies the TypedArrays every step.
//   node step-child.js gather SPEC_JSON THREADS WARMUP STEPS
//       batch-assembly share: every step gathers batchSize random rows of a 4096-sample dataset
//       into fresh TypedArrays (JS), then steps; reports the JS gather time, the addon's own
//       unpackMs (TypedArray copies on the JS thread) and prepareMs (checks + tensor upload), and
//       the wall time from the start of the gather to the resolved step.
//   node step-child.js params SPEC_JSON
//   node step-child.js verify SPEC_JSON DIR   (writes weights + batch, returns the addon's losses)
'use strict';
const fs = require('fs');
const path = require('path');
const { performance } = require('perf_hooks');
const { nativeApi, randFloats, randInts } = require('./common');

const [cmd, specJson, ...rest] = process.argv.slice(2);
const spec = JSON.parse(specJson);
const lrs = { default: spec.lr ?? 1e-4 };

function session(api, threads) {
  return api.createSession({
    model: spec.model,
    optimizer: { name: 'adamw', weightDecay: spec.optimizer?.weightDecay ?? 0.01 },
    gradClip: spec.gradClip ?? 1.0,
    threads,
    seed: spec.seed ?? 1,
    // BENCH_DEVICE=cuda (scripts/device-check.sh): the same steps on the GPU
    device: process.env.BENCH_DEVICE || 'cpu',
  });
}

/** The batch: Float32Array features (mlp) or Int32Array tokens, Int32Array labels. */
function fixedBatch(seed = 7) {
  const m = spec.model, b = spec.batchSize;
  const labels = randInts(b, m.numClasses, seed + 1);
  if (m.type === 'mlp') return { batchSize: b, features: randFloats(b * m.inputDim, seed), labels };
  return { batchSize: b, tokens: randInts(b * spec.seqLen, m.vocabSize, seed), labels };
}

async function run(threads, warmup, steps, repeat) {
  const api = nativeApi();
  const t = await session(api, threads);
  const batch = fixedBatch();
  for (let i = 0; i < warmup; i++) await t.step(batch, { lrs, readLoss: false });
  const rates = [];
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    // the last step reads its loss back: on CUDA that waits for the queued work (a sync)
    for (let i = 0; i < steps; i++) await t.step(batch, { lrs, readLoss: i === steps - 1 });
    rates.push(steps / ((performance.now() - t0) / 1000));
  }
  const params = (await t.parameters()).reduce((s, p) => s + p.numel, 0);
  await t.dispose();
  return { stepsPerSec: rates, params, threads };
}

async function gather(threads, warmup, steps) {
  const api = nativeApi();
  const t = await session(api, threads);
  const m = spec.model, b = spec.batchSize, pool = 4096;
  const rowLen = m.type === 'mlp' ? m.inputDim : spec.seqLen;
  const data = m.type === 'mlp' ? randFloats(pool * rowLen, 3) : randInts(pool * rowLen, m.vocabSize, 3);
  const labels = randInts(pool, m.numClasses, 4);
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) % pool;
  const assemble = () => {
    const x = m.type === 'mlp' ? new Float32Array(b * rowLen) : new Int32Array(b * rowLen);
    const y = new Int32Array(b);
    for (let i = 0; i < b; i++) {
      const j = next();
      x.set(data.subarray(j * rowLen, (j + 1) * rowLen), i * rowLen);
      y[i] = labels[j];
    }
    return m.type === 'mlp' ? { batchSize: b, features: x, labels: y } : { batchSize: b, tokens: x, labels: y };
  };
  for (let i = 0; i < warmup; i++) await t.step(assemble(), { lrs, readLoss: false });
  let gatherMs = 0, unpackMs = 0, prepareMs = 0, computeMs = 0, wallMs = 0;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const batch = assemble();
    const t1 = performance.now();
    const r = await t.step(batch, { lrs, readLoss: false });
    const t2 = performance.now();
    gatherMs += t1 - t0;
    wallMs += t2 - t0;
    unpackMs += r.timing.unpackMs;
    prepareMs += r.timing.prepareMs;
    computeMs += r.timing.computeMs;
  }
  await t.dispose();
  const per = (v) => v / steps;
  return { gatherMs: per(gatherMs), unpackMs: per(unpackMs), prepareMs: per(prepareMs), computeMs: per(computeMs), wallMs: per(wallMs) };
}

/** Minimal safetensors writer (what step_reference.py reads). */
function writeSafetensors(file, entries) {
  const header = {};
  let off = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.data.byteLength] };
    off += e.data.byteLength;
  }
  let h = Buffer.from(JSON.stringify(header));
  h = Buffer.concat([h, Buffer.alloc((8 - (h.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  fs.writeFileSync(file, Buffer.concat([len, h, ...entries.map((e) => Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength))]));
}

async function verify(dir) {
  const api = nativeApi();
  const t = await session(api, 1);
  const batch = fixedBatch();
  writeSafetensors(path.join(dir, 'weights.safetensors'), await t.getState());
  const x = spec.model.type === 'mlp' ? batch.features : batch.tokens;
  writeSafetensors(path.join(dir, 'batch.safetensors'), [
    { name: 'x', dtype: spec.model.type === 'mlp' ? 'F32' : 'I32', shape: spec.model.type === 'mlp' ? [batch.batchSize, spec.model.inputDim] : [batch.batchSize, spec.seqLen], data: new Uint8Array(x.buffer) },
    { name: 'y', dtype: 'I32', shape: [batch.batchSize], data: new Uint8Array(batch.labels.buffer) },
  ]);
  const r = await t.step(batch, { lrs, readLoss: true });
  const e = await t.evaluate(batch);
  await t.dispose();
  return { lossBefore: r.loss, lossAfter: e.loss };
}

async function params() {
  const api = nativeApi();
  const t = await session(api, 1);
  const ps = (await t.parameters());
  await t.dispose();
  return { count: ps.reduce((s, p) => s + p.numel, 0), params: ps.map((p) => [p.name, p.shape]) };
}

(async () => {
  const n = rest.map(Number);
  let out;
  if (cmd === 'run') out = await run(n[0], n[1], n[2], n[3]);
  else if (cmd === 'gather') out = await gather(n[0], n[1], n[2]);
  else if (cmd === 'params') out = await params();
  else if (cmd === 'verify') out = await verify(rest[0]);
  else throw new Error(`unknown command ${cmd}`);
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
