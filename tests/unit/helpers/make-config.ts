/**
 * A TrainNativeConfig for schedule and data tests: the validator's defaults (one place for every
 * default: lib/config/definition.ts) with `makeConfig(partial)` deep-merged in (arrays and scalars
 * replace), so a test writes only what it is about — left unvalidated, so a test can reach the
 * schedule's own checks.
 */
import { CONFIG_DEFINITION } from '../../../lib/config/definition';
import type { SectionDef } from '../../../lib/config/dsl';
import type { TrainNativeConfig } from '../../../lib/config/types';
import { validateConfig } from '../../../lib/config/validate';

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends Array<infer _U> ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

/** The validator's defaults: what an empty config file resolves to. */
export function defaultConfig(): TrainNativeConfig {
  return validateConfig({});
}

/**
 * Drops from `base` the default of every exclusive group (INTERVAL_EPOCHS: 1, …) one of whose
 * members `partial` gives, as the validator does.
 */
function dropGroupDefaults(def: SectionDef, base: Record<string, unknown>, partial: Record<string, unknown>): void {
  for (const g of def.groups ?? []) {
    if (g.default && g.members.flat().some((k) => partial[k] !== undefined)) delete base[g.default.key];
  }
  for (const [key, field] of Object.entries(def.fields)) {
    if (field.kind === 'section' && isPlainObject(partial[key]) && isPlainObject(base[key])) {
      dropGroupDefaults(field, base[key] as Record<string, unknown>, partial[key] as Record<string, unknown>);
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(base[k]) ? merge(base[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

/** The validator's defaults with `partial` merged in, unvalidated: schedule tests reach checks the validator would make first. */
export function makeConfig(partial: DeepPartial<TrainNativeConfig> = {}): TrainNativeConfig {
  const base = defaultConfig() as unknown as Record<string, unknown>;
  dropGroupDefaults(CONFIG_DEFINITION, base, partial as Record<string, unknown>);
  return merge(base, partial as Record<string, unknown>) as unknown as TrainNativeConfig;
}

/** A config whose time base is `stepsPerEpoch` steps per epoch (batch 1, N = steps · epochs known). */
export function stepsConfig(stepsPerEpoch: number, epochs: number, partial: DeepPartial<TrainNativeConfig> = {}): TrainNativeConfig {
  const c = makeConfig(partial);
  c.DATA.TRAIN_SAMPLES = stepsPerEpoch;
  c.DATA.BATCH_SIZE = 1;
  c.TRAIN.EPOCHS = epochs;
  return c;
}
