/**
 * Parsed YAML -> validated, defaulted TrainNativeConfig, driven by CONFIG_DEFINITION: per-key
 * type / range / allowed-value checks, unknown keys with suggestions, the exclusive groups, then
 * the cross-key rules (`cross-checks.ts`) that no per-key description can express.
 *
 * Leniencies, on purpose: a null value (`KEY:` or `KEY: ~`) means "not given"; a number-typed key
 * accepts a numeric string ("5e-5", quoted or from a flag), since YAML 1.1 habits differ.
 */
import { CONFIG_DEFINITION } from './definition';
import type { ArrayDef, Def, NumberDef, SectionDef, StringDef } from './dsl';
import { hasDefault } from './dsl';
import { ConfigError } from './errors';
import { closest } from './suggest';
import type { TrainNativeConfig } from './types';
import { crossCheck } from './cross-checks';

/** Turns a problem at a key path into the error to throw (adds file line or override origin). */
export type ErrorFactory = (path: string, message: string) => ConfigError;

export const plainError: ErrorFactory = (path, message) => new ConfigError(message, path);

export function validateConfig(raw: unknown, makeError: ErrorFactory = plainError): TrainNativeConfig {
  const v = new Validator(makeError);
  const config = v.node(CONFIG_DEFINITION, raw, '') as TrainNativeConfig;
  crossCheck(config, raw, makeError);
  return config;
}

export const joinPath = (base: string, key: string | number): string =>
  typeof key === 'number' ? `${base}[${key}]` : base ? `${base}.${key}` : key;

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const NUMERIC_STRING = /^\s*[-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

/** Parses "5e-5", "1_000", "-.5"; undefined for anything else. */
export function numericString(s: string): number | undefined {
  if (!NUMERIC_STRING.test(s)) return undefined;
  const n = Number(s.replace(/_/g, ''));
  return Number.isFinite(n) ? n : undefined;
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'string') return `string '${v}'`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
}

export function rangeText(d: NumberDef): string | undefined {
  const lo = d.min !== undefined ? { v: d.min, incl: true } : d.exclMin !== undefined ? { v: d.exclMin, incl: false } : undefined;
  const hi = d.max !== undefined ? { v: d.max, incl: true } : d.exclMax !== undefined ? { v: d.exclMax, incl: false } : undefined;
  if (lo && hi) return `in ${lo.incl ? '[' : '('}${lo.v}, ${hi.v}${hi.incl ? ']' : ')'}`;
  if (lo) return `${lo.incl ? '>=' : '>'} ${lo.v}`;
  if (hi) return `${hi.incl ? '<=' : '<'} ${hi.v}`;
  return undefined;
}

/** Every key path of the definition by its last segment, for "it belongs in another section". */
const KEY_HOMES: Map<string, string[]> = (() => {
  const homes = new Map<string, string[]>();
  const walk = (def: Def, path: string) => {
    if (def.kind === 'section') {
      for (const [k, d] of Object.entries(def.fields)) {
        const p = joinPath(path, k);
        homes.set(k, [...(homes.get(k) ?? []), p]);
        walk(d, p);
      }
    } else if (def.kind === 'array' && def.items.kind === 'section') {
      walk(def.items, `${path}[]`);
    }
  };
  walk(CONFIG_DEFINITION, '');
  for (const paths of homes.values()) paths.sort((a, b) => a.split(/[.[]/).length - b.split(/[.[]/).length);
  return homes;
})();

const segments = (p: string) => (p ? p.split('.') : []);

/**
 * Of the sections where a key exists, the one closest to where it was written (sharing the most
 * leading sections, then the shallowest): WARMUP_EPOCHS under STAGES.STAGE2 points to
 * STAGES.STAGE2.LR_SCHEDULER.WARMUP_EPOCHS, under TRAIN to LR_SCHEDULER.WARMUP_EPOCHS. List
 * indices of the written path are kept (`PARAMETER_GROUPS[2]`).
 */
function nearestHome(homes: string[], path: string): string {
  const actual = segments(path);
  const generic = actual.map((s) => s.replace(/\[\d+\]/g, '[]'));
  const shared = (home: string) => {
    const h = segments(home);
    let n = 0;
    while (n < generic.length && n < h.length - 1 && h[n] === generic[n]) n++;
    return n;
  };
  let best = homes[0];
  for (const h of homes) if (shared(h) > shared(best)) best = h;
  const n = shared(best);
  return [...actual.slice(0, n), ...segments(best).slice(n)].join('.');
}

/** The message for an unknown key `key` met in `section` at `path` (path of the section). */
export function unknownKeyMessage(section: SectionDef, key: string, path: string): string {
  const allowed = Object.keys(section.fields);
  const here = path.replace(/\[\d+\]/g, '[]');
  const upper = key.toUpperCase();
  if (allowed.includes(upper)) return `unknown key '${key}' (did you mean '${upper}'? keys are upper-case)`;
  const homes = (KEY_HOMES.get(upper) ?? []).filter((p) => p !== joinPath(here, upper));
  if (homes.length > 0) {
    return `unknown key '${key}'${path ? ` in ${path}` : ''} (did you mean ${nearestHome(homes, path)}? ${upper} belongs in another section)`;
  }
  const near = closest(key, allowed);
  if (near) return `unknown key '${key}' (did you mean '${near}'?)`;
  const nearElsewhere = closest(key, [...KEY_HOMES.keys()]);
  if (nearElsewhere) {
    const p = KEY_HOMES.get(nearElsewhere)![0];
    return `unknown key '${key}'${path ? ` in ${path}` : ''} (did you mean ${p}?)`;
  }
  return `unknown key '${key}' (allowed${path ? ` in ${path}` : ''}: ${allowed.join(', ')})`;
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

class Validator {
  constructor(private readonly makeError: ErrorFactory) {}

  node(def: Def, value: unknown, path: string): unknown {
    switch (def.kind) {
      case 'section':
        return this.section(def, value, path);
      case 'array':
        return this.array(def, value, path);
      case 'number':
        return this.number(def, value, path);
      case 'string':
        return this.string(def, value, path);
      case 'boolean':
        if (typeof value !== 'boolean') throw this.makeError(path, `expected true or false, got ${describe(value)}`);
        return value;
    }
  }

  private section(def: SectionDef, value: unknown, path: string): Record<string, unknown> {
    if (value === null || value === undefined) value = {};
    if (!isMapping(value)) {
      throw this.makeError(path, `expected a mapping of ${path ? `${path} keys` : 'sections'} (KEY: value lines), got ${describe(value)}`);
    }
    const obj = value;
    for (const key of Object.keys(obj)) {
      if (!(key in def.fields)) throw this.makeError(joinPath(path, key), unknownKeyMessage(def, key, path));
    }
    const given = (k: string) => obj[k] !== undefined && obj[k] !== null;
    for (const g of def.groups ?? []) {
      // In the order written (js-yaml keeps it), so the error points at the second one written.
      const order = Object.keys(obj);
      const hits = g.members
        .map((m) => m.filter(given).sort((a, b) => order.indexOf(a) - order.indexOf(b)))
        .filter((m) => m.length > 0)
        .sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]));
      if (g.kind === 'one-of' && hits.length > 1) {
        const names = g.members.flat();
        throw this.makeError(
          joinPath(path, hits[1][0]),
          `conflicts with ${joinPath(path, hits[0][0])}: give only one of ${names.join(', ')}`,
        );
      }
      if (g.kind === 'methods' && hits.length > 1) {
        const methods = g.members.map((m) => m.join('|')).join(', ');
        throw this.makeError(
          joinPath(path, hits[1][0]),
          `conflicts with ${joinPath(path, hits[0][0])}: choose one method of ${methods}`,
        );
      }
    }
    // A group's default (INTERVAL_EPOCHS: 1) applies when none of its members is given.
    const groupDefaults = new Map<string, unknown>();
    for (const g of def.groups ?? []) {
      if (g.default && !g.members.flat().some(given)) groupDefaults.set(g.default.key, g.default.value);
    }
    const out: Record<string, unknown> = {};
    for (const [key, fieldDef] of Object.entries(def.fields)) {
      const p = joinPath(path, key);
      if (given(key)) out[key] = this.node(fieldDef, obj[key], p);
      else if (groupDefaults.has(key)) out[key] = clone(groupDefaults.get(key));
      else if (fieldDef.kind === 'section' && !fieldDef.optional) out[key] = this.section(fieldDef, undefined, p);
      else if (hasDefault(fieldDef)) out[key] = clone((fieldDef as { default?: unknown }).default);
      else if (fieldDef.required) throw this.makeError(p, `missing required key ${key}`);
    }
    return out;
  }

  private array(def: ArrayDef, value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) {
      throw this.makeError(path, `expected a list (e.g. [a, b] or '- a' lines), got ${describe(value)}`);
    }
    if (def.maxItems === 0 && value.length > 0) {
      throw this.makeError(path, `must be empty: ${def.emptyReason ?? 'no entries are allowed'}`);
    }
    if (def.minItems !== undefined && def.maxItems !== undefined && def.minItems === def.maxItems && value.length !== def.minItems) {
      throw this.makeError(path, `expected a list of exactly ${def.minItems} entries, got ${value.length}`);
    }
    if (def.minItems !== undefined && value.length < def.minItems) {
      throw this.makeError(path, `expected at least ${def.minItems} ${def.minItems === 1 ? 'entry' : 'entries'}, got ${value.length}`);
    }
    if (def.maxItems !== undefined && value.length > def.maxItems) {
      throw this.makeError(path, `expected at most ${def.maxItems} entries, got ${value.length}`);
    }
    const out = value.map((item, i) => {
      if (item === null || item === undefined) throw this.makeError(joinPath(path, i), 'empty list entry');
      return this.node(def.items, item, joinPath(path, i));
    });
    if (def.increasing) {
      for (let i = 1; i < out.length; i++) {
        if (!((out[i] as number) > (out[i - 1] as number))) {
          throw this.makeError(joinPath(path, i), `must be strictly increasing: ${out[i]} follows ${out[i - 1]}`);
        }
      }
    }
    if (def.uniqueItems) {
      const seen = new Set<string>();
      out.forEach((v, i) => {
        const k = JSON.stringify(v);
        if (seen.has(k)) throw this.makeError(joinPath(path, i), `duplicate entry ${k}`);
        seen.add(k);
      });
    }
    return out;
  }

  private number(def: NumberDef, value: unknown, path: string): number {
    let n: number | undefined;
    if (typeof value === 'number') n = value;
    else if (typeof value === 'string') n = numericString(value);
    const what = def.int ? 'an integer' : 'a number';
    if (n === undefined) throw this.makeError(path, `expected ${what}, got ${describe(value)}`);
    if (!Number.isFinite(n)) throw this.makeError(path, `expected a finite number, got ${n}`);
    if (def.int && !Number.isInteger(n)) throw this.makeError(path, `expected an integer, got ${n}`);
    // Past 2^53 integers are no longer exact: no count, step or size may get there.
    if (def.int && def.max === undefined && !Number.isSafeInteger(n)) throw this.makeError(path, `must be at most ${Number.MAX_SAFE_INTEGER}, got ${n}`);
    const bad =
      (def.min !== undefined && n < def.min) ||
      (def.max !== undefined && n > def.max) ||
      (def.exclMin !== undefined && n <= def.exclMin) ||
      (def.exclMax !== undefined && n >= def.exclMax);
    if (bad) throw this.makeError(path, `must be ${rangeText(def)}, got ${n}`);
    return n;
  }

  private string(def: StringDef, value: unknown, path: string): string {
    if (def.enum) {
      if (typeof value !== 'string' || !def.enum.includes(value)) {
        const allowed = def.enum.join(', ');
        if (typeof value !== 'string') throw this.makeError(path, `expected one of ${allowed}; got ${describe(value)}`);
        const near = closest(value, def.enum);
        throw this.makeError(
          path,
          `unknown ${def.noun ?? 'value'} '${value}' (${near ? `did you mean '${near}'? ` : ''}allowed: ${allowed})`,
        );
      }
      return value;
    }
    if (typeof value !== 'string') {
      const hint = typeof value === 'number' || typeof value === 'boolean' ? ` (quote it: '${String(value)}')` : '';
      throw this.makeError(path, `expected a string, got ${describe(value)}${hint}`);
    }
    if (def.nonEmpty && value.trim() === '') throw this.makeError(path, 'must not be empty');
    return value;
  }
}
