/**
 * The vocabulary in which `definition.ts` describes every configuration key once. The validator
 * (`validate.ts`), the JSON Schema (`schema.ts`) and the annotated example (`example.ts`) are all
 * derived from that one description, so they cannot drift apart.
 */

interface BaseDef {
  /** One line shown in the JSON Schema (editor hover) and in configs/example.yaml. */
  doc: string;
  /** A key that must be present (parameter group NAME / PATTERNS). */
  required?: boolean;
  /** A value shown (commented out) in configs/example.yaml for a key that has no default. */
  example?: unknown;
}

export interface NumberDef extends BaseDef {
  kind: 'number';
  int?: boolean;
  default?: number;
  /** Inclusive bounds. */
  min?: number;
  max?: number;
  /** Exclusive bounds (JSON Schema's exclusiveMinimum / exclusiveMaximum). */
  exclMin?: number;
  exclMax?: number;
}

export interface StringDef extends BaseDef {
  kind: 'string';
  default?: string;
  enum?: readonly string[];
  /** What a value is called in an enum error: "unknown scheduler 'cosin'". */
  noun?: string;
  nonEmpty?: boolean;
}

export interface BooleanDef extends BaseDef {
  kind: 'boolean';
  default?: boolean;
}

export interface ArrayDef extends BaseDef {
  kind: 'array';
  items: Def;
  default?: unknown[];
  minItems?: number;
  maxItems?: number;
  /** Elements must be strictly increasing (milestones, checkpoint steps). */
  increasing?: boolean;
  uniqueItems?: boolean;
  /** Why the list must be empty, for the error (maxItems 0). */
  emptyReason?: string;
}

/**
 * Keys of a section that exclude one another. Each member is a set of keys (the checkpoint
 * "interval" method is three keys); a member counts as given when any of its keys is given.
 */
export interface GroupDef {
  members: string[][];
  /** Set when no member is given. */
  default?: { key: string; value: unknown };
  /** What the members are, for the error: 'methods' (checkpoint) or 'one-of' (X_STEPS|…). */
  kind: 'one-of' | 'methods';
}

export interface SectionDef extends BaseDef {
  kind: 'section';
  fields: Record<string, Def>;
  groups?: GroupDef[];
  /** Absent (undefined) unless given; when given, its own defaults apply (CHECKPOINT.GENERATE). */
  optional?: boolean;
  /** configs/example.yaml: keys shown commented out under a section that has no defaults. */
  exampleKeys?: Record<string, unknown>;
}

export type LeafDef = NumberDef | StringDef | BooleanDef;
export type Def = LeafDef | ArrayDef | SectionDef;

export function hasDefault(def: Def): boolean {
  return def.kind !== 'section' && def.default !== undefined;
}

/** Every key of a section that belongs to one of its groups, mapped to its group. */
export function groupOf(section: SectionDef, key: string): GroupDef | undefined {
  return (section.groups ?? []).find((g) => g.members.some((m) => m.includes(key)));
}

/** The keys that exclude `key` (the other members of its group), in definition order. */
export function rivalsOf(section: SectionDef, key: string): string[] {
  const g = groupOf(section, key);
  if (!g) return [];
  return g.members.filter((m) => !m.includes(key)).flat();
}

/**
 * The same section with every default removed (recursively) and every key optional: a stage-2 or
 * parameter-group scheduler overrides "any subset" of LR_SCHEDULER's keys and inherits the rest.
 */
export function partialOf(section: SectionDef, doc: string): SectionDef {
  const fields: Record<string, Def> = {};
  for (const [k, d] of Object.entries(section.fields)) fields[k] = stripDefaults(d);
  return {
    kind: 'section',
    doc,
    fields,
    groups: section.groups?.map((g) => ({ members: g.members, kind: g.kind })),
  };
}

function stripDefaults(def: Def): Def {
  if (def.kind === 'section') return partialOf(def, def.doc);
  const copy = { ...def } as Def & { default?: unknown };
  delete copy.default;
  return copy;
}
