/** Training-time augmentation (SPEC §6): meta-masking and group-wise mixup. */
export { applyMetaMasking, metaMaskFor, validateMetaMasking, type MetaMaskingOptions } from './meta-masking';
export { applyMixup, type MixupOptions, type MixupResult } from './mixup';
