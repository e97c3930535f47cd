// One configuration of scripts/bench-attention.js in a fresh process; prints one JSON line.
//   node attention-child.js '{"seqLen":4096,"chunk":128,"recompute":true,"batch":1,"heads":4,"headDim":32,"ffDim":128,"threads":1,"steps":3}'
// The addon has no attention-only entry point, so this steps a one-block transformer encoder
// (pre-LN attention + a narrow feed-forward, mean pool, 2 classes) whose cost at long sequences
// is the attention; chunk 0 = full attention. Peak memory = VmHWM after the first long step minus
// VmRSS before it (the process has loaded the addon, built the trainer and run one 16-token step).
'use strict';
const { performance } = require('perf_hooks');
const { nativeApi, rssKiB, randInts } = require('./common');

(async () => {
  const c = JSON.parse(process.argv[2]);
  const api = nativeApi();
  const d = c.heads * c.headDim;
  const t = api.createTrainer({
    model: {
      type: 'transformer', vocabSize: 64, dModel: d, numHeads: c.heads, numLayers: 1, ffDim: c.ffDim || d,
      tokenLimit: c.seqLen, numClasses: 2, maskedTokenHead: false, attentionChunkSize: c.chunk, attentionRecompute: c.recompute,
    },
    threads: c.threads, seed: 1, gradClip: 1.0,
  });
  const lrs = { default: 1e-4 };
  const labels = Int32Array.from({ length: c.batch }, (_, i) => i % 2);
  await t.step({ batchSize: c.batch, tokens: randInts(c.batch * 16, 64, 5), labels }, { lrs, readLoss: false });
  const batch = { batchSize: c.batch, tokens: randInts(c.batch * c.seqLen, 64, 9), labels };
  const before = rssKiB();
  const ms = [];
  let peakKiB = 0;
  for (let i = 0; i < c.steps; i++) {
    const t0 = performance.now();
    await t.step(batch, { lrs, readLoss: false });
    ms.push(performance.now() - t0);
    if (i === 0) peakKiB = rssKiB().hwm - before.rss;
  }
  t.dispose();
  console.log(JSON.stringify({ peakKiB, ms, rssBeforeKiB: before.rss, hwmBeforeKiB: before.hwm }));
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
