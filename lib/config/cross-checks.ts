/**
 * Rules between keys that the per-key definitions cannot express (and the JSON Schema does not
 * check): scheduler needs, stage and group consistency, windows, list lengths, component names.
 * Runs on the defaulted config; `raw` tells which keys the user actually gave.
 */
import type { ConfigError } from './errors';
import { effectiveScheduler } from './effective';
import { syncCommandProblem } from './sync-command';
import type { ProbabilityRampConfig, SchedulerKeys, TrainNativeConfig } from './types';

type ErrorFactory = (path: string, message: string) => ConfigError;

function rawAt(raw: unknown, path: string): unknown {
  let cur: unknown = raw;
  for (const seg of path.split(/\.|\[|\]\.?/).filter((s) => s !== '')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}
const given = (raw: unknown, path: string) => {
  const v = rawAt(raw, path);
  return v !== undefined && v !== null;
};

const FILE_SOURCES = ['npy', 'csv', 'tokens', 'text'];

export function crossCheck(c: TrainNativeConfig, raw: unknown, err: ErrorFactory): void {
  // TRAIN / DATA / MODEL / OPTIMIZER / DIST
  if (c.TRAIN.EPOCHS < 1 && c.TRAIN.MAX_STEPS === undefined) {
    throw err('TRAIN.EPOCHS', `must be >= 1 unless TRAIN.MAX_STEPS is given, got ${c.TRAIN.EPOCHS}`);
  }
  const name = c.EXPERIMENT.NAME;
  // The run directory is OUTPUT_DIR/NAME: a path in NAME would write elsewhere (../../escape).
  if (name === '.' || name === '..' || /[/\\\0]/.test(name) || name !== name.trim()) {
    throw err('EXPERIMENT.NAME', `must be a plain folder name (no '/' or '\\', not '.' or '..', no surrounding spaces), got '${name}'; put the parent folder in EXPERIMENT.OUTPUT_DIR`);
  }
  if (FILE_SOURCES.includes(c.DATA.SOURCE) && c.DATA.TRAIN_PATH === undefined) {
    throw err('DATA.TRAIN_PATH', `missing: required when DATA.SOURCE is '${c.DATA.SOURCE}'`);
  }
  if (c.MODEL.TYPE === 'torchscript' && c.MODEL.PATH === undefined) {
    throw err('MODEL.PATH', "missing: MODEL.TYPE torchscript trains the module in this file (write it with torch.jit.script(model).save('model.pt'))");
  }
  if (c.MODEL.D_MODEL % c.MODEL.NUM_HEADS !== 0) {
    throw err('MODEL.NUM_HEADS', `must divide MODEL.D_MODEL (${c.MODEL.D_MODEL}), got ${c.MODEL.NUM_HEADS}`);
  }
  if (c.OPTIMIZER.NAME === 'sgd' && c.OPTIMIZER.NESTEROV && c.OPTIMIZER.MOMENTUM === 0) {
    throw err('OPTIMIZER.NESTEROV', 'Nesterov momentum needs OPTIMIZER.MOMENTUM > 0, got 0');
  }
  if (c.DIST.RANK >= c.DIST.WORLD_SIZE) {
    throw err('DIST.RANK', `must be less than DIST.WORLD_SIZE (${c.DIST.WORLD_SIZE}), got ${c.DIST.RANK}`);
  }
  if (c.DIST.LOCAL_RANK >= c.DIST.WORLD_SIZE) {
    throw err('DIST.LOCAL_RANK', `must be less than DIST.WORLD_SIZE (${c.DIST.WORLD_SIZE}), got ${c.DIST.LOCAL_RANK}`);
  }
  if (c.DIST.LOCAL_WORLD_SIZE > c.DIST.WORLD_SIZE) {
    throw err('DIST.LOCAL_WORLD_SIZE', `must be at most DIST.WORLD_SIZE (${c.DIST.WORLD_SIZE}), got ${c.DIST.LOCAL_WORLD_SIZE}`);
  }


  const sync = c.SCHEDULE.CHECKPOINT.SYNC;
  if (sync.ENABLED === true && sync.COMMAND === undefined) {
    throw err('SCHEDULE.CHECKPOINT.SYNC.COMMAND', 'missing: required when SCHEDULE.CHECKPOINT.SYNC.ENABLED is true (e.g. rclone sync {run_dir} remote:runs/{run_name})');
  }
  if (sync.COMMAND !== undefined) {
    const problem = syncCommandProblem(sync.COMMAND);
    if (problem !== null) throw err('SCHEDULE.CHECKPOINT.SYNC.COMMAND', problem);
  }

  // Schedulers: the base one, stage 2's and each parameter group's, as they will run.
  checkScheduler(c.LR_SCHEDULER, 'LR_SCHEDULER', {}, 'LR_SCHEDULER', err);
  checkScheduler(c.LR_SCHEDULER, 'LR_SCHEDULER', c.STAGES.STAGE2.LR_SCHEDULER, 'STAGES.STAGE2.LR_SCHEDULER', err);
  const names = new Map<string, number>();
  c.LR_SCHEDULER.PARAMETER_GROUPS.forEach((g, i) => {
    const p = `LR_SCHEDULER.PARAMETER_GROUPS[${i}]`;
    if (g.NAME === 'default') {
      throw err(`${p}.NAME`, "'default' is reserved for the parameters no group matches; choose another name");
    }
    const prev = names.get(g.NAME);
    if (prev !== undefined) {
      throw err(`${p}.NAME`, `duplicate group name '${g.NAME}' (also LR_SCHEDULER.PARAMETER_GROUPS[${prev}].NAME)`);
    }
    names.set(g.NAME, i);
    if (given(raw, `${p}.LR_MULTIPLIER`) && g.BASE_LR !== undefined) {
      throw err(`${p}.BASE_LR`, `conflicts with ${p}.LR_MULTIPLIER: give BASE_LR or LR_MULTIPLIER, not both`);
    }
    if (g.BASE_LR !== undefined && g.LR_SCHEDULER.BASE_LR !== undefined) {
      throw err(`${p}.LR_SCHEDULER.BASE_LR`, `conflicts with ${p}.BASE_LR: give the group's base LR once`);
    }
    checkScheduler(c.LR_SCHEDULER, 'LR_SCHEDULER', g.LR_SCHEDULER, `${p}.LR_SCHEDULER`, err);
  });

  // Stages
  const s1 = c.STAGES.STAGE1;
  if (s1.ENABLED && !c.STAGES.SKIP_STAGE1) {
    if (s1.EPOCHS < 1) throw err('STAGES.STAGE1.EPOCHS', 'must be >= 1 when STAGES.STAGE1.ENABLED is true, got 0');
    if (c.TRAIN.MAX_STEPS === undefined && s1.EPOCHS >= c.TRAIN.EPOCHS) {
      throw err(
        'STAGES.STAGE1.EPOCHS',
        `must be less than TRAIN.EPOCHS (${c.TRAIN.EPOCHS}, the total over both stages), got ${s1.EPOCHS}`,
      );
    }
  }

  // Validation
  const comps = c.DATA.META_COMPONENTS;
  const checkComponents = (path: string, list: string[]) => {
    if (comps.length === 0) return;
    list.forEach((name, i) => {
      if (!comps.includes(name)) {
        throw err(`${path}[${i}]`, `unknown component '${name}' (DATA.META_COMPONENTS: ${comps.join(', ')})`);
      }
    });
  };
  const v = c.SCHEDULE.VALIDATION;
  const pmm = v.PARTIAL_MASK_META;
  const pmmPath = 'SCHEDULE.VALIDATION.PARTIAL_MASK_META';
  if (pmm.ENABLED) {
    if (pmm.INTERVAL_STEPS === undefined && pmm.INTERVAL_FRACTION === undefined && pmm.INTERVAL_EPOCHS === undefined) {
      throw err(`${pmmPath}.ENABLED`, 'needs one of INTERVAL_STEPS, INTERVAL_FRACTION, INTERVAL_EPOCHS');
    }
    if (pmm.WHITELIST.length === 0) throw err(`${pmmPath}.WHITELIST`, 'must list at least one component combination when ENABLED');
  }
  pmm.WHITELIST.forEach((combo, i) => checkComponents(`${pmmPath}.WHITELIST[${i}]`, combo));
  const fe = v.FINAL_EPOCH;
  if (fe.EXHAUSTIVE_PARTIAL_META_VALIDATION && fe.EXHAUSTIVE_META_COMPONENTS.length === 0) {
    throw err(
      'SCHEDULE.VALIDATION.FINAL_EPOCH.EXHAUSTIVE_META_COMPONENTS',
      'must list at least one component when EXHAUSTIVE_PARTIAL_META_VALIDATION is true',
    );
  }
  checkComponents('SCHEDULE.VALIDATION.FINAL_EPOCH.EXHAUSTIVE_META_COMPONENTS', fe.EXHAUSTIVE_META_COMPONENTS);

  // Meta-masking and mixup
  const mm = c.SCHEDULE.META_MASKING;
  checkRamp(mm, 'SCHEDULE.META_MASKING', raw, err);
  checkRamp(c.SCHEDULE.MIXUP.PROB, 'SCHEDULE.MIXUP.PROB', raw, err);
  const pm = mm.PARTIAL;
  const pmPath = 'SCHEDULE.META_MASKING.PARTIAL';
  if (pm.START_FRACTION >= pm.END_FRACTION) {
    throw err(
      `${pmPath}.START_FRACTION`,
      `must be less than ${pmPath}.END_FRACTION (${pm.END_FRACTION}), got ${pm.START_FRACTION}: the window [START_FRACTION, END_FRACTION) is empty`,
    );
  }
  if (pm.ENABLED && pm.WHITELIST.length === 0) throw err(`${pmPath}.WHITELIST`, 'must list at least one component combination when ENABLED');
  if (pm.WEIGHTS !== undefined) {
    if (pm.WEIGHTS.length !== pm.WHITELIST.length) {
      throw err(
        `${pmPath}.WEIGHTS`,
        `has ${pm.WEIGHTS.length} entries but ${pmPath}.WHITELIST has ${pm.WHITELIST.length}: give one weight per WHITELIST entry`,
      );
    }
    if (pm.WEIGHTS.length > 0 && pm.WEIGHTS.every((w) => w === 0)) throw err(`${pmPath}.WEIGHTS`, 'must not all be 0');
  }
  if (pm.ENABLED && pm.START_PROB !== pm.END_PROB && pm.PROB_END_STEPS === undefined && pm.PROB_END_FRACTION === undefined && pm.PROB_END_EPOCHS === undefined) {
    throw err(`${pmPath}.END_PROB`, 'differs from START_PROB: give one of PROB_END_STEPS, PROB_END_FRACTION, PROB_END_EPOCHS to say when it is reached');
  }
  pm.WHITELIST.forEach((combo, i) => checkComponents(`${pmPath}.WHITELIST[${i}]`, combo));
}

function checkRamp(r: ProbabilityRampConfig, path: string, raw: unknown, err: ErrorFactory): void {
  if (!r.ENABLED) return;
  if (!given(raw, `${path}.START_PROB`) && !given(raw, `${path}.END_PROB`)) {
    throw err(`${path}.START_PROB`, 'missing: give START_PROB and END_PROB when ENABLED is true');
  }
  if (r.START_PROB !== r.END_PROB && r.END_STEPS === undefined && r.END_FRACTION === undefined && r.END_EPOCHS === undefined) {
    throw err(`${path}.END_PROB`, 'differs from START_PROB: give one of END_STEPS, END_FRACTION, END_EPOCHS to say when it is reached');
  }
}

const WARMUP_KEYS = ['WARMUP_STEPS', 'WARMUP_FRACTION', 'WARMUP_EPOCHS'] as const;

/** Checks the scheduler `base` overridden by `over` as it will run; errors name the key's origin. */
function checkScheduler(
  base: SchedulerKeys,
  basePath: string,
  over: Partial<SchedulerKeys>,
  overPath: string,
  err: ErrorFactory,
): void {
  const s = effectiveScheduler(base, over);
  const from = (k: keyof SchedulerKeys) => `${over[k] !== undefined ? overPath : basePath}.${k}`;
  const oneOfMissing = (prefix: string, plural = false) => {
    const keys = plural
      ? [`${prefix}_STEPS`, `${prefix}_FRACTIONS`, `${prefix}_EPOCHS`]
      : [`${prefix}_STEPS`, `${prefix}_FRACTION`, `${prefix}_EPOCHS`];
    if (keys.every((k) => (s as unknown as Record<string, unknown>)[k] === undefined)) {
      throw err(from('NAME'), `scheduler '${s.NAME}' needs one of ${keys.map((k) => `${overPath}.${k}`).join(', ')}`);
    }
  };
  const warmupKey = WARMUP_KEYS.find((k) => s[k] !== undefined);
  switch (s.NAME) {
    case 'onecycle':
      if (warmupKey !== undefined && (s[warmupKey] as number) > 0) {
        const inherited = over[warmupKey] === undefined && overPath !== basePath;
        throw err(
          from(warmupKey),
          `not allowed with scheduler 'onecycle' (${from('NAME')}), which warms up by itself over PCT_START; ` +
            (inherited ? `set ${overPath}.WARMUP_STEPS: 0 or choose another scheduler` : 'remove it or choose another scheduler'),
        );
      }
      // WARMUP_LR written next to NAME: onecycle (an inherited one is simply unused).
      if (s.WARMUP_LR !== undefined && from('WARMUP_LR') === `${from('NAME').slice(0, -'.NAME'.length)}.WARMUP_LR`) {
        throw err(
          from('WARMUP_LR'),
          `not allowed with scheduler 'onecycle' (${from('NAME')}), which starts from BASE_LR / DIV_FACTOR; remove it or choose another scheduler`,
        );
      }
      break;
    case 'step':
      oneOfMissing('DECAY');
      break;
    case 'multistep':
      oneOfMissing('MILESTONES', true);
      break;
    case 'cosine_restart':
      oneOfMissing('RESTART');
      break;
    case 'inverse_sqrt':
      if (warmupKey === undefined || (s[warmupKey] as number) <= 0) {
        throw err(from('NAME'), `scheduler 'inverse_sqrt' needs a warmup: give one of ${WARMUP_KEYS.map((k) => `${overPath}.${k}`).join(', ')} > 0`);
      }
      break;
    case 'wsd':
      if (s.STABLE_DURATION_FRACTION + s.DECAY_DURATION_FRACTION > 1 + 1e-12) {
        throw err(
          from('DECAY_DURATION_FRACTION'),
          `STABLE_DURATION_FRACTION + DECAY_DURATION_FRACTION must be <= 1, got ${s.STABLE_DURATION_FRACTION} + ${s.DECAY_DURATION_FRACTION}`,
        );
      }
      break;
    default:
      break;
  }
}
