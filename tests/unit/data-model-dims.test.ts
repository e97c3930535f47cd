/** inferModelDims (lib/data/model-dims.ts). */
import { ArrayDataset } from '../../lib/data/array-dataset';
import { inferModelDims } from '../../lib/data/model-dims';
import { expectError } from '../fixtures/data/helpers';
import { makeConfig } from './helpers/make-config';

const features = (labels: number[], width = 3): ArrayDataset =>
  new ArrayDataset({ size: labels.length, kind: 'features', width, features: new Float32Array(labels.length * width), labelKind: 'class', labels: Int32Array.from(labels), metaComponents: [{ name: 'T', offset: 0, width: 2 }], meta: new Float32Array(labels.length * 2) });
const tokens = (ids: number[], labels?: number[]): ArrayDataset =>
  new ArrayDataset({ size: 1, kind: 'tokens', width: ids.length, tokens: Int32Array.from(ids), labelKind: labels ? 'class' : 'none', labels: labels ? Int32Array.from(labels) : undefined, metaComponents: [] });

describe('inferModelDims', () => {
  test('mlp classification: from the data; numClasses = max over both splits', () => {
    expect(inferModelDims(makeConfig(), features([0, 1]), features([0, 4]))).toEqual({ inputDim: 3, numClasses: 5, metaDim: 2 });
    expect(inferModelDims(makeConfig(), features([0, 1]), null)).toEqual({ inputDim: 3, numClasses: 2, metaDim: 2 });
  });

  test('config values win when set', () => {
    expect(inferModelDims(makeConfig({ MODEL: { NUM_CLASSES: 10, INPUT_DIM: 3 } }), features([0, 1]), null)).toEqual({ inputDim: 3, numClasses: 10, metaDim: 2 });
    expectError(() => inferModelDims(makeConfig({ MODEL: { NUM_CLASSES: 3 } }), features([0, 1]), features([3])), 'DataError', 'MODEL.NUM_CLASSES: is 3 but the data has class label 3');
  });

  test('gpt: vocabulary and sequence length; no labels needed', () => {
    expect(inferModelDims(makeConfig({ MODEL: { TYPE: 'gpt' } }), tokens([1, 5, 2]), tokens([9, 0, 0]))).toEqual({ vocabSize: 10, seqLen: 3, metaDim: 0 });
    expect(inferModelDims(makeConfig({ MODEL: { TYPE: 'gpt', VOCAB_SIZE: 64 } }), tokens([1, 5, 2]), null)).toEqual({ vocabSize: 64, seqLen: 3, metaDim: 0 });
  });

  test('transformer classifier', () => {
    expect(inferModelDims(makeConfig({ MODEL: { TYPE: 'transformer' } }), tokens([1, 2], [3]), null)).toEqual({ vocabSize: 3, seqLen: 2, numClasses: 4, metaDim: 0 });
  });

  test('model type and data kind must match', () => {
    expectError(() => inferModelDims(makeConfig({ DATA: { SOURCE: 'synthetic:language' } }), tokens([1]), null), 'ConfigError', 'config error: MODEL.TYPE: mlp needs feature vectors but DATA.SOURCE synthetic:language gives token sequences');
    expectError(() => inferModelDims(makeConfig({ MODEL: { TYPE: 'gpt' } }), features([0]), null), 'ConfigError', 'MODEL.TYPE: gpt needs token sequences but DATA.SOURCE synthetic:classification gives feature vectors');
  });

  test('task and labels must match', () => {
    expectError(() => inferModelDims(makeConfig({ MODEL: { TASK: 'regression' } }), features([0]), null), 'ConfigError', 'MODEL.TASK: regression needs regression targets but DATA.SOURCE synthetic:classification gives class labels');
    expectError(() => inferModelDims(makeConfig({ MODEL: { TYPE: 'transformer' }, DATA: { SOURCE: 'tokens' } }), tokens([1]), null), 'ConfigError', 'classification needs class labels but DATA.SOURCE tokens gives no labels; use MODEL.TYPE gpt');
  });
});
