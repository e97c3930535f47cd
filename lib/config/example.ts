/**
 * Renders configs/example.yaml from CONFIG_DEFINITION: every section and key with its doc line;
 * keys with a default are written with it (so the example resolves to exactly the defaults),
 * keys without one are commented out with an example value. A test keeps the file in step.
 */
import * as yaml from 'js-yaml';
import { CONFIG_DEFINITION } from './definition';
import type { Def, SectionDef } from './dsl';

const HEADER = [
  '# yaml-language-server: $schema=./schema.json',
  '#',
  '# train-native: every configuration key with its default. Generated from',
  '# lib/config/definition.ts (npm run build && node dist/config/write-schema.js configs/schema.json configs/example.yaml);',
  '# do not edit by hand. Keys written out have the value shown as their default; commented-out keys',
  '# have no default (optional, or one of an X_STEPS | X_FRACTION | X_EPOCHS group: give one).',
  '# Override any key with --set KEY.PATH=VALUE; precedence: this file < --set < shorthand flags.',
];

export function renderExampleYaml(): string {
  const lines = [...HEADER];
  for (const [k, d] of Object.entries(CONFIG_DEFINITION.fields)) {
    lines.push('');
    renderField(lines, CONFIG_DEFINITION, k, d, '', false);
  }
  return `${lines.join('\n')}\n`;
}

function fmt(v: unknown): string {
  if (typeof v === 'number') return String(v);
  return yaml.dump(v, { flowLevel: 0, lineWidth: -1 }).trim();
}

/** `commented`: inside a commented-out block (its lines already carry `# `). */
function renderField(lines: string[], parent: SectionDef, key: string, def: Def, pad: string, commented: boolean): void {
  const groupDefault = (parent.groups ?? []).some((g) => g.default?.key === key);
  const defaultValue = def.kind === 'section' ? undefined : groupDefault ? groupValue(parent, key) : def.default;
  if (commented) {
    const line = (s: string) => lines.push(`${pad}${s}`);
    if (def.kind === 'section') {
      line(`${key}:  # ${def.doc}`);
      if (def.exampleKeys) {
        for (const [k, v] of Object.entries(def.exampleKeys)) line(`  ${k}: ${fmt(v)}`);
        return;
      }
      for (const [k, d] of Object.entries(def.fields)) renderField(lines, def, k, d, `${pad}  `, true);
    } else {
      const v = defaultValue !== undefined ? defaultValue : exampleOf(def, key);
      line(`${key}: ${fmt(v)}  # ${def.doc}`);
    }
    return;
  }
  lines.push(`${pad}# ${def.doc}`);
  if (def.kind === 'section') {
    if (def.optional) {
      // A commented-out block: giving it selects it (e.g. the GENERATE checkpoint method).
      const block: string[] = [];
      block.push(`${key}:`);
      for (const [k, d] of Object.entries(def.fields)) renderField(block, def, k, d, '  ', true);
      for (const b of block) lines.push(`${pad}# ${b}`);
      return;
    }
    if (def.exampleKeys) {
      lines.push(`${pad}${key}: {}`);
      lines.push(`${pad}  # for example (replace the {} above):`);
      for (const [k, v] of Object.entries(def.exampleKeys)) lines.push(`${pad}  # ${k}: ${fmt(v)}`);
      return;
    }
    lines.push(`${pad}${key}:`);
    for (const [k, d] of Object.entries(def.fields)) renderField(lines, def, k, d, `${pad}  `, false);
    return;
  }
  if (def.kind === 'array' && def.items.kind === 'section') {
    lines.push(`${pad}${key}: ${fmt(def.default ?? [])}`);
    lines.push(`${pad}# for example:`);
    lines.push(`${pad}# ${key}:`);
    const block: string[] = [];
    // Required keys and those without a default: what a user actually writes in an entry.
    for (const [k, d] of Object.entries(def.items.fields)) {
      if (d.kind !== 'section' && d.default !== undefined) continue;
      renderField(block, def.items, k, d, '', true);
    }
    block.forEach((b, i) => lines.push(`${pad}#   ${i === 0 ? '- ' : '  '}${b}`));
    return;
  }
  if (defaultValue !== undefined) lines.push(`${pad}${key}: ${fmt(defaultValue)}`);
  else lines.push(`${pad}# ${key}: ${fmt(exampleOf(def, key))}`);
}

function groupValue(parent: SectionDef, key: string): unknown {
  return (parent.groups ?? []).find((g) => g.default?.key === key)!.default!.value;
}

function exampleOf(def: Def, key: string): unknown {
  if (def.kind === 'section') return {};
  if (def.example !== undefined) return def.example;
  if (def.default === undefined) throw new Error(`definition of ${key} needs an example value for configs/example.yaml`);
  return def.default;
}
