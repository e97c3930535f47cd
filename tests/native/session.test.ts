/**
 * The session's execution model: data uploaded once and batches named by row indices train
 * exactly like the same rows carried inline (mixup, meta masks and stage-1 token masks applied
 * on the device give the TypeScript reference's values); steps submitted without waiting
 * (pipelined) give the results of awaiting each; building the model does not block the event
 * loop; bad indexed batches are coded errors.
 */
import { createSession } from '../../lib/native';
import type { IndexedBatch, NativeBatch, NativeSession, NativeSessionOptions, TensorEntry } from '../../lib/native';
import { classificationBatch, describeNative, regressionBatch, rng, sequenceBatch } from './helpers';

const live: NativeSession[] = [];
async function make(o: NativeSessionOptions): Promise<NativeSession> {
  const s = await createSession({ threads: 1, ...o });
  live.push(s);
  return s;
}
afterAll(() => Promise.all(live.map((s) => s.dispose())));

const lrs = { default: 1e-2 };

function sameState(a: TensorEntry[], b: TensorEntry[]): void {
  expect(a.map((e) => e.name)).toEqual(b.map((e) => e.name));
  for (let i = 0; i < a.length; i++) expect(Buffer.from(a[i].data).equals(Buffer.from(b[i].data))).toBe(true);
}

/** Rows `idx` of a [count, width] row-major array. */
function rows<T extends Float32Array | Int32Array>(a: T, width: number, idx: Int32Array): T {
  const out = new (a.constructor as { new (n: number): T })(idx.length * width);
  idx.forEach((r, k) => out.set(a.subarray(r * width, (r + 1) * width), k * width));
  return out;
}

/** The TypeScript reference arithmetic of lib/data/mixup.ts: double precision, rounded once to float32. */
function mixRef(values: Float32Array, width: number, members: Int32Array, partners: Int32Array, lambda: number): Float32Array {
  const out = values.slice();
  members.forEach((r, k) => {
    const p = partners[k];
    for (let j = 0; j < width; j++) out[r * width + j] = lambda * values[r * width + j] + (1 - lambda) * values[p * width + j];
  });
  return out;
}

function indices(n: number, count: number, seed: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(r() * count));
}

describeNative('native session: uploaded data and indexed batches', () => {
  it('mlp: indexed steps and evaluation equal the same rows carried inline, bit for bit', async () => {
    const o: NativeSessionOptions = { model: { type: 'mlp', inputDim: 6, numClasses: 3, hiddenSizes: [16] }, seed: 4 };
    const data = classificationBatch(100, 6, 3, 1);
    const a = await make(o);
    const b = await make(o);
    await a.setData('train', { count: 100, features: data.features, labels: data.labels });
    for (let s = 0; s < 5; s++) {
      const idx = [indices(16, 100, s), indices(16, 100, s + 50)];
      const ra = await a.step(idx.map((i): IndexedBatch => ({ split: 'train', indices: i })), { lrs });
      const inline = idx.map((i): NativeBatch => ({ batchSize: 16, features: rows(data.features as Float32Array, 6, i), labels: rows(data.labels as Int32Array, 1, i) }));
      const rb = await b.step(inline, { lrs });
      expect(ra.loss).toBe(rb.loss);
      expect(ra.gradNorm).toBe(rb.gradNorm);
    }
    sameState(await a.getState(), await b.getState());
    const all = Int32Array.from({ length: 100 }, (_, i) => i);
    expect(await a.evaluate({ split: 'train', indices: all })).toEqual(await b.evaluate(data));
  });

  it('regression mixup on the device gives the TypeScript reference values (features and targets)', async () => {
    const o: NativeSessionOptions = { model: { type: 'mlp', task: 'regression', inputDim: 5, hiddenSizes: [8] }, seed: 2 };
    const data = regressionBatch(40, 5, 3);
    const a = await make(o);
    const b = await make(o);
    await a.setData('train', { count: 40, features: data.features, labels: data.labels });
    const idx = indices(12, 40, 9);
    const members = Int32Array.from([0, 3, 5, 7, 11]);
    const partners = Int32Array.from([5, 0, 11, 3, 7]);
    const lambda = 0.3137;
    const ra = await a.step({ split: 'train', indices: idx, mixup: { members, partners, lambda } }, { lrs });
    const features = mixRef(rows(data.features as Float32Array, 5, idx), 5, members, partners, lambda);
    const labels = mixRef(rows(data.labels as Float32Array, 1, idx), 1, members, partners, lambda);
    const rb = await b.step({ batchSize: 12, features, labels }, { lrs });
    expect(ra.loss).toBe(rb.loss);
    sameState(await a.getState(), await b.getState());
  });

  it('transformer: meta masks and stage-1 token masks on indexed rows equal the inline batches', async () => {
    const o: NativeSessionOptions = {
      model: { type: 'transformer', numClasses: 2, vocabSize: 9, dModel: 16, numHeads: 2, numLayers: 1, tokenLimit: 16, metaDim: 2 },
      seed: 6,
    };
    const seq = sequenceBatch(30, 10, 8, 2);
    const meta = Float32Array.from({ length: 60 }, (_, i) => (i % 7) / 7);
    const a = await make(o);
    const b = await make(o);
    await a.setData('train', { count: 30, tokens: seq.tokens, labels: seq.labels, meta });
    const idx = indices(8, 30, 4);
    const metaMask = Float32Array.from({ length: 16 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const tokens = rows(seq.tokens as Int32Array, 10, idx);
    const inline: NativeBatch = { batchSize: 8, tokens, labels: rows(seq.labels as Int32Array, 1, idx), meta: rows(meta, 2, idx), metaMask };
    expect((await a.step({ split: 'train', indices: idx, metaMask }, { lrs })).loss).toBe((await b.step(inline, { lrs })).loss);

    const tokenMask = Uint8Array.from({ length: 80 }, (_, i) => (i % 4 === 1 ? 1 : 0));
    const masked = tokens.map((t, i) => (tokenMask[i] ? 8 : t));
    const targets = tokens.map((t, i) => (tokenMask[i] ? t : -100));
    const ra = await a.step({ split: 'train', indices: idx, objective: 'masked_tokens', tokenMask, maskTokenId: 8 }, { lrs });
    const rb = await b.step({ batchSize: 8, tokens: masked, targets, objective: 'masked_tokens' }, { lrs });
    expect(ra.loss).toBe(rb.loss);
    sameState(await a.getState(), await b.getState());
  });

  it('bad indexed batches are coded errors naming the field', async () => {
    const s = await make({ model: { type: 'mlp', inputDim: 6, numClasses: 3 }, seed: 1 });
    const data = classificationBatch(10, 6, 3, 1);
    await expect(s.step({ split: 'train', indices: Int32Array.from([0]) }, { lrs })).rejects.toThrow(/no data was uploaded for split 'train'/);
    await s.setData('train', { count: 10, features: data.features, labels: data.labels });
    await expect(s.step({ split: 'train', indices: Int32Array.from([0, 10]) }, { lrs })).rejects.toMatchObject({ code: 'ERR_NATIVE_INVALID_ARG', message: expect.stringMatching(/indices\[1\] = 10 is outside \[0, 10\)/) });
    await expect(s.step({ split: 'train', indices: Int32Array.from([0, 1]), mixup: { members: Int32Array.from([0]), partners: Int32Array.from([2]), lambda: 0.5 } }, { lrs })).rejects.toThrow(/mixup.partners\[0\] = 2 is outside \[0, 2\)/);
    await expect(s.setData('val', { count: 10, features: new Float32Array(50), labels: data.labels })).rejects.toThrow(/data.features has shape \[10, 5\], expected \[10, 6\]/);
    await expect(s.setData('val', { count: 10, features: data.features, labels: new Int32Array(10).fill(3) })).rejects.toThrow(/data.labels\[0\] = 3/);
  });
});

describeNative('native session: the execution model', () => {
  it('steps submitted without waiting (pipelined) equal steps awaited one by one', async () => {
    const o: NativeSessionOptions = { model: { type: 'mlp', inputDim: 6, numClasses: 3, hiddenSizes: [16, 16] }, seed: 8 };
    const batches = [0, 1, 2, 3].map((i) => classificationBatch(16, 6, 3, i));
    const a = await make(o);
    const b = await make(o);
    const piped = await Promise.all(Array.from({ length: 12 }, (_, s) => a.step(batches[s % 4], { lrs })));
    const awaited = [];
    for (let s = 0; s < 12; s++) awaited.push(await b.step(batches[s % 4], { lrs }));
    expect(piped.map((r) => [r.loss, r.step])).toEqual(awaited.map((r) => [r.loss, r.step]));
    sameState(await a.getState(), await b.getState());
  });

  it('building a model runs on the session thread: the event loop keeps turning meanwhile', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    // ~100 MB of weights to initialise: long enough for the timer to fire if the loop is free
    const s = await make({ model: { type: 'mlp', inputDim: 2048, numClasses: 2, hiddenSizes: [4096, 4096] }, seed: 1 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    expect(s.device).toBe('cpu');
  });
});
