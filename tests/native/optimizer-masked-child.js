// Child of tests/native/optimizer-masked.test.ts. The core reads its test hook
// TRAIN_NATIVE_TEST_OPTIMIZER_MASK from the real environment when a trainer is built, which a
// jest worker's process.env (a copy) cannot reach; a plain node process can. argv: case.json.
// Prints one JSON object of snapshots ({entry name: hex bytes}) for the test to compare.
'use strict';
const fs = require('fs');
const { createSession } = require('../../dist/native');

const ENV = 'TRAIN_NATIVE_TEST_OPTIMIZER_MASK';
const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const batches = spec.batches.map((b) => ({ batchSize: b.batchSize, features: Float32Array.from(b.features), labels: Int32Array.from(b.labels) }));

async function build(mask) {
  if (mask) process.env[ENV] = mask;
  else delete process.env[ENV];
  const t = await createSession(spec.options); // the optimizer reads the hook while it is built
  delete process.env[ENV];
  return t;
}

/** Steps `from`..`to`-1; layers.0.* frozen on step 0 (its step count then lags: its own bucket). */
async function run(t, from, to) {
  for (let s = from; s < to; s++) {
    if (s === 0) await t.setTrainable(['layers.0.*'], false);
    await t.step(batches[s % batches.length], { lrs: spec.lrs });
    if (s === 0) await t.setTrainable(['layers.0.*'], true);
  }
}

const hexOf = (entries) => Object.fromEntries(entries.map((e) => [e.name, Buffer.from(e.data).toString('hex')]));
const snapshot = async (t) => hexOf([...(await t.getState()), ...(await t.getOptimizerState())]);

async function main() {
  const out = {};
  for (const mask of [undefined, 'apply']) {
    const t = await build(mask);
    await run(t, 0, 4);
    out[mask ?? 'plain'] = await snapshot(t);
    await t.dispose();
  }
  // skip from a mid-run state (non-zero moments, diverged step counts)
  const mid = await build(undefined);
  await run(mid, 0, 2);
  const weights = await mid.getState();
  const state = await mid.getOptimizerState();
  await mid.dispose();
  out.mid = hexOf([...weights, ...state]);
  const skip = await build('skip');
  await skip.setState(weights);
  await skip.setOptimizerState(state);
  await run(skip, 2, 4);
  out.skipped = await snapshot(skip);
  await skip.dispose();
  // skip from the very first step
  const fresh = await build('skip');
  out.freshBefore = await snapshot(fresh);
  await run(fresh, 0, 1);
  out.freshAfter = await snapshot(fresh);
  await fresh.dispose();
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
