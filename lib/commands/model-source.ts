/**
 * What `predict`, `evaluate` and `generate` share: the SOURCE argument with --checkpoint and
 * --device, opening the model, and turning the ways that fails into exit statuses — 2 for input a
 * person gave wrong (a path, a column, an option), 1 for a run or checkpoint that cannot be used.
 */
import { Command } from 'commander';
import type { Model } from '../inference';
import type { DeviceName } from '../native/types';
import { CliError } from './errors';

export interface ModelSourceCliOptions {
  checkpoint?: string;
  device?: string;
}

const DEVICES = ['cpu', 'cuda', 'auto'];

export function addModelSourceOptions(cmd: Command): Command {
  return cmd
    .argument('SOURCE', 'run directory (its best checkpoint), checkpoint folder, or checkpoints/best | checkpoints/latest file')
    .option('--checkpoint <which>', "with a run directory: 'best' (default; latest when there is none), 'latest' or a folder name like step-00000420")
    .option('--device <device>', 'cpu, cuda or auto (default auto)');
}

/** Input a person can correct (exit 2) vs a run that cannot be used (exit 1), by class name. */
export function asModelCliError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const inputErrors = ['InputError', 'DataError', 'ModelSourceError', 'RunLocationError'];
  if (inputErrors.includes(err.name)) return new CliError(err.message, 2);
  if (['CheckpointError', 'ModelCardError', 'NativeLoadError'].includes(err.name)) return new CliError(err.message, 1);
  const code = (err as { code?: string }).code;
  if (code === 'ERR_NATIVE_OOM') return new CliError(err.message, 1);
  if (code === 'ERR_NATIVE_INVALID_ARG') return new CliError(err.message, 2);
  return err;
}

/** A `predict` / `evaluate` / `generate` command: SOURCE, the shared options, its own, examples. */
export interface ModelCommandSpec {
  name: string;
  summary: string;
  description: string;
  options: ReadonlyArray<readonly [flags: string, description: string]>;
  examples: readonly string[];
}

export function modelCommand<O extends ModelSourceCliOptions>(spec: ModelCommandSpec, action: (source: string, opts: O) => Promise<void>): Command {
  const cmd = new Command(spec.name).summary(spec.summary).description(spec.description);
  addModelSourceOptions(cmd);
  for (const [flags, description] of spec.options) cmd.option(flags, description);
  cmd.addHelpText('after', ['', 'Examples:', ...spec.examples.map((e) => `  $ ${e}`)].join('\n'));
  cmd.action(action);
  return cmd;
}

/** Opens the model, runs `use`, disposes the model; errors become exit statuses. */
export async function withModel(source: string, opts: ModelSourceCliOptions, use: (model: Model) => Promise<void>): Promise<void> {
  const model = await openModel(source, opts);
  try {
    await use(model);
  } catch (err) {
    throw asModelCliError(err);
  } finally {
    await model.dispose();
  }
}

export async function openModel(source: string, opts: ModelSourceCliOptions): Promise<Model> {
  if (opts.device !== undefined && !DEVICES.includes(opts.device)) throw new CliError(`--device must be one of ${DEVICES.join(', ')}, got ${opts.device}`, 2);
  // Loaded on use: the other commands never need the native layer.
  const { loadModel } = await import('../inference');
  try {
    return await loadModel(source, { checkpoint: opts.checkpoint, device: opts.device as DeviceName | undefined });
  } catch (err) {
    throw asModelCliError(err);
  }
}

/** A whole-number option value, or exit 2 naming the flag. */
export function intOption(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new CliError(`${flag} must be an integer >= ${min}, got ${v}`, 2);
  return n;
}

export function numberOption(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new CliError(`${flag} must be a number, got ${v}`, 2);
  return n;
}
