/** Training-time augmentation (SPEC §6): meta-masking and group-wise mixup. */
export { drawMetaMask, metaMaskFor, validateMetaMasking, type MetaMaskingOptions } from './meta-masking';
export { applyMixup, applyMixupDecision, drawMixup, type MixupDecision, type MixupOptions, type MixupResult } from './mixup';
