/** The data layer: datasets (synthetic and file sources), splits, samplers, seeded RNG, augmentation. */
export type { DataBatch, Dataset, LabelKind, MetaComponent } from './types';
export { DataError } from './errors';
export { loadData, type LoadDataOptions, type LoadedData } from './load';
export { inferModelDims, type ModelDims } from './model-dims';
export { EpochSampler, sequentialBatches, type EpochSamplerOptions } from './sampler';
export { Rng, rngFor, RNG_PURPOSE } from './rng';
export { drawMetaMask, metaMaskFor, validateMetaMasking, applyMixup, applyMixupDecision, drawMixup, type MetaMaskingOptions, type MixupDecision, type MixupOptions, type MixupResult } from './augment';
export { parseNpy, readNpy, type NpyArray, type NpyDtype } from './npy';
export { ArrayDataset, type DatasetArrays } from './array-dataset';
export { holdOutSplit } from './split';
export { SYNTHETIC_DEFAULTS, type SyntheticTask } from './synthetic';
export { DEFAULT_BLOCK_SIZE } from './sources/token-source';
