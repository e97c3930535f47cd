/**
 * `train-native generate-checkpoints CONFIG [flags]`: the generated plan for a config, with the
 * command's flags replacing SCHEDULE.CHECKPOINT.GENERATE's keys (defaults when GENERATE is absent,
 * so the command also previews a plan for a config that uses another checkpoint method).
 */
import type { CheckpointGenerateConfig, TrainNativeConfig } from '../config/types';
import { generateCheckpointPlan, planInput, type CheckpointPlanOverrides } from './checkpoint-plan';
import { resolveTimeBase } from './time-base';

/**
 * SCHEDULE.CHECKPOINT.GENERATE's defaults (the config definition's; a unit test keeps them equal),
 * for configs that use another checkpoint method.
 */
export const GENERATE_DEFAULTS: CheckpointGenerateConfig = {
  FIRST_EPOCH_CHECKPOINTS: 20,
  SUBSEQUENT_EPOCHS_SPACING: 'log',
  LOG_BASE: 2,
  MIN_CHECKPOINT_INTERVAL: 100,
};

export function checkpointPlanFromConfig(
  config: TrainNativeConfig,
  overrides: CheckpointPlanOverrides = {},
  options: { trainSamples?: number } = {},
): { stepsPerEpoch: number; totalSteps: number; epochs: number[][] } {
  const tb = resolveTimeBase(config, options.trainSamples);
  const gen = config.SCHEDULE.CHECKPOINT.GENERATE ?? GENERATE_DEFAULTS;
  const plan = generateCheckpointPlan(planInput(gen, tb, overrides));
  return { stepsPerEpoch: tb.stepsPerEpoch, totalSteps: tb.totalSteps, epochs: plan };
}
