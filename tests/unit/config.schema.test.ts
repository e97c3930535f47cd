/**
 * configs/schema.json and configs/example.yaml are generated from the definitions and must be
 * up to date; the JSON Schema and the validator agree on everything the schema can express.
 * Regenerate both with:
 *   npm run build && node dist/config/write-schema.js configs/schema.json configs/example.yaml
 */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import Ajv from 'ajv';
import { CONFIG_DEFINITION } from '../../lib/config/definition';
import type { Def, NumberDef, SectionDef } from '../../lib/config/dsl';
import { renderExampleYaml } from '../../lib/config/example';
import { configJsonSchema } from '../../lib/config/schema';
import { validateConfig } from '../../lib/config/validate';
import { schemaText } from '../../lib/config/write-schema';

const ROOT = path.resolve(__dirname, '../..');
const REGENERATE = 'npm run build && node dist/config/write-schema.js configs/schema.json configs/example.yaml';

test('configs/schema.json is what the definitions generate', () => {
  const onDisk = fs.readFileSync(path.join(ROOT, 'configs', 'schema.json'), 'utf8');
  if (onDisk !== schemaText()) throw new Error(`configs/schema.json is out of date: run ${REGENERATE}`);
});

test('configs/example.yaml is what the definitions generate', () => {
  const onDisk = fs.readFileSync(path.join(ROOT, 'configs', 'example.yaml'), 'utf8');
  if (onDisk !== renderExampleYaml()) throw new Error(`configs/example.yaml is out of date: run ${REGENERATE}`);
});

test('the schema documents every key: description everywhere, default wherever there is one', () => {
  const walk = (s: Record<string, unknown>, p: string) => {
    expect([p, typeof s.description]).toEqual([p, 'string']);
    for (const [k, sub] of Object.entries((s.properties ?? {}) as Record<string, Record<string, unknown>>)) walk(sub, `${p}.${k}`);
  };
  walk(configJsonSchema(), 'ROOT');
  const props = (configJsonSchema().properties as Record<string, { properties: Record<string, { default?: unknown }> }>);
  expect(props.LR_SCHEDULER.properties.BASE_LR.default).toBe(1e-4);
  expect(props.LR_SCHEDULER.properties.NAME).toMatchObject({ default: 'cosine', enum: expect.arrayContaining(['onecycle', 'wsd']) });
});

// --- agreement ---------------------------------------------------------------------------------

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false });
const schemaValid = ajv.compile(configJsonSchema());
const validatorAccepts = (raw: unknown) => {
  try {
    validateConfig(raw);
    return true;
  } catch {
    return false;
  }
};

interface Leaf {
  segs: string[];
  def: Exclude<Def, SectionDef>;
}

function leaves(section: SectionDef, segs: string[] = []): Leaf[] {
  const out: Leaf[] = [];
  for (const [k, d] of Object.entries(section.fields)) {
    if (d.kind === 'section') out.push(...leaves(d, [...segs, k]));
    else out.push({ segs: [...segs, k], def: d });
  }
  return out;
}

function withValue(segs: string[], value: unknown): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let cur = root;
  segs.slice(0, -1).forEach((s) => {
    cur[s] = {};
    cur = cur[s] as Record<string, unknown>;
  });
  cur[segs[segs.length - 1]] = value;
  return root;
}

function groupDefault(segs: string[]): unknown {
  let sec: SectionDef = CONFIG_DEFINITION;
  for (const s of segs.slice(0, -1)) sec = sec.fields[s] as SectionDef;
  return sec.groups?.find((g) => g.default?.key === segs[segs.length - 1])?.default?.value;
}

/** Values the schema can judge: wrong type, out of range, not an integer, not allowed, empty. */
function badValues(def: Leaf['def']): unknown[] {
  switch (def.kind) {
    case 'number': {
      const d = def as NumberDef;
      const out: unknown[] = ['abc', true, [1]];
      if (d.min !== undefined) out.push(d.min - 1);
      if (d.exclMin !== undefined) out.push(d.exclMin);
      if (d.max !== undefined) out.push(d.max + 1);
      if (d.exclMax !== undefined) out.push(d.exclMax);
      if (d.int) out.push((d.min ?? d.exclMin ?? 0) + 1.5);
      return out;
    }
    case 'string':
      return [5, ['x'], ...(def.enum ? ['no-such-value'] : []), ...(def.nonEmpty ? [''] : [])];
    case 'boolean':
      return ['yes', 1];
    case 'array':
      return [5, 'x', ...(def.maxItems === 0 ? [[1]] : []), ...(def.minItems ? [[]] : [])];
  }
}

// Keys whose example value alone breaks a cross-key rule the schema cannot see.
const CROSS_KEY_EXAMPLES = new Set(['SCHEDULE.META_MASKING.PARTIAL.WEIGHTS']);

describe('schema and validator agree', () => {
  const all = leaves(CONFIG_DEFINITION);

  test('on every key set to its default or example value (both accept)', () => {
    let checked = 0;
    for (const { segs, def } of all) {
      const key = segs.join('.');
      if (CROSS_KEY_EXAMPLES.has(key)) continue;
      const value = def.default ?? groupDefault(segs) ?? def.example;
      if (value === undefined) continue;
      const raw = withValue(segs, value);
      expect([key, schemaValid(raw), validatorAccepts(raw)]).toEqual([key, true, true]);
      checked++;
    }
    expect(checked).toBeGreaterThan(150);
  });

  test('on every key set to a value of the wrong type, out of range or not allowed (both reject)', () => {
    let checked = 0;
    for (const { segs, def } of all) {
      for (const bad of badValues(def)) {
        const raw = withValue(segs, bad);
        expect([segs.join('.'), bad, schemaValid(raw), validatorAccepts(raw)]).toEqual([segs.join('.'), bad, false, false]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  test('on an unknown key in every section (both reject)', () => {
    const sections: string[][] = [];
    const walk = (s: SectionDef, segs: string[]) => {
      sections.push(segs);
      for (const [k, d] of Object.entries(s.fields)) if (d.kind === 'section') walk(d, [...segs, k]);
    };
    walk(CONFIG_DEFINITION, []);
    for (const segs of sections) {
      const raw = withValue([...segs, 'NOT_A_KEY'], 1);
      expect([segs.join('.'), schemaValid(raw), validatorAccepts(raw)]).toEqual([segs.join('.'), false, false]);
    }
  });

  test('on every pair of keys from an exclusive group (both reject)', () => {
    let checked = 0;
    const walk = (s: SectionDef, segs: string[]) => {
      for (const g of s.groups ?? []) {
        for (let i = 0; i < g.members.length; i++) {
          for (let j = i + 1; j < g.members.length; j++) {
            for (const a of g.members[i]) {
              for (const b of g.members[j]) {
                const vals = [a, b].map((k) => {
                  const d = s.fields[k];
                  return d.kind === 'section' ? {} : (d.default ?? d.example);
                });
                const raw = withValue([...segs, a], vals[0]);
                let cur = raw as Record<string, unknown>;
                for (const seg of segs) cur = cur[seg] as Record<string, unknown>;
                cur[b] = vals[1];
                expect([segs.join('.'), a, b, schemaValid(raw), validatorAccepts(raw)]).toEqual([segs.join('.'), a, b, false, false]);
                checked++;
              }
            }
          }
        }
      }
      for (const [k, d] of Object.entries(s.fields)) if (d.kind === 'section') walk(d, [...segs, k]);
    };
    walk(CONFIG_DEFINITION, []);
    expect(checked).toBeGreaterThan(30);
  });

  test('on hand-written configs', () => {
    const accept = [
      {},
      yaml.load(fs.readFileSync(path.join(ROOT, 'configs', 'quickstart.yaml'), 'utf8')),
      yaml.load(fs.readFileSync(path.join(ROOT, 'configs', 'example.yaml'), 'utf8')),
      { LR_SCHEDULER: { PARAMETER_GROUPS: [{ NAME: 'head', PATTERNS: ['head.*'], LR_SCHEDULER: { NAME: 'constant', WARMUP_STEPS: 0 } }] } },
      { STAGES: { STAGE2: { LR_SCHEDULER: { BASE_LR: 2e-4, WARMUP_EPOCHS: 3 } } } },
      { SCHEDULE: { CHECKPOINT: { GENERATE: { FIRST_EPOCH_CHECKPOINTS: 20, LOG_BASE: 2, MIN_CHECKPOINT_INTERVAL: 0 } } } },
      { SCHEDULE: { VALIDATION: { PARTIAL_MASK_META: { WHITELIST: [['A'], ['B', 'C']] } } } },
    ];
    const reject = [
      { LR_SCHEDULER: { PARAMETER_GROUPS: [{ NAME: 'head' }] } },
      { LR_SCHEDULER: { PARAMETER_GROUPS: [{ NAME: 'head', PATTERNS: ['x'], LR_SCHEDULER: { NAME: 'cosin' } }] } },
      { LR_SCHEDULER: { PARAMETER_GROUPS: [{ NAME: 'head', PATTERNS: ['x'], LR_SCHEDULER: { WARMUP_STEPS: 1, WARMUP_EPOCHS: 1 } }] } },
      { LR_SCHEDULER: { PARAMETER_GROUPS: [{ NAME: 'head', PATTERNS: ['x'], EXTRA: 1 }] } },
      { STAGES: { STAGE2: { LR_SCHEDULER: { BASE_LR: -1 } } } },
      { SCHEDULE: { VALIDATION: { PARTIAL_MASK_META: { WHITELIST: [[]] } } } },
      { SCHEDULE: { META_MASKING: { PARTIAL: { WHITELIST: [['A', 5]] } } } },
      { SCHEDULE: { CHECKPOINT: { GENERATE: { LOG_BASE: 1 } } } },
      { SCHEDULE: { CHECKPOINT: { GENERATE: 5 } } },
      { OPTIMIZER: { BETAS: [0.9, 0.999, 0.5] } },
      { OPTIMIZER: { BETAS: [0.9, 1] } },
      { DATA: { META_COMPONENTS: ['A', 'A'] } },
      'not a mapping',
      [1, 2],
    ];
    for (const raw of accept) expect([raw, schemaValid(raw), validatorAccepts(raw)]).toEqual([raw, true, true]);
    for (const raw of reject) expect([raw, schemaValid(raw), validatorAccepts(raw)]).toEqual([raw, false, false]);
  });
});
