#!/usr/bin/env node
/**
 * The `train-native` command line (SPEC §11): commander wiring and the one place that turns
 * errors into exit statuses (SPEC §8):
 *   - ConfigError (the user's config) → its message alone on stderr, exit 2, no stack;
 *   - usage errors from commander (unknown option, bad flag value) → commander's message, exit 2;
 *   - CliError (an actionable failure, e.g. an unwritable output path) → its message and status;
 *   - a file-system error (ENOSPC, EACCES, ENOTDIR, EROFS, …) → the operation and path, exit 1;
 *   - anything else is a bug → "train-native: internal error: …", exit 1; the stack only with
 *     TRAIN_NATIVE_DEBUG=1.
 * Exit statuses are set through `process.exitCode`, never `process.exit()`, so a large `--json`
 * document written to a pipe is flushed completely.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { Command, CommanderError } from 'commander';
import { ConfigError } from './config/errors';
import { CliError } from './commands/errors';
import { describeIoError } from './checkpoint/io-error';
import { CliIO, processIO } from './commands/io';
import { scheduleCommand } from './commands/schedule';
import { generateCheckpointsCommand } from './commands/generate-checkpoints';
import { doctorCommand, RunState } from './commands/doctor-command';
import { trainCommand } from './commands/train';
import { plotCommand } from './commands/plot';
import { buildCommand } from './commands/build';
import { predictCommand } from './commands/predict';
import { evaluateCommand } from './commands/evaluate';
import { generateCommand } from './commands/generate';
import { exportCommand } from './commands/export';
import { launchCommand } from './commands/launch';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(io: CliIO = processIO, state: RunState = { exitCode: 0 }): Command {
  const program = new Command('train-native');
  program
    .description('Train neural networks from Node.js through a C++ LibTorch core.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run with --help for usage)')
    // `launch … -- train CONFIG --flags`: the words after launch's own options belong to the ranks.
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
    })
    // Throw instead of exiting so main() decides the status (2 for usage errors).
    .exitOverride();
  // Settings above are inherited by commands added below.
  program.addCommand(inherit(program, trainCommand(io, state)));
  program.addCommand(inherit(program, launchCommand(io, state)));
  program.addCommand(inherit(program, scheduleCommand(io)));
  program.addCommand(inherit(program, generateCheckpointsCommand(io)));
  program.addCommand(inherit(program, predictCommand(io)));
  program.addCommand(inherit(program, evaluateCommand(io)));
  program.addCommand(inherit(program, generateCommand(io)));
  program.addCommand(inherit(program, exportCommand(io)));
  program.addCommand(inherit(program, plotCommand(io)));
  program.addCommand(inherit(program, doctorCommand(io, state)));
  program.addCommand(inherit(program, buildCommand(io, state)));
  program.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ train-native train                         # train the built-in quickstart config',
      '  $ train-native train my.yaml --auto-resume   # continue a stopped run',
      '  $ train-native launch --nproc-per-node 2 -- train my.yaml   # data parallel on 2 processes',
      '  $ train-native predict runs/quickstart --input x.npy   # predictions (CSV)',
      '  $ train-native evaluate runs/quickstart --json         # metrics + confusion matrix',
      '  $ train-native generate runs/lm --prompt "Once"        # gpt: continue a prompt',
      '  $ train-native plot runs/quickstart          # training curves (SVG)',
      '  $ train-native schedule                      # the built-in quickstart config',
      '  $ train-native schedule my.yaml --plot lr.svg',
      '  $ train-native generate-checkpoints my.yaml --first-epoch 10 --json',
      '  $ train-native doctor --json',
      '  $ train-native build                         # (re)build the native addon',
      '',
      'Run `train-native <command> --help` for a command\'s options.',
    ].join('\n'),
  );
  return program;
}

/** Commands built with `new Command()` do not inherit; copy the program's output and exit handling. */
function inherit(program: Command, cmd: Command): Command {
  cmd.copyInheritedSettings(program);
  return cmd;
}

function isConfigError(err: unknown): err is Error {
  return err instanceof ConfigError || (err instanceof Error && err.name === 'ConfigError');
}

/** Runs the CLI and returns the exit status. */
export async function main(argv: string[] = process.argv, io: CliIO = processIO): Promise<number> {
  const state: RunState = { exitCode: 0, argv };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync(argv);
    return state.exitCode;
  } catch (err) {
    return reportError(err, io);
  }
}

export function reportError(err: unknown, io: CliIO = processIO): number {
  if (err instanceof CommanderError) {
    // commander has already printed its message (or the help / version text).
    return err.exitCode === 0 ? 0 : 2;
  }
  if (isConfigError(err)) {
    // One line: a multi-line message (e.g. a YAML excerpt) keeps only its first line.
    io.stderr(`${err.message.split('\n')[0]}\n`);
    return 2;
  }
  if (err instanceof Error && err.name === 'DataError') {
    // A data file the user named is wrong or missing (e.g. `schedule` counting samples): bad input.
    io.stderr(`train-native: ${err.message.split('\n')[0]}\n`);
    return 2;
  }
  if (err instanceof CliError) {
    io.stderr(`train-native: ${err.message.split('\n')[0]}\n`);
    return err.exitCode;
  }
  const ioProblem = describeIoError(err);
  if (ioProblem !== null) {
    io.stderr(`train-native: ${ioProblem}\n`);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  const debug = process.env.TRAIN_NATIVE_DEBUG === '1';
  io.stderr(`train-native: internal error: ${message.split('\n')[0]}${debug ? '' : ' (TRAIN_NATIVE_DEBUG=1 shows the stack)'}\n`);
  if (debug && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
  return 1;
}

if (require.main === module) {
  // `train-native schedule --json | head` closes the pipe early: stop quietly, as other CLIs do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  void main().then((code) => {
    process.exitCode = code;
  });
}
