// One configuration of scripts/bench-attention.js in a fresh process; prints one JSON line.
//   node attention-child.js '{"seqLen":4096,"chunk":128,"recompute":true,"batch":1,"heads":4,"headDim":32,"threads":1,"steps":3}'
// Attention alone through the addon's attentionBench (the models' attention() code path: forward,
// then backward on random q, k, v; chunk 0 = full attention). Peak memory = VmHWM after the first
// long iteration (its own call) minus VmRSS before it (the process has loaded the addon and run a
// 16-token call first); the other `steps - 1` iterations are timed in a second call.
'use strict';
const { nativeApi, rssKiB } = require('./common');

(async () => {
  const c = JSON.parse(process.argv[2]);
  const api = nativeApi();
  const base = { batch: c.batch, heads: c.heads, headDim: c.headDim, recompute: c.recompute, threads: c.threads, seed: 1 };
  // warm-up at a short length so lazy initialisation is not counted as the long run's memory
  await api.attentionBench({ ...base, seqLen: 16, chunkSize: c.chunk ? 8 : 0, iters: 1 });
  const before = rssKiB();
  const first = await api.attentionBench({ ...base, seqLen: c.seqLen, chunkSize: c.chunk, iters: 1 });
  const peakKiB = rssKiB().hwm - before.rss;
  const r = { forwardMs: [...first.forwardMs], backwardMs: [...first.backwardMs] };
  if (c.steps > 1) {
    const rest = await api.attentionBench({ ...base, seqLen: c.seqLen, chunkSize: c.chunk, iters: c.steps - 1 });
    r.forwardMs.push(...rest.forwardMs);
    r.backwardMs.push(...rest.backwardMs);
  }
  const ms = r.forwardMs.map((f, i) => f + r.backwardMs[i]);
  console.log(JSON.stringify({ peakKiB, ms, forwardMs: r.forwardMs, backwardMs: r.backwardMs, rssBeforeKiB: before.rss, hwmBeforeKiB: before.hwm }));
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
