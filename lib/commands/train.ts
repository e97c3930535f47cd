/**
 * `train-native train [CONFIG]`: the main job. Loads the config (default: the built-in quickstart),
 * trains with progress on stdout (a bar on a terminal, plain lines otherwise), and turns the ways a
 * run can end into exit statuses: 0 finished or early-stopped, 1 a runtime failure (non-finite
 * loss, corrupt checkpoint, no LibTorch), 2 bad input (config, data), 130 stopped by Ctrl-C after
 * writing a resumable checkpoint. A second Ctrl-C quits at once; checkpoint writes are atomic, so
 * that never leaves a half-written checkpoint behind.
 */
import { Command } from 'commander';
import { distEnvSets, loadConfig, shorthandValuesFromOptions } from '../config';
import type { ProgressMode } from '../logging';
import { addConfigOptions, type ConfigCliOptions } from './config-options';
import type { RunState } from './doctor-command';
import { CliError } from './errors';
import { CliIO, processIO } from './io';
import { describeIoError } from '../checkpoint/io-error';

export interface TrainCliOptions extends ConfigCliOptions {
  autoResume?: boolean;
  progress?: string;
  runDir?: string;
  force?: boolean;
}

const PROGRESS_MODES = ['auto', 'bar', 'plain', 'none'];

/**
 * The native OOM message is "out of memory: <LibTorch's message>\nSuggestions: …": the CLI prints
 * one line, so both parts go on it (the suggestions are the useful part).
 */
export function outOfMemoryMessage(nativeMessage: string): string {
  const lines = nativeMessage.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const what = (lines[0] ?? '').replace(/^(out of memory: )+/, '');
  const suggestions = lines.find((l) => l.startsWith('Suggestions:')) ?? 'Suggestions: lower DATA.BATCH_SIZE (and raise TRAIN.ACCUMULATION_STEPS to keep the effective batch).';
  return `out of memory: ${what}. ${suggestions}`;
}

/** Errors a person caused or can fix, by class name (the classes live in modules loaded lazily). */
function asCliError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  if (err.name === 'DataError' || err.name === 'RunLocationError' || err.name === 'RunLockedError') return new CliError(err.message, 2);
  if (err.name === 'CheckpointError' || err.name === 'NativeLoadError') return new CliError(err.message, 1);
  if (err.name === 'RankZeroFailedError') return new CliError(err.message, (err as Error & { status: number }).status);
  const code = (err as { code?: string }).code;
  // A peer exited or hung (the message names the rank): a runtime failure.
  if (code === 'ERR_NATIVE_DIST') return new CliError(err.message, 1);
  if (code === 'ERR_NATIVE_OOM') return new CliError(outOfMemoryMessage(err.message), 1);
  if (code === 'ERR_NATIVE_INVALID_ARG') return new CliError(err.message, 2);
  const io = describeIoError(err);
  if (io !== null) return new CliError(`${io}; complete checkpoints are untouched: fix this and continue with --auto-resume`, 1);
  return err;
}

/** Shell-quotes one word for a command people copy (POSIX single quotes when needed). */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that continues a stopped run: the same words (config, --set, flags), without any
 * resume flag, plus `--resume-from RUN_DIR` — which continues that very run wherever it was
 * written (NAME-2, --run-dir, --output-dir).
 */
export function continueCommand(args: readonly string[], runDir: string): string {
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--auto-resume' || a.startsWith('--resume-from=')) continue;
    if (a === '--resume-from') {
      i++;
      continue;
    }
    words.push(a);
  }
  return ['train-native', ...words, '--resume-from', runDir].map(shellWord).join(' ');
}

export async function runTrain(configArg: string | undefined, opts: TrainCliOptions, io: CliIO, state: RunState, args: readonly string[] = []): Promise<void> {
  if (opts.progress !== undefined && !PROGRESS_MODES.includes(opts.progress)) {
    throw new CliError(`--progress must be one of ${PROGRESS_MODES.join(', ')}, got ${opts.progress}`, 2);
  }
  // torchrun's contract: RANK, WORLD_SIZE, … from the environment, under the command line's --set.
  const sets = [...distEnvSets(process.env), ...(opts.set ?? [])];
  if (opts.autoResume) sets.push('TRAIN.AUTO_RESUME=true');
  if (opts.progress) sets.push(`LOGGING.PROGRESS=${opts.progress}`);
  // Loaded on use, so that the other commands (`schedule` is a dry run) never require the native layer.
  const { Trainer } = await import('../train');
  const { config } = loadConfig({ file: configArg, sets, flags: shorthandValuesFromOptions(opts) });

  const controller = new AbortController();
  let interrupts = 0;
  // Shells report death by signal N as 128 + N: 130 for Ctrl-C (SIGINT), 143 for SIGTERM.
  let stopStatus = 130;
  // With several processes rank 0 speaks for all of them (the others' exit status still tells).
  const speaks = config.DIST.RANK === 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      stopStatus = signal === 'SIGTERM' ? 143 : 130;
      if (speaks) io.stderr(`\nstopping after ${config.DIST.WORLD_SIZE > 1 ? 'a step all ranks agree on' : 'this step'} and saving a checkpoint (${signal === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C'} again to quit now)\n`);
      controller.abort();
    } else {
      process.exit(stopStatus);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Progress goes to stdout: a bar when that is a terminal, plain lines when it is a file or pipe.
  const stream = {
    write: (s: string) => {
      io.stdout(s);
      return true;
    },
    isTTY: io === processIO && process.stdout.isTTY === true,
    columns: process.stdout.columns,
  };
  const trainer = new Trainer({ config, signal: controller.signal, progress: config.LOGGING.PROGRESS as ProgressMode, stream, runDir: opts.runDir, force: opts.force === true });
  try {
    const r = await trainer.run();
    const { shownPath } = await import('../train/run-setup');
    const where = shownPath(r.runDir, process.cwd());
    const best =
      (r.best ? `; best ${r.best.metric} ${r.best.value.toPrecision(4)} at ${r.best.checkpoint}` : '') +
      (r.sync ? (r.sync.current ? '; remote copy current' : '; remote copy NOT current (see the warnings)') : '');
    if (r.status === 'completed' || r.status === 'already_complete') {
      if (speaks) io.stdout(`done: ${r.step}/${r.totalSteps} steps${best}. Run directory: ${where}\n`);
    } else if (r.status === 'early_stopped') {
      if (speaks) io.stdout(`early stopped at step ${r.step}: ${r.reason}${best}. Run directory: ${where}\n`);
    } else if (r.status === 'aborted') {
      // Several processes continue the way they started: every rank again (launch shown).
      const again = continueCommand(args, where);
      const hint = config.DIST.WORLD_SIZE > 1 ? again.replace(/^train-native /, `train-native launch --nproc-per-node ${config.DIST.LOCAL_WORLD_SIZE}${config.DIST.WORLD_SIZE > config.DIST.LOCAL_WORLD_SIZE ? ' …' : ''} -- `) : again;
      if (speaks) io.stderr(`stopped at step ${r.step}; continue with: ${hint}\n`);
      state.exitCode = stopStatus;
    } else {
      io.stderr(`train-native: training failed: ${r.reason}\n`);
      state.exitCode = 1;
    }
  } catch (err) {
    throw asCliError(err);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function trainCommand(io: CliIO = processIO, state: RunState = { exitCode: 0 }): Command {
  const cmd = new Command('train')
    .summary('train a model as a config says (default: the built-in quickstart)')
    .description(
      'Trains as CONFIG says and writes the run directory OUTPUT_DIR/NAME (SPEC §10): config.yaml, ' +
        'assets/schedule_summary.txt, metrics.jsonl, tensorboard/ and checkpoints/. A new run never ' +
        'overwrites an earlier one (it takes NAME-2, NAME-3, …); --auto-resume continues the newest ' +
        'complete checkpoint of OUTPUT_DIR/NAME, --resume-from a given one. Ctrl-C stops after the ' +
        'current step and saves a checkpoint to resume from.',
    )
    .argument('[CONFIG]', 'YAML config file (default: the built-in quickstart config)')
    .option('--auto-resume', 'continue the newest complete checkpoint of the run directory (sets TRAIN.AUTO_RESUME)')
    .option('--progress <mode>', 'auto (bar on a terminal), bar, plain or none (sets LOGGING.PROGRESS)')
    .option('--run-dir <dir>', 'write to exactly this run directory instead of OUTPUT_DIR/NAME')
    .option('--force', 'train even when the model or data is estimated not to fit in this machine\'s memory');
  addConfigOptions(cmd);
  cmd.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ train-native train                                 # the quickstart: ~30 s on 2 CPU cores',
      '  $ train-native train my.yaml --epochs 20 --lr 3e-4',
      '  $ train-native train my.yaml --auto-resume           # continue after a crash or Ctrl-C',
      '  $ train-native train my.yaml --skip-stage1 --resume-from runs/pre/checkpoints/step-00001000',
      '  $ train-native plot runs/quickstart                  # training curves as SVG',
    ].join('\n'),
  );
  cmd.action(async (configArg: string | undefined, opts: TrainCliOptions) => {
    // The words after `train`, for the "continue with" hint.
    const raw = state.argv ?? process.argv;
    const at = raw.indexOf('train');
    await runTrain(configArg, opts, io, state, at >= 0 ? raw.slice(at) : ['train']);
  });
  return cmd;
}
