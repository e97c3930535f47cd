/**
 * Command-line shorthands for config keys (SPEC §9; the seed's flags). The CLI registers each with
 * commander (`commander` is the option string to pass) and hands the parsed values to
 * `loadConfig({ flags })`. Precedence, lowest first: the file, then `--set`, then these flags.
 */
import { SCHEDULER_NAMES } from './types';

export type ShorthandFlag =
  | 'lr'
  | 'stage2-lr'
  | 'scheduler'
  | 'min-lr'
  | 'warmup-epochs'
  | 't-mult'
  | 'epochs'
  | 'batch-size'
  | 'accumulation-steps'
  | 'resume-from'
  | 'skip-stage1'
  | 'stage1-epochs'
  | 'stage2-batch-size'
  | 'progressive-unfreeze'
  | 'weights-only'
  | 'output-dir'
  | 'sync-command'
  | 'use-expandable-segments';

export interface ShorthandSpec {
  /** Flag name without dashes, the key of `loadConfig`'s `flags`. */
  name: ShorthandFlag;
  /** Option string for commander: `--lr <float>`; a boolean flag takes no value. */
  commander: string;
  /** Property under which commander stores the value (camelCase of the name). */
  attribute: string;
  /** The config key the flag sets. */
  keyPath: string;
  type: 'number' | 'integer' | 'string' | 'boolean';
  /** For --help. */
  description: string;
}

const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function flag(name: ShorthandFlag, keyPath: string, type: ShorthandSpec['type'], valueName: string, description: string): ShorthandSpec {
  return {
    name,
    commander: type === 'boolean' ? `--${name}` : `--${name} <${valueName}>`,
    attribute: camel(name),
    keyPath,
    type,
    description: `${description} (sets ${keyPath})`,
  };
}

export const SHORTHAND_FLAGS: readonly ShorthandSpec[] = [
  flag('lr', 'LR_SCHEDULER.BASE_LR', 'number', 'float', 'base learning rate'),
  flag('stage2-lr', 'STAGES.STAGE2.LR_SCHEDULER.BASE_LR', 'number', 'float', 'stage-2 base learning rate (default: --lr)'),
  flag('scheduler', 'LR_SCHEDULER.NAME', 'string', 'name', `LR scheduler: ${SCHEDULER_NAMES.join(', ')}`),
  flag('min-lr', 'LR_SCHEDULER.MIN_LR', 'number', 'float', 'minimum learning rate of the decay'),
  flag(
    'warmup-epochs',
    'LR_SCHEDULER.WARMUP_EPOCHS',
    'number',
    'epochs',
    'warmup length in epochs, replacing WARMUP_STEPS / WARMUP_FRACTION; stage 2 inherits it unless it sets its own warmup',
  ),
  flag('t-mult', 'LR_SCHEDULER.T_MULT', 'integer', 'int', 'cosine_restart: cycle length multiplier'),
  flag('epochs', 'TRAIN.EPOCHS', 'integer', 'int', 'training epochs (total over both stages)'),
  flag('batch-size', 'DATA.BATCH_SIZE', 'integer', 'int', 'batch size per process'),
  flag('accumulation-steps', 'TRAIN.ACCUMULATION_STEPS', 'integer', 'int', 'micro-batches per optimizer step'),
  flag('resume-from', 'TRAIN.RESUME_FROM', 'string', 'dir', 'resume from this checkpoint'),
  flag('skip-stage1', 'STAGES.SKIP_STAGE1', 'boolean', '', 'skip stage 1 and go straight to stage 2'),
  flag('stage1-epochs', 'STAGES.STAGE1.EPOCHS', 'integer', 'int', 'stage-1 epochs, part of --epochs (stage 1 needs STAGES.STAGE1.ENABLED)'),
  flag('stage2-batch-size', 'STAGES.STAGE2.BATCH_SIZE', 'integer', 'int', 'stage-2 batch size per process (default: --batch-size)'),
  flag('progressive-unfreeze', 'STAGES.STAGE2.PROGRESSIVE_UNFREEZE', 'boolean', '', 'thaw the frozen base one block per stage-2 epoch, from the top'),
  flag('weights-only', 'TRAIN.RESUME_WEIGHTS_ONLY', 'boolean', '', 'with --resume-from: load the weights alone, start optimizer, counters and schedule fresh'),
  flag('output-dir', 'EXPERIMENT.OUTPUT_DIR', 'string', 'dir', 'parent folder of run directories'),
  flag('use-expandable-segments', 'TRAIN.EXPANDABLE_SEGMENTS', 'boolean', '', "CUDA: the caching allocator's expandable segments (seed 003's flag)"),
  flag('sync-command', 'SCHEDULE.CHECKPOINT.SYNC.COMMAND', 'string', 'cmd', 'copy the run directory after each checkpoint, e.g. "rclone sync {run_dir} b2:bucket/runs/{run_name}"'),
];

/** Picks the shorthand values out of commander's parsed options object (`cmd.opts()`). */
export function shorthandValuesFromOptions(opts: Record<string, unknown>): Partial<Record<ShorthandFlag, string | number | boolean>> {
  const out: Partial<Record<ShorthandFlag, string | number | boolean>> = {};
  for (const f of SHORTHAND_FLAGS) {
    const v = opts[f.attribute];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[f.name] = v;
  }
  return out;
}
