// One process of scripts/bench-predict.js: the library path a Node service would use —
// loadModel(run), then predict() / generate() — timed from JS, promise resolution included.
// Prints one JSON line. Env: TRAIN_NATIVE_ADDON picks the addon (the LibTorch under test).
'use strict';
const { loadModel } = require('../..');
const C = require('./common');

async function main() {
  const [mlpRun, gptRun, threadsArg, itersArg, tokensArg, device = 'cpu'] = process.argv.slice(2);
  const threads = Number(threadsArg);
  const iters = Number(itersArg);
  const newTokens = Number(tokensArg);
  const out = { threads, device };

  const mlp = await loadModel(mlpRun, { device, threads });
  const dim = mlp.card.model.inputDim;
  const one = C.randFloats(dim, 1);
  for (let i = 0; i < 200; i++) await mlp.predict({ features: one, shape: [1, dim] });
  const lat = [];
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint();
    await mlp.predict({ features: one, shape: [1, dim] });
    lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  lat.sort((a, b) => a - b);
  out.batch1P50Ms = lat[Math.floor(lat.length * 0.5)];
  out.batch1P99Ms = lat[Math.floor(lat.length * 0.99)];
  const big = C.randFloats(1024 * dim, 2);
  for (let i = 0; i < 5; i++) await mlp.predict({ features: big, shape: [1024, dim] }, { batchSize: 1024 });
  const per = [];
  for (let i = 0; i < 30; i++) {
    const t0 = process.hrtime.bigint();
    await mlp.predict({ features: big, shape: [1024, dim] }, { batchSize: 1024 });
    per.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  out.batch1024RowsPerS = 1024 / C.median(per);
  await mlp.dispose();

  const gpt = await loadModel(gptRun, { device, threads });
  const prompt = 'ROMEO: ';
  const runOnce = async (n, seed) => {
    const t0 = process.hrtime.bigint();
    let k = 0;
    for await (const _ of gpt.generate(prompt, { maxNewTokens: n, seed, temperature: 1 })) k++;
    return { k, s: Number(process.hrtime.bigint() - t0) / 1e9 };
  };
  await runOnce(32, 0);
  const rates = [];
  for (let r = 0; r < 3; r++) {
    const { k, s } = await runOnce(newTokens, r + 1);
    rates.push(k / s);
  }
  out.gptTokensPerS = C.median(rates);
  out.contextLength = gpt.card.data.width - 1;
  await gpt.dispose();
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e.stack || e.message);
  process.exit(1);
});
