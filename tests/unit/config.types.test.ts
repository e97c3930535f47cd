/**
 * lib/config/types.ts (what everyone codes against) and lib/config/definition.ts (what the
 * validator, schema and example come from) describe the same keys: same names in every section,
 * and a field is optional (`?`) exactly when the definition gives it no default.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CONFIG_DEFINITION } from '../../lib/config/definition';
import type { Def, SectionDef } from '../../lib/config/dsl';

const TYPES = fs.readFileSync(path.resolve(__dirname, '../../lib/config/types.ts'), 'utf8');

/** Interface name -> its direct fields (2-space indented lines) with optionality, extends included. */
function interfaces(): Map<string, Map<string, boolean>> {
  const out = new Map<string, Map<string, boolean>>();
  const re = /^export interface (\w+)(?: extends (\w+))? \{\n([\s\S]*?)^\}/gm;
  const pending: Array<[string, string]> = [];
  for (const m of TYPES.matchAll(re)) {
    const fields = new Map<string, boolean>();
    for (const f of m[3].matchAll(/^ {2}(\w+)(\?)?:/gm)) fields.set(f[1], f[2] === '?');
    out.set(m[1], fields);
    if (m[2]) pending.push([m[1], m[2]]);
  }
  for (const [child, parent] of pending) {
    const merged = new Map([...out.get(parent)!, ...out.get(child)!]);
    out.set(child, merged);
  }
  return out;
}

function sectionAt(p: string): SectionDef {
  let def: Def = CONFIG_DEFINITION;
  for (const seg of p.split('.').filter(Boolean)) {
    if (seg.endsWith('[]')) {
      def = (def as SectionDef).fields[seg.slice(0, -2)];
      if (def.kind !== 'array') throw new Error(`${p}: not a list`);
      def = def.items;
    } else def = (def as SectionDef).fields[seg];
  }
  if (def.kind !== 'section') throw new Error(`${p}: not a section`);
  return def;
}

function optionalInDefinition(section: SectionDef, key: string): boolean {
  const d = section.fields[key];
  if (d.kind === 'section') return d.optional === true;
  // A group's default (INTERVAL_EPOCHS 1) is absent when a sibling is given: optional in TS too.
  return d.default === undefined;
}

const MAP: Record<string, string> = {
  TrainNativeConfig: '',
  ExperimentConfig: 'EXPERIMENT',
  DataConfig: 'DATA',
  ModelConfig: 'MODEL',
  OptimizerConfig: 'OPTIMIZER',
  LrSchedulerConfig: 'LR_SCHEDULER',
  ParameterGroupConfig: 'LR_SCHEDULER.PARAMETER_GROUPS[]',
  TrainConfig: 'TRAIN',
  EarlyStopConfig: 'TRAIN.EARLY_STOP',
  StagesConfig: 'STAGES',
  Stage1Config: 'STAGES.STAGE1',
  Stage2Config: 'STAGES.STAGE2',
  ScheduleConfig: 'SCHEDULE',
  ValidationScheduleConfig: 'SCHEDULE.VALIDATION',
  CheckpointScheduleConfig: 'SCHEDULE.CHECKPOINT',
  CheckpointSyncConfig: 'SCHEDULE.CHECKPOINT.SYNC',
  CheckpointGenerateConfig: 'SCHEDULE.CHECKPOINT.GENERATE',
  ProbabilityRampConfig: 'SCHEDULE.MIXUP.PROB',
  MetaMaskingConfig: 'SCHEDULE.META_MASKING',
  PartialMetaMaskingConfig: 'SCHEDULE.META_MASKING.PARTIAL',
  MixupConfig: 'SCHEDULE.MIXUP',
  MetricsScheduleConfig: 'SCHEDULE.METRICS',
  LoggingConfig: 'LOGGING',
  DistConfig: 'DIST',
};

describe('types.ts and the definitions agree', () => {
  const ifaces = interfaces();

  test('every config interface of types.ts is mapped to a section here', () => {
    const unmapped = [...ifaces.keys()].filter((n) => !(n in MAP) && n !== 'SchedulerKeys');
    expect(unmapped).toEqual([]);
  });

  for (const [name, p] of Object.entries(MAP)) {
    test(`${name} = ${p || '(root)'}`, () => {
      const fields = ifaces.get(name)!;
      const section = sectionAt(p);
      expect(Object.keys(section.fields).sort()).toEqual([...fields.keys()].sort());
      // PARAMETER_GROUPS entries: NAME and PATTERNS are required, not defaulted.
      const required = (k: string) => section.fields[k].required === true;
      const optionalHere = Object.keys(section.fields).filter((k) => optionalInDefinition(section, k) && !required(k));
      const optionalThere = [...fields].filter(([, opt]) => opt).map(([k]) => k);
      expect(optionalHere.sort()).toEqual(optionalThere.sort());
    });
  }

  test('SchedulerKeys = the keys a stage-2 LR_SCHEDULER may override', () => {
    expect(Object.keys(sectionAt('STAGES.STAGE2.LR_SCHEDULER').fields).sort()).toEqual([...ifaces.get('SchedulerKeys')!.keys()].sort());
  });
});
