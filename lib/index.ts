/** Public library entry point of train-native. */
export type { TrainNativeConfig } from './config/types';
export { ConfigError } from './config/errors';
