/**
 * `train-native doctor [--json]`: commander wiring only. The checks themselves (LibTorch version and
 * location, CUDA, threads, the addon's build) live in ./doctor.ts, next to the native loader's
 * owner; its status becomes the process's exit status.
 */
import { Command } from 'commander';
import { CliError } from './errors';
import type { CliIO } from './io';

/** Exit status a command asks for without failing (doctor: 1 when a check fails). */
export interface RunState {
  exitCode: number;
}

type RunDoctor = (opts: { json: boolean }) => Promise<number>;

function loadRunDoctor(): RunDoctor {
  // TODO(lead): replace with `import { runDoctor } from './doctor'` once lib/commands/doctor.ts
  // (engineer C) is merged; required lazily so this file compiles before it exists.
  let mod: { runDoctor?: RunDoctor };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('./doctor') as { runDoctor?: RunDoctor };
  } catch {
    throw new CliError('doctor is not available in this build (lib/commands/doctor.ts is missing)', 1);
  }
  if (typeof mod.runDoctor !== 'function') throw new CliError('doctor is not available in this build', 1);
  return mod.runDoctor;
}

export function doctorCommand(_io: CliIO, state: RunState): Command {
  return new Command('doctor')
    .summary('check the LibTorch installation, CUDA and the native addon')
    .description(
      'Reports the LibTorch version and where it was found, CUDA availability and devices, the ' +
        'intra-op thread count and how the addon was built. Exits 0 when the addon loads and works.',
    )
    .option('--json', 'print the report as one JSON object')
    .addHelpText('after', ['', 'Examples:', '  $ train-native doctor', '  $ train-native doctor --json > doctor.json'].join('\n'))
    .action(async (opts: { json?: boolean }) => {
      state.exitCode = await loadRunDoctor()({ json: opts.json === true });
    });
}
