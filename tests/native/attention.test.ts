/**
 * Chunked attention equals full attention in values and gradients (fp32, relative error < 1e-5),
 * through the native attentionCheck hook (random q/k/v and upstream gradient), with and without
 * causal masking and padding, chunk sizes that do and do not divide the sequence; and at model
 * level: a transformer / gpt with ATTENTION_CHUNK_SIZE gives the same losses as without.
 * attentionBench (the benchmark's attention-only entry point) runs and returns one timing per iteration.
 */
import { attentionBench, createSession, loadNative } from '../../lib/native';
import type { NativeSessionOptions } from '../../lib/native';
import { describeNative, lmBatch, sequenceBatch } from './helpers';

describeNative('chunked attention', () => {
  it.each([
    { seqLen: 64, chunkSize: 16, causal: false, paddedKeys: 0 },
    { seqLen: 64, chunkSize: 16, causal: true, paddedKeys: 0 },
    { seqLen: 50, chunkSize: 7, causal: false, paddedKeys: 9 },
    { seqLen: 50, chunkSize: 7, causal: true, paddedKeys: 3 },
    { seqLen: 33, chunkSize: 1, causal: true, paddedKeys: 0 },
    { seqLen: 128, chunkSize: 32, causal: false, paddedKeys: 0, headDim: 32, heads: 4 },
  ])('equals full attention in values and gradients: %o', async (o) => {
    const r = await loadNative().attentionCheck({ batch: 2, heads: 2, headDim: 16, seed: 1, ...o });
    expect(r.outRelErr).toBeLessThan(1e-5);
    expect(r.dqRelErr).toBeLessThan(1e-5);
    expect(r.dkRelErr).toBeLessThan(1e-5);
    expect(r.dvRelErr).toBeLessThan(1e-5);
  });

  it('rejects bad check options with a coded Error', async () => {
    await expect(loadNative().attentionCheck({ chunkSize: 0 })).rejects.toMatchObject({ code: 'ERR_NATIVE_INVALID_ARG' });
  });

  it.each([
    ['transformer', { model: { type: 'transformer', task: 'classification', numClasses: 2, vocabSize: 8, dModel: 32, numHeads: 4, numLayers: 2, tokenLimit: 64, padTokenId: 0 } }, () => {
      const b = sequenceBatch(4, 24, 8, 5);
      (b.tokens as Int32Array).fill(0, 20, 24); // padding at the end of sample 0
      return b;
    }],
    ['gpt', { model: { type: 'gpt', vocabSize: 11, dModel: 32, numHeads: 4, numLayers: 2, tokenLimit: 64 } }, () => lmBatch(4, 25, 11, 5)],
  ] as Array<[string, NativeSessionOptions, () => ReturnType<typeof lmBatch>]>)('%s with ATTENTION_CHUNK_SIZE trains like full attention', async (_name, o, batch) => {
    const full = await createSession({ ...o, threads: 1, seed: 2 });
    const chunked = await createSession({ ...o, threads: 1, seed: 2, model: { ...o.model, attentionChunkSize: 5 } });
    try {
      for (let s = 0; s < 3; s++) {
        const a = await full.step(batch(), { lrs: { default: 1e-3 } });
        const b = await chunked.step(batch(), { lrs: { default: 1e-3 } });
        expect(Math.abs(a.loss! - b.loss!) / Math.abs(a.loss!)).toBeLessThan(1e-5);
        expect(Math.abs(a.gradNorm! - b.gradNorm!) / a.gradNorm!).toBeLessThan(1e-4);
      }
    } finally {
      await full.dispose();
      await chunked.dispose();
    }
  });

  it.each([
    { chunkSize: 0 },
    { chunkSize: 16, causal: true },
    { chunkSize: 16, recompute: false },
  ])('attentionBench runs forward + backward and returns iters timings: %o', async (o) => {
    const r = await attentionBench({ batch: 1, heads: 2, seqLen: 64, headDim: 8, threads: 1, iters: 3, seed: 1, ...o });
    for (const ms of [r.forwardMs, r.backwardMs]) {
      expect(ms).toHaveLength(3);
      for (const v of ms) expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(r.peakBytes).toBeNull(); // CPU
  });

  it('attentionBench rejects bad options with a coded Error (in TS first, and natively)', async () => {
    const base = { batch: 1, heads: 1, seqLen: 8, headDim: 4, chunkSize: 0 };
    await expect(attentionBench({ ...base, seqLen: 0 })).rejects.toMatchObject({ code: 'ERR_NATIVE_INVALID_ARG', message: expect.stringContaining('seqLen') });
    await expect(attentionBench({ ...base, chunkSize: -1 })).rejects.toMatchObject({ code: 'ERR_NATIVE_INVALID_ARG' });
    await expect(attentionBench({ ...base, iters: 0 })).rejects.toMatchObject({ code: 'ERR_NATIVE_INVALID_ARG' });
    await expect(attentionBench({ ...base, chunkSize: undefined } as never)).rejects.toMatchObject({ code: 'ERR_NATIVE_INVALID_ARG' });
    const addon = loadNative();
    await expect(addon.attentionBench({ ...base, iters: 0 })).rejects.toMatchObject({ code: 'ERR_NATIVE_INVALID_ARG' });
    await expect(addon.attentionBench({ ...base, headDim: 1.5 })).rejects.toMatchObject({ code: 'ERR_NATIVE_INVALID_ARG' });
    await expect(addon.attentionBench({ batch: 1 } as never)).rejects.toMatchObject({ code: 'ERR_NATIVE_INVALID_ARG' });
    await expect(addon.attentionBench({ ...base, device: 'tpu' as never })).rejects.toMatchObject({ code: 'ERR_NATIVE_INVALID_ARG' });
  });
});
