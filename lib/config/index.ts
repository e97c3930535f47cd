/** The configuration layer: YAML -> validated, defaulted, typed config; JSON Schema; errors. */
export * from './types';
export { ConfigError } from './errors';
export {
  loadConfig,
  parseConfigText,
  resolvedConfigToYaml,
  DEFAULT_CONFIG_FILE,
  type LoadConfigOptions,
  type LoadedConfig,
  type ShorthandValues,
} from './load';
export { SHORTHAND_FLAGS, shorthandValuesFromOptions, type ShorthandFlag, type ShorthandSpec } from './shorthands';
export { validateConfig } from './validate';
export { distEnvSets, DIST_ENV } from './dist-env';
export { effectiveScheduler } from './effective';
export { configJsonSchema } from './schema';
export { CONFIG_DEFINITION } from './definition';
