/**
 * loadConfig: YAML file (or the embedded configs/quickstart.yaml) + `--set` overrides + shorthand
 * flags -> validated, defaulted TrainNativeConfig. Precedence, lowest first: file, --set, flags.
 * Every error is a ConfigError naming the key path and either the file line of the key or the
 * override that set it.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { CONFIG_DEFINITION } from './definition';
import { hasDefault, type Def, type SectionDef } from './dsl';
import { ConfigError } from './errors';
import { KeyLocator } from './locate';
import { SHORTHAND_FLAGS, type ShorthandFlag } from './shorthands';
import type { TrainNativeConfig } from './types';
import { isMapping, joinPath, numericString, validateConfig } from './validate';

/** The embedded default config, resolved from lib/config (ts-jest) and dist/config (compiled) alike. */
export const DEFAULT_CONFIG_FILE = path.resolve(__dirname, '../../configs/quickstart.yaml');

export type ShorthandValues = Partial<Record<ShorthandFlag, string | number | boolean>>;

export interface LoadConfigOptions {
  /** YAML config file; absent: the embedded configs/quickstart.yaml. */
  file?: string;
  /** `KEY.PATH=VALUE` overrides; VALUE is a YAML scalar or flow value (`5`, `true`, `[1, 2]`, `1e-4`). */
  sets?: string[];
  /** Shorthand flags by name (`lr`, `stage2-lr`, …, see SHORTHAND_FLAGS). */
  flags?: ShorthandValues;
}

export interface LoadedConfig {
  config: TrainNativeConfig;
  /** Absolute path of the config file that was read. */
  file: string;
  /** Its text, as read. */
  text: string;
}

export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const file = opts.file ?? DEFAULT_CONFIG_FILE;
  const rel = path.relative(process.cwd(), DEFAULT_CONFIG_FILE);
  const shown = opts.file ?? (rel.startsWith('..') ? DEFAULT_CONFIG_FILE : rel);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new ConfigError(`cannot read config file: ${why}`, '', { file: shown });
  }
  const config = parseConfigText(text, { file: shown, sets: opts.sets, flags: opts.flags, requireSettings: true });
  return { config, file: path.resolve(file), text };
}

/** The same as loadConfig for YAML text already in hand; `file` is only used in messages. */
export function parseConfigText(
  text: string,
  opts: { file?: string; sets?: string[]; flags?: ShorthandValues; requireSettings?: boolean } = {},
): TrainNativeConfig {
  const file = opts.file;
  let raw: unknown;
  try {
    raw = yaml.load(text, { filename: file });
  } catch (e) {
    if (e instanceof yaml.YAMLException) {
      const line = e.mark ? e.mark.line + 1 : undefined;
      throw new ConfigError(`YAML syntax error: ${e.reason}`, '', { file, line });
    }
    throw e;
  }
  // A config file that says nothing is a mistake (a wrong file, an unsaved editor), not "the defaults".
  const empty = raw === undefined || raw === null || (isMapping(raw) && Object.keys(raw).length === 0);
  if (empty && opts.requireSettings) {
    throw new ConfigError('the config file has no settings (it is empty, only comments, or null); give at least one section, e.g. TRAIN: {EPOCHS: 5}', '', { file, line: 1 });
  }
  if (raw === undefined || raw === null) raw = {};
  if (!isMapping(raw)) {
    throw new ConfigError(`expected a mapping of sections (EXPERIMENT:, DATA:, …) at the top level`, '', { file, line: 1 });
  }
  const locator = new KeyLocator(text);
  const origins = new Map<string, string>(); // key path -> the override that set it

  const layers: Array<Array<{ path: string; value: unknown; label: string }>> = [
    (opts.sets ?? []).map(parseSet),
    flagOverrides(opts.flags ?? {}),
  ];
  for (const layer of layers) {
    const setHere = new Map<string, string>();
    for (const o of layer) {
      applyOverride(raw as Record<string, unknown>, o.path, o.value, o.label, setHere);
      // Unsetting a key (`--set KEY=null`) makes room for a rival; only values can conflict.
      if (o.value !== null) setHere.set(o.path, o.label);
      origins.set(o.path, o.label);
    }
  }

  const originOf = (keyPath: string): string | undefined => {
    for (const [p, label] of origins) {
      if (keyPath === p || keyPath.startsWith(`${p}.`) || keyPath.startsWith(`${p}[`)) return label;
    }
    for (const [p, label] of origins) {
      const ancestor = p.startsWith(`${keyPath}.`) || p.startsWith(`${keyPath}[`);
      if (ancestor && locator.exact(keyPath) === undefined) return label;
    }
    return undefined;
  };

  return validateConfig(raw, (keyPath, message) => {
    const label = originOf(keyPath);
    if (label !== undefined) return new ConfigError(`${message} (from ${label})`, keyPath);
    return new ConfigError(message, keyPath, { file, line: locator.line(keyPath) });
  });
}

/** The resolved config as YAML, for `<run dir>/config.yaml`; loading it gives the same config. */
export function resolvedConfigToYaml(config: TrainNativeConfig): string {
  const plain = JSON.parse(JSON.stringify(config)) as unknown; // drops undefined optionals
  return yaml.dump(plain, { lineWidth: -1, noRefs: true, sortKeys: false });
}

// --- overrides --------------------------------------------------------------------------------

const PATH_RE = /^[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|\d+)(?:\[\d+\])*)*$/;

type Seg = string | number;

function splitPath(p: string): Seg[] {
  const segs: Seg[] = [];
  for (const part of p.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part)!;
    if (m[1] !== '') segs.push(/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) segs.push(Number(idx[1]));
  }
  return segs;
}

const pathOf = (segs: Seg[]) => segs.reduce<string>((acc, s) => joinPath(acc, s), '');

function parseSet(s: string): { path: string; value: unknown; label: string } {
  const label = `--set ${s}`;
  const eq = s.indexOf('=');
  const keyText = eq < 0 ? s : s.slice(0, eq).trim();
  if (eq <= 0 || !PATH_RE.test(keyText)) {
    throw new ConfigError(`--set expects KEY.PATH=VALUE (e.g. LR_SCHEDULER.BASE_LR=3e-4), got '${s}'`);
  }
  const valueText = s.slice(eq + 1);
  let value: unknown;
  try {
    value = yaml.load(valueText);
  } catch (e) {
    const reason = e instanceof yaml.YAMLException ? e.reason : (e as Error).message;
    throw new ConfigError(`cannot parse the value '${valueText}' as YAML: ${reason} (from ${label})`, pathOf(splitPath(keyText)));
  }
  return { path: pathOf(splitPath(keyText)), value, label };
}

function flagOverrides(flags: ShorthandValues): Array<{ path: string; value: unknown; label: string }> {
  const out: Array<{ path: string; value: unknown; label: string }> = [];
  for (const spec of SHORTHAND_FLAGS) {
    const v = flags[spec.name];
    if (v === undefined) continue;
    const label = `--${spec.name}`;
    let value: unknown = v;
    if ((spec.type === 'number' || spec.type === 'integer') && typeof v === 'string') {
      const n = numericString(v);
      if (n === undefined) throw new ConfigError(`expected a number, got '${v}' (from ${label})`, spec.keyPath);
      value = n;
    } else if (spec.type === 'boolean' && typeof v === 'string') {
      if (!['true', 'false'].includes(v.toLowerCase())) {
        throw new ConfigError(`expected true or false, got '${v}' (from ${label})`, spec.keyPath);
      }
      value = v.toLowerCase() === 'true';
    }
    out.push({ path: spec.keyPath, value, label });
  }
  return out;
}

/** The definition of the section that holds the last segment of `segs`, if the path is known. */
function sectionDefAt(segs: Seg[]): SectionDef | undefined {
  let def: Def | undefined = CONFIG_DEFINITION;
  for (const s of segs.slice(0, -1)) {
    if (def === undefined) return undefined;
    if (def.kind === 'section' && typeof s === 'string') def = def.fields[s];
    else if (def.kind === 'array' && typeof s === 'number') def = def.items;
    else return undefined;
  }
  return def?.kind === 'section' ? def : undefined;
}

/** The definition of the key a path names, if the path is known. */
function defAt(segs: Seg[]): Def | undefined {
  const section = sectionDefAt(segs);
  const last = segs[segs.length - 1];
  return section !== undefined && typeof last === 'string' ? section.fields[last] : undefined;
}

/**
 * `--set KEY=null` unsets a key: that means something only where a key may be absent (no default:
 * MAX_STEPS, RESUME_FROM, one of a group's members, an optional section) or for a list entry
 * (removed). On a key with a default it would silently train the default instead (EPOCHS=null → 10).
 */
function checkNullMeaning(segs: Seg[], label: string): void {
  if (typeof segs[segs.length - 1] === 'number') return;
  const def = defAt(segs);
  if (def === undefined) return;
  const meaningless = def.kind === 'section' ? def.optional !== true : hasDefault(def);
  if (!meaningless) return;
  const dflt = def.kind === 'section' ? '' : ` (its default is ${JSON.stringify((def as { default?: unknown }).default)})`;
  throw new ConfigError(`null has no meaning here: the key cannot be unset${dflt}; give a value (from ${label})`, pathOf(segs));
}

/**
 * Writes one override into the raw parsed YAML. A null value removes the key (its default
 * applies again). A key of an exclusive group replaces its rivals given by a lower layer (the
 * file, or --set for a flag): `--warmup-epochs 2` over a file's WARMUP_FRACTION means "use 2
 * epochs instead". Rivals set within the same layer are a conflict.
 */
function applyOverride(
  raw: Record<string, unknown>,
  keyPath: string,
  value: unknown,
  label: string,
  setHere: Map<string, string>,
): void {
  const segs = splitPath(keyPath);
  if (value === null) checkNullMeaning(segs, label);
  let cur: Record<string, unknown> | unknown[] = raw;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    const isLast = i === segs.length - 1;
    const here = pathOf(segs.slice(0, i + 1));
    if (Array.isArray(cur)) {
      if (typeof s !== 'number' || s > cur.length) {
        throw new ConfigError(`no list entry ${String(s)} (the list has ${cur.length} entries) (from ${label})`, here);
      }
      if (isLast) {
        if (value === null) cur.splice(s, 1);
        else cur[s] = value;
        return;
      }
      if (!isMapping(cur[s]) && !Array.isArray(cur[s])) cur[s] = typeof segs[i + 1] === 'number' ? [] : {};
      cur = cur[s] as Record<string, unknown> | unknown[];
      continue;
    }
    const key = String(s);
    if (!(isLast && value === null)) dropRivals(cur, segs.slice(0, i + 1), label, setHere);
    if (isLast) {
      if (value === null) delete cur[key];
      else cur[key] = value;
      return;
    }
    if (!isMapping(cur[key]) && !Array.isArray(cur[key])) cur[key] = typeof segs[i + 1] === 'number' ? [] : {};
    cur = cur[key] as Record<string, unknown> | unknown[];
  }
}

/** Removes the keys that exclude `segs`' last key from `container` (see applyOverride). */
function dropRivals(container: Record<string, unknown>, segs: Seg[], label: string, setHere: Map<string, string>): void {
  const section = sectionDefAt(segs);
  if (!section) return;
  const key = String(segs[segs.length - 1]);
  const parentPath = pathOf(segs.slice(0, -1));
  for (const group of section.groups ?? []) {
    const mine = group.members.find((m) => m.includes(key));
    if (!mine) continue;
    for (const rival of group.members.filter((m) => m !== mine).flat()) {
      const rivalPath = joinPath(parentPath, rival);
      for (const [p, other] of setHere) {
        if (p === rivalPath || p.startsWith(`${rivalPath}.`)) {
          throw new ConfigError(
            `conflicts with ${rivalPath} (from ${other}): give only one of ${group.members.map((m) => m.join('|')).join(', ')} (from ${label})`,
            joinPath(parentPath, key),
          );
        }
      }
      delete container[rival];
    }
  }
}
