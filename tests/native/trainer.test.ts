/**
 * The native session end to end on CPU: loss falls for each model, accumulation, evaluation
 * sums, save -> load round trips bit-exactly through the safetensors codec (and training resumes
 * identically), prefix loading of a stage-1 encoder, freezing, same seed -> same losses, and
 * every bad input arriving as a coded JS Error. Skipped cleanly when the addon is not built.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { types } from 'util';

import { decodeSafetensors, encodeSafetensors, readSafetensorsFile, writeSafetensorsFile } from '../../lib/checkpoint/safetensors';
import { createSession, loadNative } from '../../lib/native';
import type { NativeBatch, NativeSession, NativeSessionOptions, TensorEntry } from '../../lib/native';
import { classificationBatch, describeNative, lmBatch, maskedBatch, regressionBatch, sequenceBatch } from './helpers';

const live: NativeSession[] = [];
async function make(o: NativeSessionOptions): Promise<NativeSession> {
  const t = await createSession({ threads: 1, ...o });
  live.push(t);
  return t;
}
afterAll(() => Promise.all(live.map((t) => t.dispose())));

async function train(t: NativeSession, batches: NativeBatch[], steps: number, lr: number, groups = ['default']): Promise<number[]> {
  const lrs = Object.fromEntries(groups.map((g) => [g, lr]));
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const r = await t.step(batches[s % batches.length], { lrs });
    losses.push(r.loss as number);
  }
  return losses;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const mlpOpts: NativeSessionOptions = { model: { type: 'mlp', task: 'classification', inputDim: 6, numClasses: 3, hiddenSizes: [32, 32] }, seed: 7 };
const seqOpts: NativeSessionOptions = {
  model: { type: 'transformer', task: 'classification', numClasses: 2, vocabSize: 8, dModel: 32, numHeads: 4, numLayers: 2, tokenLimit: 32 },
  seed: 3,
};
const gptOpts: NativeSessionOptions = { model: { type: 'gpt', vocabSize: 11, dModel: 32, numHeads: 4, numLayers: 2, tokenLimit: 32 }, seed: 5 };

describeNative('native session: learning', () => {
  it('mlp classification: loss falls and accuracy rises', async () => {
    const t = await make(mlpOpts);
    const batches = [0, 1, 2, 3].map((i) => classificationBatch(64, 6, 3, i));
    const losses = await train(t, batches, 120, 3e-3);
    expect(mean(losses.slice(-8))).toBeLessThan(0.5 * mean(losses.slice(0, 8)));
    const ev = await t.evaluate(classificationBatch(256, 6, 3, 99));
    expect(ev.kind).toBe('classification');
    expect(ev.count).toBe(256);
    expect(ev.correct! / ev.count).toBeGreaterThan(0.8);
    expect(ev.loss).toBeCloseTo(ev.lossSum / ev.count, 10);
  });

  it('mlp regression with SGD + nesterov: loss falls; eval returns MAE / RMSE / R² sums', async () => {
    const t = await make({ model: { type: 'mlp', task: 'regression', inputDim: 5, hiddenSizes: [32] }, optimizer: { name: 'sgd', momentum: 0.9, nesterov: true }, seed: 1 });
    const batches = [0, 1, 2].map((i) => regressionBatch(64, 5, i));
    const losses = await train(t, batches, 150, 2e-2);
    expect(mean(losses.slice(-5))).toBeLessThan(0.2 * mean(losses.slice(0, 5)));
    const ev = await t.evaluate(regressionBatch(128, 5, 42));
    expect(ev.kind).toBe('regression');
    expect(ev.valueCount).toBe(128);
    const n = ev.valueCount!;
    const sst = ev.targetSqSum! - (ev.targetSum! * ev.targetSum!) / n;
    expect(1 - ev.sqErrorSum! / sst).toBeGreaterThan(0.8); // R²
    expect(ev.absErrorSum! / n).toBeGreaterThan(0);
  });

  it('transformer: supervised loss falls (with chunked attention and metadata)', async () => {
    const t = await make({ ...seqOpts, model: { ...seqOpts.model, attentionChunkSize: 4, metaDim: 2 } });
    const batches = [0, 1, 2, 3].map((i) => {
      const b = sequenceBatch(32, 12, 8, i);
      return { ...b, meta: new Float32Array(64).fill(0.5), metaMask: new Float32Array(64).fill(1) };
    });
    const losses = await train(t, batches, 80, 3e-3);
    expect(mean(losses.slice(-8))).toBeLessThan(0.6 * mean(losses.slice(0, 8)));
  });

  it('transformer: masked metadata has no effect on the prediction; kept metadata does', async () => {
    const t = await make({ ...seqOpts, model: { ...seqOpts.model, task: 'regression', outputDim: 2, metaDim: 3 } });
    const base = sequenceBatch(4, 8, 8, 1);
    const labels = new Float32Array(8).fill(0.5);
    const metaA = new Float32Array(12).fill(1);
    const metaB = new Float32Array(12).fill(-3);
    const masked = new Float32Array(12).fill(0);
    const kept = new Float32Array(12).fill(1);
    const ev = (meta: Float32Array, metaMask: Float32Array) => t.evaluate({ ...base, labels, meta, metaMask });
    expect((await ev(metaA, masked)).lossSum).toBe((await ev(metaB, masked)).lossSum);
    expect((await ev(metaA, kept)).lossSum).not.toBe((await ev(metaB, kept)).lossSum);
    const r = await t.step({ ...base, labels, meta: metaA, metaMask: kept }, { lrs: { default: 1e-3 } });
    expect(Number.isFinite(r.loss)).toBe(true);
  });

  it('transformer: masked-token (stage-1) loss falls; evaluate counts only masked tokens', async () => {
    const t = await make(seqOpts);
    const batches = [0, 1, 2].map((i) => maskedBatch(16, 16, 8, i));
    const losses = await train(t, batches, 60, 3e-3);
    expect(mean(losses.slice(-5))).toBeLessThan(0.5 * mean(losses.slice(0, 5)));
    const ev = await t.evaluate(maskedBatch(16, 16, 8, 9));
    expect(ev.kind).toBe('tokens');
    expect(ev.count).toBe(16 * 4);
  });

  it('gpt: causal LM loss falls (chunked attention); perplexity = exp(loss)', async () => {
    const t = await make({ ...gptOpts, model: { ...gptOpts.model, attentionChunkSize: 5 } });
    const batches = [0, 1, 2].map((i) => lmBatch(16, 17, 11, i));
    const losses = await train(t, batches, 60, 3e-3);
    expect(mean(losses.slice(-5))).toBeLessThan(0.3 * mean(losses.slice(0, 5)));
    const ev = await t.evaluate(lmBatch(8, 17, 11, 77));
    expect(ev.count).toBe(8 * 16);
    expect(Math.exp(ev.loss)).toBeLessThan(3);
  });

  it('bf16 autocast trains on CPU (chunked attention)', async () => {
    const t = await make({ ...gptOpts, precision: 'bf16', model: { ...gptOpts.model, attentionChunkSize: 4 } });
    const batches = [0, 1].map((i) => lmBatch(8, 17, 11, i));
    const losses = await train(t, batches, 30, 3e-3);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)));
  });

  it('accumulation over A micro-batches equals one step on their concatenation (equal sizes)', async () => {
    const a = await make(mlpOpts);
    const b = await make(mlpOpts);
    const b1 = classificationBatch(16, 6, 3, 1);
    const b2 = classificationBatch(16, 6, 3, 2);
    const joined: NativeBatch = {
      batchSize: 32,
      features: Float32Array.from([...(b1.features as Float32Array), ...(b2.features as Float32Array)]),
      labels: Int32Array.from([...(b1.labels as Int32Array), ...(b2.labels as Int32Array)]),
    };
    const ra = await a.step([b1, b2], { lrs: { default: 1e-2 } });
    const rb = await b.step(joined, { lrs: { default: 1e-2 } });
    expect(ra.loss!).toBeCloseTo(rb.loss!, 5);
    expect(ra.gradNorm!).toBeCloseTo(rb.gradNorm!, 5);
    const sa = await a.getState();
    const sb = await b.getState();
    for (let i = 0; i < sa.length; i++) {
      const x = new Float32Array(sa[i].data.slice().buffer);
      const y = new Float32Array(sb[i].data.slice().buffer);
      for (let j = 0; j < x.length; j++) expect(Math.abs(x[j] - y[j])).toBeLessThan(1e-5);
    }
  });

  it('BigInt64Array tokens / labels give the same losses as Int32Array', async () => {
    const b32 = sequenceBatch(8, 10, 8, 3);
    const b64: NativeBatch = {
      batchSize: 8,
      tokens: BigInt64Array.from(b32.tokens as Int32Array, (v) => BigInt(v)),
      labels: BigInt64Array.from(b32.labels as Int32Array, (v) => BigInt(v)),
    };
    expect(await train(await make(seqOpts), [b64], 3, 1e-3)).toEqual(await train(await make(seqOpts), [b32], 3, 1e-3));
  });

  it("onNonFinite 'skip': a non-finite gradient never reaches the weights; the next step trains", async () => {
    const t = await make(mlpOpts);
    const b = classificationBatch(8, 6, 3, 0);
    const before = await t.getState();
    const bad = { ...b, features: (b.features as Float32Array).slice() };
    bad.features![0] = NaN;
    const r = await t.step(bad, { lrs: { default: 1e-2 } });
    expect(r).toMatchObject({ nonFinite: true, halted: false, step: 0 });
    expect(Number.isNaN(r.gradNorm)).toBe(true);
    const after = await t.getState();
    for (let i = 0; i < before.length; i++) expect(Buffer.from(after[i].data).equals(Buffer.from(before[i].data))).toBe(true);
    expect(await t.step(b, { lrs: { default: 1e-2 }, onNonFinite: 'skip' })).toMatchObject({ nonFinite: false, step: 1 });
  });

  it("onNonFinite 'halt': steps queued behind a bad one change nothing until clearHalt()", async () => {
    const t = await make(mlpOpts);
    const b = classificationBatch(8, 6, 3, 0);
    const bad = { ...b, features: (b.features as Float32Array).slice() };
    bad.features![3] = Infinity;
    await t.step(b, { lrs: { default: 1e-2 } });
    const before = await t.getState();
    // submitted together, as a pipelined loop does: the good steps after the bad one are masked
    const rs = await Promise.all([t.step(bad, { lrs: { default: 1e-2 }, onNonFinite: 'halt' }), t.step(b, { lrs: { default: 1e-2 }, onNonFinite: 'halt' }), t.step(b, { lrs: { default: 1e-2 } })]);
    expect(rs.map((r) => [r.nonFinite, r.halted, r.step])).toEqual([[true, false, 1], [null, true, 1], [null, true, 1]]);
    const after = await t.getState();
    for (let i = 0; i < before.length; i++) expect(Buffer.from(after[i].data).equals(Buffer.from(before[i].data))).toBe(true);
    await t.clearHalt();
    expect(await t.step(b, { lrs: { default: 1e-2 } })).toMatchObject({ nonFinite: false, halted: false, step: 2 });
  });

  it('readLoss: false still steps', async () => {
    const t = await make(mlpOpts);
    const r = await t.step(classificationBatch(8, 6, 3, 0), { lrs: { default: 1e-3 }, readLoss: false });
    // CPU reads the loss anyway (it costs nothing there); CUDA would return nulls
    expect(r).toMatchObject({ halted: false, step: 1 });
    expect(r.timing.prepareMs).toBeGreaterThanOrEqual(0);
  });
});

describeNative('native session: reproducibility and state', () => {
  it('the same seed gives the same losses bit for bit (dropout on)', async () => {
    const o: NativeSessionOptions = { ...seqOpts, model: { ...seqOpts.model, dropout: 0.1 } };
    const batches = [0, 1].map((i) => sequenceBatch(8, 10, 8, i));
    const l1 = await train(await make(o), batches, 6, 1e-3);
    const l2 = await train(await make(o), batches, 6, 1e-3);
    expect(l2).toEqual(l1);
    const l3 = await train(await make({ ...o, seed: 4 }), batches, 6, 1e-3);
    expect(l3).not.toEqual(l1);
  });

  it('save -> safetensors -> load round-trips weights, optimizer state and RNG; training continues identically', async () => {
    const o: NativeSessionOptions = { ...gptOpts, model: { ...gptOpts.model, dropout: 0.1 } };
    const batches = [0, 1, 2].map((i) => lmBatch(8, 17, 11, i));
    const ref = await make(o);
    await train(ref, batches, 4, 1e-3);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-'));
    const model = await ref.getState();
    const optim = await ref.getOptimizerState();
    writeSafetensorsFile(path.join(dir, 'model.safetensors'), { tensors: model, metadata: { format: 'pt' } });
    writeSafetensorsFile(path.join(dir, 'optimizer.safetensors'), { tensors: optim });
    const rngState = (await ref.getRngState());
    const refLosses = await train(ref, batches.slice(1).concat(batches[0]), 4, 1e-3);

    const restored = await make({ ...o, seed: 999 }); // different init: everything must come from the files
    const m2 = readSafetensorsFile(path.join(dir, 'model.safetensors')).tensors as TensorEntry[];
    const loaded = await restored.setState(m2, { strict: true });
    expect(loaded.length).toBe(model.length);
    await restored.setOptimizerState(readSafetensorsFile(path.join(dir, 'optimizer.safetensors')).tensors as TensorEntry[]);
    await restored.setRngState(rngState);
    // bit-exact weights and optimizer state after the round trip
    const back = await restored.getState();
    for (let i = 0; i < model.length; i++) expect(Buffer.from(back[i].data).equals(Buffer.from(model[i].data))).toBe(true);
    const optBack = await restored.getOptimizerState();
    expect(encodeSafetensors({ tensors: optBack }).equals(encodeSafetensors({ tensors: optim }))).toBe(true);
    const resumed = await train(restored, batches.slice(1).concat(batches[0]), 4, 1e-3);
    expect(resumed).toEqual(refLosses);
    expect((await restored.step(batches[0], { lrs: { default: 0 } })).step).toBe(9);
    fs.rmSync(dir, { recursive: true });
  });

  it('loads a stage-1 encoder by prefix into a stage-2 model; strict loading reports missing / unknown names', async () => {
    const stage1 = await make(seqOpts);
    await train(stage1, [maskedBatch(8, 12, 8, 1)], 3, 1e-3);
    const enc = await stage1.getState('encoder.');
    expect(enc.every((e) => e.name.startsWith('encoder.'))).toBe(true);
    const stage2 = await make({ ...seqOpts, seed: 11, model: { ...seqOpts.model, maskedTokenHead: false } });
    const full = decodeSafetensors(encodeSafetensors({ tensors: await stage1.getState() })).tensors as TensorEntry[];
    const loaded = await stage2.setState(full, { prefix: 'encoder.', strict: true });
    expect(loaded.sort()).toEqual(enc.map((e) => e.name).sort());
    const after = await stage2.getState('encoder.');
    for (const e of after) expect(Buffer.from(e.data).equals(Buffer.from(enc.find((x) => x.name === e.name)!.data))).toBe(true);
    await expect(stage2.setState(full, { strict: true })).rejects.toThrow(/unexpected entry 'mlm_head/);
    await expect(stage2.setState(enc, { strict: true })).rejects.toThrow(/missing entry 'head\./);
    const bad = [{ ...enc[0], shape: [1, enc[0].data.length / 4] }];
    await expect(stage2.setState(bad, { strict: false })).rejects.toMatchObject({ code: 'ERR_NATIVE_INVALID_ARG' });
  });

  it('frozen parameters do not change and leave the optimizer; unfreezing trains them again', async () => {
    const t = await make({ ...seqOpts, groups: [{ name: 'encoder', patterns: ['encoder.*'] }, { name: 'head', patterns: ['head.*', 'mlm_head.*'], weightDecay: 0 }] });
    const params = (await t.parameters());
    expect(params.find((p) => p.name === 'encoder.layers.0.attn.q_proj.weight')?.group).toBe('encoder');
    expect(params.find((p) => p.name === 'head.weight')?.group).toBe('head');
    expect((await t.setTrainable(['encoder.*'], false))).toBeGreaterThan(0);
    expect((await t.parameters()).filter((p) => p.name.startsWith('encoder.')).every((p) => !p.trainable)).toBe(true);
    const before = await t.getState('encoder.');
    const headBefore = await t.getState('head.');
    await train(t, [sequenceBatch(8, 10, 8, 1)], 3, 1e-2, ['encoder', 'head', 'default']);
    const after = await t.getState('encoder.');
    for (let i = 0; i < before.length; i++) expect(Buffer.from(after[i].data).equals(Buffer.from(before[i].data))).toBe(true);
    const headAfter = await t.getState('head.');
    expect(Buffer.from(headAfter[0].data).equals(Buffer.from(headBefore[0].data))).toBe(false);
    expect((await t.getOptimizerState()).some((e) => e.name.startsWith('encoder.'))).toBe(false);
    (await t.setTrainable(['encoder.*'], true));
    await train(t, [sequenceBatch(8, 10, 8, 1)], 1, 1e-2, ['encoder', 'head', 'default']);
    const unfrozen = await t.getState('encoder.');
    expect(Buffer.from(unfrozen[0].data).equals(Buffer.from(before[0].data))).toBe(false);
  });

  it('parameter names follow PyTorch conventions; memoryStats counts bytes', async () => {
    const t = await make(gptOpts);
    const names = (await t.parameters()).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['encoder.embed.weight', 'encoder.pos_embed.weight', 'encoder.layers.1.attn.out_proj.bias', 'encoder.layers.0.ff.fc1.weight', 'encoder.ln_f.weight', 'lm_head.weight']));
    const numel = (await t.parameters()).reduce((a, p) => a + p.numel, 0);
    await t.step(lmBatch(4, 9, 11, 0), { lrs: { default: 1e-3 } });
    const m = (await t.memoryStats());
    expect(m.device).toBe('cpu');
    expect(m.parameterBytes).toBe(numel * 4);
    expect(m.optimizerStateBytes).toBe(numel * 8);
    expect(m.allocatedBytes).toBeNull();
    await t.emptyCache();
    expect(t.device).toBe('cpu');
  });
});

describeNative('native session: errors arrive as Errors', () => {
  const lrs = { default: 1e-3 };
  it('async errors carry the caller\'s stack', async () => {
    const t = await make(mlpOpts);
    const err = await t.step({ batchSize: 2, features: new Float32Array(3) }, { lrs }).catch((e: Error) => e);
    expect(types.isNativeError(err)).toBe(true); // a real Error (from the main realm, hence no instanceof)
    expect((err as Error).stack).toMatch(/trainer\.test\.ts/);
  });

  it('bad shapes and dtypes', async () => {
    const t = await make(mlpOpts);
    const b = classificationBatch(8, 6, 3, 0);
    await expect(t.step({ ...b, features: new Float32Array(8 * 5) }, { lrs })).rejects.toMatchObject({ code: 'ERR_NATIVE_INVALID_ARG', message: expect.stringMatching(/features has shape \[8, 5\], expected \[8, 6\]/) });
    await expect(t.step({ ...b, features: new Float32Array(7) }, { lrs })).rejects.toThrow(/multiple of batchSize/);
    await expect(t.step({ ...b, labels: new Int32Array(8).fill(3) }, { lrs })).rejects.toThrow(/labels\[0\] = 3 is outside \[0, 3\)/);
    await expect(t.step({ ...b, features: new Float64Array(48) as unknown as Float32Array }, { lrs })).rejects.toThrow(/Float32Array/);
    await expect(t.step({ batchSize: 8, labels: b.labels }, { lrs })).rejects.toThrow(/need `features`/);
  });

  it('unknown group, missing group, NaN / negative lr', async () => {
    const t = await make({ ...mlpOpts, groups: [{ name: 'head', patterns: ['head.*'] }] });
    const b = classificationBatch(8, 6, 3, 0);
    await expect(t.step(b, { lrs: { head: 1e-3, default: 1e-3, nope: 1 } })).rejects.toThrow(/unknown parameter group 'nope'/);
    await expect(t.step(b, { lrs: { head: 1e-3 } })).rejects.toThrow(/missing parameter group 'default'/);
    await expect(t.step(b, { lrs: { head: NaN, default: 1e-3 } })).rejects.toMatchObject({ code: 'ERR_NATIVE_INVALID_ARG' });
    await expect(t.step(b, { lrs: { head: -1, default: 1e-3 } })).rejects.toThrow(/finite number >= 0/);
    // the native layer checks too, without the TypeScript wrapper in front
    const raw = new (loadNative().NativeSession)({ ...mlpOpts, groups: [{ name: 'head', patterns: ['head.*'] }] });
    await raw.ready();
    await expect(raw.step(b, { lrs: { head: NaN, default: 1e-3 } })).rejects.toMatchObject({ code: 'ERR_NATIVE_INVALID_ARG', message: expect.stringMatching(/lrs\['head'\] must be a finite number/) });
    await expect(raw.step(b, { lrs: { head: 1e-3, default: 1e-3, x: 1 } })).rejects.toThrow(/unknown parameter group 'x'/);
    await expect(new (loadNative().NativeSession)({ model: { type: 'mlp', inputDim: 0, numClasses: 2 } }).ready()).rejects.toThrow(/inputDim must be >= 1/);
    await raw.dispose();
  });

  it('token limit, bad tokens, use after dispose, bad options', async () => {
    const t = await make(seqOpts);
    await expect(t.step(sequenceBatch(2, 40, 8, 0), { lrs })).rejects.toThrow(/exceeds MODEL.TOKEN_LIMIT \(32\)/);
    const g = await make(gptOpts); // tokenLimit 32: 33 tokens = 32 inputs + 1 target is fine, 34 is not
    await expect(g.step(lmBatch(2, 33, 11, 0), { lrs })).resolves.toMatchObject({ step: 1 });
    await expect(g.step(lmBatch(2, 34, 11, 0), { lrs })).rejects.toThrow(/exceeds MODEL.TOKEN_LIMIT \(32 \+ 1 target token\)/);
    await expect(t.step({ batchSize: 1, tokens: new Int32Array([1, 99]), labels: new Int32Array([0]) }, { lrs })).rejects.toThrow(/tokens\[1\] = 99/);
    await t.dispose();
    await expect(t.step(sequenceBatch(2, 8, 8, 0), { lrs })).rejects.toMatchObject({ code: 'ERR_NATIVE_DISPOSED' });
    await expect(t.parameters()).rejects.toThrow(/disposed/);
    expect(t.isDisposed()).toBe(true);
    await t.dispose(); // idempotent
    await expect(createSession({ model: { type: 'transformer', vocabSize: 8, dModel: 30, numHeads: 4, numClasses: 2 } })).rejects.toThrow(/must divide/);
    await expect(createSession({ model: { type: 'mlp', inputDim: 3, numClasses: 2 }, device: 'tpu' as 'cpu' })).rejects.toThrow(/device/);
    if (!cuda) await expect(createSession({ model: { type: 'mlp', inputDim: 3, numClasses: 2 }, device: 'cuda' })).rejects.toThrow(/CUDA is not available/);
  });

  it('an allocation that cannot succeed is ERR_NATIVE_OOM with the seed-003 suggestions', async () => {
    // 4 TB of weights
    const err: unknown = await createSession({ model: { type: 'mlp', inputDim: 1_000_000, numClasses: 2, hiddenSizes: [1_000_000] } }).catch((e: unknown) => e);
    expect(types.isNativeError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'ERR_NATIVE_OOM' });
    const msg = (err as Error).message;
    for (const hint of ['BATCH_SIZE', 'ACCUMULATION_STEPS', 'TOKEN_LIMIT', 'ATTENTION_CHUNK_SIZE', 'expandable_segments']) expect(msg).toContain(hint);
  });

  it('a step and dispose issued together: the step runs first (call order), then the session is gone', async () => {
    const t = await make(mlpOpts);
    const p = t.step(classificationBatch(8, 6, 3, 0), { lrs });
    const d = t.dispose();
    expect((await p).step).toBe(1);
    await d;
    await expect(t.getState()).rejects.toMatchObject({ code: 'ERR_NATIVE_DISPOSED' });
  });
});

// GPU cases run only where CUDA is available to the addon.
const cuda = (() => {
  try {
    return require('../../lib/native').isNativeAvailable() && process.env.TRAIN_NATIVE_TEST_CUDA === '1';
  } catch {
    return false;
  }
})() as boolean;
(cuda ? describe : describe.skip)('native session on CUDA', () => {
  it('trains a gpt with bf16 and reports allocator stats', async () => {
    const t = await make({ ...gptOpts, device: 'cuda', precision: 'bf16', expandableSegments: true });
    const losses = await train(t, [lmBatch(8, 17, 11, 0)], 20, 3e-3);
    expect(losses[19]).toBeLessThan(losses[0]);
    expect((await t.memoryStats()).allocatedBytes).toBeGreaterThan(0);
    await t.emptyCache();
  });
});
