/**
 * The options every config-reading command shares: an optional CONFIG argument (default: the
 * packaged configs/quickstart.yaml), repeatable `--set KEY.PATH=VALUE`, and the seed's shorthand
 * flags (`--lr`, `--epochs`, …), which lib/config maps to keys. Registering them from one table
 * keeps `schedule`, `generate-checkpoints` and, later, `train` in step.
 */
import { Command } from 'commander';
import { loadConfig, SHORTHAND_FLAGS, shorthandValuesFromOptions, type LoadedConfig } from '../config';

export interface ConfigCliOptions {
  set?: string[];
  [flag: string]: unknown;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function addConfigOptions(cmd: Command): Command {
  cmd.option('--set <KEY=VALUE>', 'override any config key, e.g. --set LR_SCHEDULER.BASE_LR=3e-4 (repeatable)', collect);
  for (const f of SHORTHAND_FLAGS) cmd.option(f.commander, f.description);
  return cmd;
}

/**
 * Loads the config a command was pointed at (absent: lib/config's embedded quickstart.yaml), with
 * --set and shorthand flags applied. Throws ConfigError on any mistake.
 */
export function loadCommandConfig(configArg: string | undefined, opts: ConfigCliOptions): LoadedConfig {
  return loadConfig({ file: configArg, sets: opts.set ?? [], flags: shorthandValuesFromOptions(opts) });
}

/** What the config is called in output: the path given, or the built-in default. */
export function configLabel(configArg: string | undefined): string {
  return configArg ?? 'built-in configs/quickstart.yaml';
}
