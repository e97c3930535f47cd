/**
 * The size check counts the parameters lib/native builds: for each model type the estimate equals
 * the session's own count exactly (so the refusal threshold is the real model's), and a model
 * past this machine's memory is refused before allocation with the estimate, unless forced.
 */
import { createSession } from '../../lib/native';
import type { NativeModelOptions, NativeSession } from '../../lib/native';
import { checkModelSize, formatBytes, parameterCount, trainingBytesPerParameter } from '../../lib/train/size-check';
import { describeNative } from './helpers';

const live: NativeSession[] = [];
afterAll(() => Promise.all(live.map((s) => s.dispose())));

const MODELS: Array<[string, NativeModelOptions]> = [
  ['mlp classification', { type: 'mlp', task: 'classification', inputDim: 7, numClasses: 3, hiddenSizes: [5, 11] }],
  ['mlp regression, no hidden layer', { type: 'mlp', task: 'regression', inputDim: 9, outputDim: 2, hiddenSizes: [] }],
  ['transformer with metadata and mlm head', { type: 'transformer', task: 'classification', vocabSize: 37, dModel: 16, numHeads: 2, numLayers: 2, ffDim: 24, tokenLimit: 12, numClasses: 4, metaDim: 3, maskedTokenHead: true }],
  ['transformer regression, default ff', { type: 'transformer', task: 'regression', vocabSize: 20, dModel: 8, numHeads: 2, numLayers: 1, tokenLimit: 6, outputDim: 1 }],
  ['gpt', { type: 'gpt', vocabSize: 50, dModel: 16, numHeads: 4, numLayers: 3, tokenLimit: 32 }],
];

describeNative('size check', () => {
  test.each(MODELS)('%s: parameterCount equals the session count', async (_name, model) => {
    const s = await createSession({ model, threads: 1 });
    live.push(s);
    const actual = (await s.parameters()).reduce((n, p) => n + p.numel, 0);
    expect(parameterCount(model)).toBe(actual);
  });

  test('a model whose training state exceeds memory is refused with the estimate; --force lets it through', () => {
    const model: NativeModelOptions = { type: 'mlp', task: 'classification', inputDim: 1000, numClasses: 10, hiddenSizes: [1000] };
    const params = parameterCount(model); // 1000*1000+1000 + 1000*10+10
    expect(params).toBe(1_011_010);
    expect(trainingBytesPerParameter({ name: 'adamw' })).toBe(16);
    expect(trainingBytesPerParameter({ name: 'sgd', momentum: 0 })).toBe(8);
    const options = { model, optimizer: { name: 'adamw' as const } };
    expect(() => checkModelSize(options, false, 16 * params)).not.toThrow();
    expect(() => checkModelSize(options, false, 16 * params - 1)).toThrow(
      `config error: MODEL.HIDDEN_SIZES: the model has 1,011,010 parameters; training them needs about ${formatBytes(16 * params)} (weights, gradients and optimizer state), more than this machine's ${formatBytes(16 * params - 1)} of memory: lower it, or pass --force to try anyway`,
    );
    expect(() => checkModelSize(options, true, 1)).not.toThrow();
  });

  test('formatBytes', () => {
    expect([0, 1023, 1024, 1536, 29.1 * 2 ** 40].map(formatBytes)).toEqual(['0 bytes', '1023 bytes', '1.00 KiB', '1.50 KiB', '29.1 TiB']);
  });
});
