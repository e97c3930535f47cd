/**
 * `train-native generate-checkpoints [CONFIG]`: prints the generated checkpoint plan of SPEC §4
 * (seed 001) for the config's epoch length, whether or not the config uses GENERATE; the flags
 * replace the SCHEDULE.CHECKPOINT.GENERATE keys they name.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CheckpointGenerateConfig } from '../config/types';
import { dryRunSamples } from './dry-run-samples';
import { generateCheckpointPlan, GENERATE_DEFAULTS, planInput, resolveTimeBase, type CheckpointPlanOverrides } from '../schedule';
import { checkpointPlanJson, CheckpointPlanView, renderCheckpointPlan } from '../render';
import { addConfigOptions, ConfigCliOptions, loadCommandConfig } from './config-options';
import { CliIO, processIO } from './io';

export interface GenerateCheckpointsCliOptions extends ConfigCliOptions, CheckpointPlanOverrides {
  json?: boolean;
}

function wholeNumber(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number >= ${min}.`);
    return n;
  };
}

function numberAbove(min: number, inclusive: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || (inclusive ? n < min : n <= min)) {
      throw new InvalidArgumentError(`expected a number ${inclusive ? '>=' : '>'} ${min}.`);
    }
    return n;
  };
}

/** The plan for a loaded config and flag overrides, as the renderers take it. */
export function checkpointPlanView(
  gen: CheckpointGenerateConfig,
  time: { stepsPerEpoch: number; epochs: number; totalSteps: number },
  overrides: CheckpointPlanOverrides,
): CheckpointPlanView {
  const input = planInput(gen, time, overrides);
  const plan = generateCheckpointPlan(input);
  const spe = time.stepsPerEpoch;
  return {
    steps_per_epoch: spe,
    total_steps: time.totalSteps,
    settings: {
      first_epoch_checkpoints: input.firstEpochCheckpoints,
      spacing: input.spacing,
      log_base: input.logBase,
      linear_interval: input.linearInterval ?? Math.max(1, Math.floor(spe / 10)),
      min_checkpoint_interval: input.minInterval,
    },
    epochs: plan.map((steps, e) => ({
      epoch: e + 1,
      start: e === 0 ? 0 : e * spe + 1,
      end: Math.min((e + 1) * spe, time.totalSteps),
      steps,
    })),
  };
}

export function runGenerateCheckpoints(
  configArg: string | undefined,
  opts: GenerateCheckpointsCliOptions,
  io: CliIO = processIO,
): void {
  const { config } = loadCommandConfig(configArg, opts);
  const time = resolveTimeBase(config, dryRunSamples(config));
  const gen = config.SCHEDULE.CHECKPOINT.GENERATE ?? GENERATE_DEFAULTS;
  const view = checkpointPlanView(gen, time, {
    firstEpoch: opts.firstEpoch,
    spacing: opts.spacing,
    logBase: opts.logBase,
    linearInterval: opts.linearInterval,
    minInterval: opts.minInterval,
  });
  io.stdout(opts.json ? JSON.stringify(checkpointPlanJson(view)) + '\n' : renderCheckpointPlan(view));
}

export function generateCheckpointsCommand(io: CliIO = processIO): Command {
  const cmd = new Command('generate-checkpoints')
    .summary('print the generated checkpoint plan (dense first epoch, log/linear spacing after)')
    .description(
      "Prints the checkpoint steps of SCHEDULE.CHECKPOINT.GENERATE for the config's epoch length: " +
        'evenly spaced points through epoch 1 (step 0 = the untrained model), then log- or ' +
        'linear-spaced points from the start of every later epoch, and every epoch end. Works for any ' +
        'config (GENERATE defaults are used when the config checkpoints another way); the flags below ' +
        'override the GENERATE keys. CONFIG defaults to the packaged configs/quickstart.yaml.',
    )
    .argument('[CONFIG]', 'YAML config file (default: the built-in quickstart config)')
    .option('--first-epoch <N>', 'checkpoints in the first epoch, step 0 included (FIRST_EPOCH_CHECKPOINTS)', wholeNumber(0))
    .addOption(
      new Option('--spacing <TYPE>', 'spacing in later epochs (SUBSEQUENT_EPOCHS_SPACING)').choices(['linear', 'log']),
    )
    .option('--log-base <B>', 'log spacing: offsets grow by B^i (LOG_BASE)', numberAbove(1, true))
    .option('--linear-interval <N>', 'linear spacing: steps between checkpoints (LINEAR_INTERVAL)', wholeNumber(1))
    .option('--min-interval <N>', 'drop later-epoch points closer than N steps (MIN_CHECKPOINT_INTERVAL)', numberAbove(0, true))
    .option('--json', 'print the plan as one JSON object');
  addConfigOptions(cmd);
  cmd.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ train-native generate-checkpoints configs/quickstart.yaml',
      '  $ train-native generate-checkpoints my.yaml --first-epoch 10',
      '  $ train-native generate-checkpoints my.yaml --spacing linear --linear-interval 200',
      '  $ train-native generate-checkpoints my.yaml --spacing log --log-base 3 --min-interval 0 --json',
    ].join('\n'),
  );
  cmd.action((configArg: string | undefined, opts: GenerateCheckpointsCliOptions) => {
    runGenerateCheckpoints(configArg, opts, io);
  });
  return cmd;
}
