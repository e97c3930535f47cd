/**
 * `train-native build [--libtorch PATH] [--debug]`: builds the native addon from scratch, in the
 * package's own build/ folder (inside node_modules when train-native is a dependency), against the
 * LibTorch it finds. It is the one command that makes an installed package train, whether or not
 * npm ran the package's install script. The build itself is scripts/build-native.js (shared with
 * `npm run build:native` and the install script); this module checks the options and turns the
 * outcome into an exit status: 2 for a --libtorch folder that holds no LibTorch, 1 for a failed build.
 */
import { existsSync, statSync } from 'fs';
import { join, resolve } from 'path';
import { Command } from 'commander';
import { CliError } from './errors';
import { CliIO, processIO } from './io';

export interface BuildCliOptions {
  libtorch?: string;
  debug?: boolean;
}

type BuildOutcome =
  | { ok: true; file: string; seconds: number }
  | { ok: false; kind: 'tool-missing' | 'build-failed' | 'does-not-load'; problem: string };

/** scripts/build-native.js, seen from TypeScript. */
interface NativeBuilder {
  buildAddon(options: { libtorch?: string; debug?: boolean; outDir?: string; clean?: boolean }): BuildOutcome;
  LIBTORCH_HELP: readonly string[];
}

/** Where TorchConfig.cmake sits below a LibTorch folder: unpacked zip or pip torch, Debian's /usr. */
const TORCH_CONFIG_DIRS = ['', 'share/cmake/Torch', 'Torch', 'lib/cmake/Torch', `lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/cmake/Torch`];

/** The folder holding TorchConfig.cmake for a --libtorch PATH, or a CliError (status 2) saying what is wrong. */
export function resolveLibtorch(given: string, cwd: string = process.cwd()): string {
  const dir = resolve(cwd, given);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`--libtorch ${given}: no such folder`, 2);
  for (const sub of TORCH_CONFIG_DIRS) {
    const candidate = join(dir, sub);
    if (existsSync(join(candidate, 'TorchConfig.cmake'))) return candidate;
  }
  throw new CliError(
    `--libtorch ${given}: no LibTorch there (no share/cmake/Torch/TorchConfig.cmake); give an unpacked LibTorch's folder or a pip torch's ` +
      `(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')`,
    2,
  );
}

function loadBuilder(): NativeBuilder {
  // Lives in scripts/ because npm's install script runs it before dist/ exists; from here it is
  // ../../scripts/ both in lib/commands (ts-jest) and in dist/commands (the package).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(__dirname, '..', '..', 'scripts', 'build-native.js')) as NativeBuilder;
}

/** Builds; returns the exit status. The build's output (cmake, the compiler) goes to stdout/stderr. */
export function runBuild(opts: BuildCliOptions, io: CliIO = processIO): number {
  const libtorch = opts.libtorch === undefined ? undefined : resolveLibtorch(opts.libtorch);
  const builder = loadBuilder();
  const outDir = process.env.TRAIN_NATIVE_BUILD_DIR;
  const result = builder.buildAddon({ libtorch, debug: opts.debug === true, outDir, clean: true });
  if (!result.ok) {
    io.stderr(`train-native: the native addon was not built: ${result.problem}.\n`);
    // A build that failed without --libtorch most often found no LibTorch: say how to get one.
    if (result.kind === 'build-failed' && !libtorch) io.stderr(builder.LIBTORCH_HELP.map((l) => `  ${l}\n`).join(''));
    return 1;
  }
  io.stdout(`train-native: built ${result.file} in ${result.seconds.toFixed(0)} s; \`npx train-native doctor\` reports what it was built with.\n`);
  const override = process.env.TRAIN_NATIVE_ADDON;
  if (override && resolve(override) !== result.file) io.stdout(`note: TRAIN_NATIVE_ADDON=${override} is set, so train-native loads that file, not this build.\n`);
  return 0;
}

export function buildCommand(io: CliIO, state: { exitCode: number }): Command {
  return new Command('build')
    .summary('build (or rebuild) the native addon against the LibTorch it finds')
    .description(
      'Builds the native addon from scratch with cmake-js into the package\'s build/ folder, so that training works ' +
        'whether or not npm ran the install script. Needs cmake, a C++ compiler and LibTorch. LibTorch is looked for in ' +
        'this order: --libtorch PATH (or LIBTORCH / Torch_DIR), a Python torch (python3, then /usr/bin/python3), the ' +
        'system\'s (Debian\'s libtorch-dev). Exits 0 when the addon is built and loads, 1 otherwise.',
    )
    .option('--libtorch <path>', 'a LibTorch folder: an unpacked LibTorch zip, or a pip torch\'s package folder')
    .option('--debug', 'a Debug build (build/Debug) instead of Release')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ npx train-native build',
        '  $ npx train-native build --libtorch "$(python3 -c \'import torch,os;print(os.path.dirname(torch.__file__))\')"',
        '  $ npx train-native build --libtorch ~/libtorch --debug',
      ].join('\n'),
    )
    .action((opts: BuildCliOptions) => {
      state.exitCode = runBuild(opts, io);
    });
}
