/**
 * Output of `train-native generate-checkpoints` (SPEC §4, seed 001): one line per epoch with its
 * step range and checkpoint steps, a total, and the same as JSON.
 */

export interface CheckpointPlanEpoch {
  /** 1-based epoch number, as people read it. */
  epoch: number;
  /** First and last global step of the epoch's range (epoch 1 starts at 0: the untrained model). */
  start: number;
  end: number;
  /** Checkpoint global steps in this epoch, ascending. */
  steps: number[];
}

export interface CheckpointPlanSettings {
  first_epoch_checkpoints: number;
  spacing: 'log' | 'linear';
  log_base: number;
  /** The interval used for linear spacing (after defaulting to floor(steps_per_epoch / 10)). */
  linear_interval: number;
  min_checkpoint_interval: number;
}

export interface CheckpointPlanView {
  steps_per_epoch: number;
  total_steps: number;
  settings: CheckpointPlanSettings;
  epochs: CheckpointPlanEpoch[];
}

/** The --json document: the view plus every step in one list and the count. */
export interface CheckpointPlanJson extends CheckpointPlanView {
  steps: number[];
  count: number;
}

export function checkpointPlanJson(view: CheckpointPlanView): CheckpointPlanJson {
  const all = Array.from(new Set(view.epochs.flatMap((e) => e.steps))).sort((a, b) => a - b);
  return { ...view, steps: all, count: all.length };
}

/** Text form: a header, "Epoch 1 (0-333): [0, 17, …]" per epoch, and the total. */
export function renderCheckpointPlan(view: CheckpointPlanView): string {
  const s = view.settings;
  const json = checkpointPlanJson(view);
  const later =
    s.spacing === 'log' ? `log spacing (base ${s.log_base})` : `linear spacing (every ${s.linear_interval} steps)`;
  const lines = [
    `Checkpoint plan: ${view.epochs.length} epoch${view.epochs.length === 1 ? '' : 's'} × ${view.steps_per_epoch} steps = ${view.total_steps} steps`,
    `First epoch: ${s.first_epoch_checkpoints} checkpoints; later epochs: ${later}; minimum interval ${s.min_checkpoint_interval}`,
    '',
    ...view.epochs.map((e) => `Epoch ${e.epoch} (${e.start}-${e.end}): [${e.steps.join(', ')}]`),
    '',
    `Total: ${json.count} checkpoint${json.count === 1 ? '' : 's'}`,
  ];
  return lines.join('\n') + '\n';
}
