/**
 * `train-native doctor [--json]`: commander wiring only. The checks themselves (LibTorch version and
 * location, CUDA, threads, the addon's build, a smoke step) live in ./doctor.ts; its status becomes
 * the process's exit status. ./doctor is required when the command runs, not at start-up, so the
 * other commands never load the native side's modules (`schedule` is a dry run without native code).
 */
import { Command } from 'commander';
import type { CliIO } from './io';
import type * as DoctorModule from './doctor';

/** Exit status a command asks for without failing (doctor: 1 when a check fails). */
export interface RunState {
  exitCode: number;
  /** The command line being run (process.argv form), for messages that repeat it. */
  argv?: readonly string[];
}

export function doctorCommand(io: CliIO, state: RunState): Command {
  return new Command('doctor')
    .summary('check the LibTorch installation, CUDA and the native addon')
    .description(
      'Reports whether the native addon loads (and why not), the LibTorch version and where it was found, ' +
        'CUDA availability and devices, the intra-/inter-op thread counts and how the addon was built, ' +
        'then runs one tiny training step on the CPU. Exits 0 when the addon loads and the step works, 1 otherwise.',
    )
    .option('--json', 'print the report as one JSON object')
    .addHelpText('after', ['', 'Examples:', '  $ train-native doctor', '  $ train-native doctor --json > doctor.json'].join('\n'))
    .action(async (opts: { json?: boolean }) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runDoctor } = require('./doctor') as typeof DoctorModule;
      state.exitCode = await runDoctor({ json: opts.json === true }, io);
    });
}
