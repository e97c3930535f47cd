/**
 * The JSON Schema (draft-07) of a config file, derived from CONFIG_DEFINITION and checked in as
 * configs/schema.json so editors (e.g. the YAML language server) complete and check configs.
 * It expresses types, ranges, allowed values, defaults, descriptions and the exclusive groups;
 * cross-key rules (cross-checks.ts) and the validator's leniencies (numeric strings, null = not
 * given) are beyond it.
 */
import { CONFIG_DEFINITION } from './definition';
import type { Def, SectionDef } from './dsl';

export type JsonSchema = Record<string, unknown>;

export function configJsonSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'train-native configuration',
    ...defSchema(CONFIG_DEFINITION),
  };
}

function defSchema(def: Def): JsonSchema {
  const s: JsonSchema = {};
  if (def.doc) s.description = def.doc;
  switch (def.kind) {
    case 'number':
      s.type = def.int ? 'integer' : 'number';
      if (def.min !== undefined) s.minimum = def.min;
      if (def.max !== undefined) s.maximum = def.max;
      if (def.exclMin !== undefined) s.exclusiveMinimum = def.exclMin;
      if (def.exclMax !== undefined) s.exclusiveMaximum = def.exclMax;
      if (def.default !== undefined) s.default = def.default;
      break;
    case 'string':
      s.type = 'string';
      if (def.enum) s.enum = [...def.enum];
      if (def.nonEmpty) s.minLength = 1;
      if (def.default !== undefined) s.default = def.default;
      break;
    case 'boolean':
      s.type = 'boolean';
      if (def.default !== undefined) s.default = def.default;
      break;
    case 'array':
      s.type = 'array';
      s.items = defSchema(def.items);
      if (def.minItems !== undefined) s.minItems = def.minItems;
      if (def.maxItems !== undefined) s.maxItems = def.maxItems;
      if (def.uniqueItems) s.uniqueItems = true;
      if (def.default !== undefined) s.default = def.default;
      break;
    case 'section':
      Object.assign(s, sectionSchema(def));
      break;
  }
  return s;
}

function sectionSchema(def: SectionDef): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [k, d] of Object.entries(def.fields)) properties[k] = defSchema(d);
  const s: JsonSchema = { type: 'object', properties, additionalProperties: false };
  const required = Object.entries(def.fields)
    .filter(([, d]) => d.required)
    .map(([k]) => k);
  if (required.length > 0) s.required = required;
  // Exclusive groups: no two keys from different members together.
  const exclusions: JsonSchema[] = [];
  for (const g of def.groups ?? []) {
    for (let i = 0; i < g.members.length; i++) {
      for (let j = i + 1; j < g.members.length; j++) {
        for (const a of g.members[i]) for (const b of g.members[j]) exclusions.push({ not: { required: [a, b] } });
      }
    }
  }
  if (exclusions.length > 0) s.allOf = exclusions;
  return s;
}
