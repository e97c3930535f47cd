/**
 * The shape of `train-native schedule CONFIG --json` (SPEC §7): the contract between the schedule
 * engine, which produces it, and everything that renders it (human summary, text chart, SVG).
 */
export interface ScheduleJson {
  total_steps: number;
  steps_per_epoch: number;
  epochs: number;
  effective_batch_size: number;
  /** lr[group][k] = learning rate used by optimizer step k; group "default" always present. */
  lr: Record<string, number[]>;
  /** Global steps at which each event happens ("at step s" = after the step making global_step == s). */
  events: {
    validation: number[];
    mask_meta_validation: number[];
    partial_mask_meta_validation: number[];
    checkpoint: number[];
  };
  /** Value at each step k = 0 … T-1; all zeros when the feature is disabled. */
  probabilities: {
    meta_mask: number[];
    partial_meta_mask: number[];
    mixup: number[];
  };
  warnings: string[];
  /**
   * Optional: the stages of a two-stage run (absent for a single-stage run). Optimizer steps
   * start_step … end_step-1 belong to the stage; global_step runs on across stages.
   */
  stages?: Array<{ name: 'stage1' | 'stage2' | 'main'; start_step: number; end_step: number }>;
  /** Optional: the component combinations of the final-epoch exhaustive validation at total_steps. */
  exhaustive_meta_combinations?: string[][];
}

/** One resolved parameter for the human summary: what was given and what it became. */
export interface ResolvedValue {
  /** Key path as written in the config, e.g. `LR_SCHEDULER.WARMUP_FRACTION`. */
  key: string;
  /** What the user wrote (or the default), e.g. 0.05. */
  given: number | string;
  /** Resolved optimizer steps, when the value is a duration or a point in time. */
  steps?: number;
  /** The same in epochs (steps / steps_per_epoch). */
  epochs?: number;
}
