/**
 * N for the dry runs (`schedule`, `generate-checkpoints`): DATA.TRAIN_SAMPLES, else counted from
 * the data files without loading them (lib/data/count.ts). A file that cannot be read is the
 * user's to fix: exit 2 with the one-line data error.
 */
import type { TrainNativeConfig } from '../config/types';
import { countTrainSamples } from '../data/count';
import { DataError } from '../data/errors';
import { CliError } from './errors';

export function dryRunSamples(config: TrainNativeConfig, cwd: string = process.cwd()): number | undefined {
  if (config.DATA.TRAIN_SAMPLES !== undefined) return config.DATA.TRAIN_SAMPLES;
  try {
    return countTrainSamples(config, cwd);
  } catch (err) {
    if (err instanceof DataError) throw new CliError(err.message, 2);
    throw err;
  }
}
