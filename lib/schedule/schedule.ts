/**
 * The resolved schedule of a run and its per-step query. Everything is computed once, when the
 * schedule is built (LR curves into Float64Arrays, events into one bit mask per step,
 * probabilities into Float64Arrays), so the training loop's questions ("which LRs, which events,
 * which probabilities at step k?") are array reads with no allocation.
 */
import type { TrainNativeConfig } from '../config/types';
import { EarlyStopping } from './early-stop';
import { buildEventPlan, type EventPlan } from './events';
import { buildLrPlan, createPlateau, stageIndexAt, type LrPlan, type StageSpan } from './lr/plan';
import type { PlateauScheduler } from './lr/plateau';
import { buildProbabilityPlan, rampAt, type ProbabilityPlan } from './probabilities';
import { epochIndexOf, resolveTimeBase, type TimeBase, type TimeOrigin } from './time-base';
import { collectWarnings } from './warnings';

/** Bits of `Schedule.eventsAt(step)`. */
export const EVENT = {
  VALIDATION: 1,
  MASK_META_VALIDATION: 2,
  PARTIAL_MASK_META_VALIDATION: 4,
  CHECKPOINT: 8,
  LOG_STEP: 16,
  LOG_CONSOLE: 32,
  LOG_LR: 64,
  /** The final-epoch exhaustive partial mask-meta validation (all component combinations). */
  EXHAUSTIVE_META_VALIDATION: 128,
  EPOCH_END: 256,
  /** The last step of a stage (stage 1's end: switch to stage 2). */
  STAGE_END: 512,
} as const;

export type EventFlag = (typeof EVENT)[keyof typeof EVENT];

export interface ScheduleOptions {
  /** N once the data is read; wins over DATA.TRAIN_SAMPLES. */
  trainSamples?: number;
  /**
   * A resume with a changed configuration (SPEC §15): epochs after the checkpoint's take the new
   * lengths, and the LR curves of the stage it lands in are re-based at its step.
   */
  origin?: TimeOrigin;
}

export class Schedule {
  readonly timeBase: TimeBase;
  readonly lrPlan: LrPlan;
  readonly eventPlan: EventPlan;
  readonly probabilityPlan: ProbabilityPlan;
  readonly warnings: string[];
  readonly totalSteps: number;
  readonly stepsPerEpoch: number;
  /** Group names, `default` first; index = position, as `lr(k, index)` takes it. */
  readonly groups: readonly string[];
  readonly stages: readonly StageSpan[];
  /** flags[s] = EVENT bits due at global step s (0 … total_steps). */
  private readonly flags: Uint16Array;
  private readonly curves: Float64Array[];
  private readonly metaMask: Float64Array;
  private readonly partialMetaMask: Float64Array;
  private readonly mixup: Float64Array;

  constructor(
    readonly config: TrainNativeConfig,
    options: ScheduleOptions = {},
  ) {
    const tb = resolveTimeBase(config, options.trainSamples, options.origin);
    this.timeBase = tb;
    this.totalSteps = tb.totalSteps;
    this.stepsPerEpoch = tb.stepsPerEpoch;
    this.lrPlan = buildLrPlan(config, tb, options.origin?.step);
    this.eventPlan = buildEventPlan(config, tb);
    this.probabilityPlan = buildProbabilityPlan(config, tb);
    this.groups = this.lrPlan.groups;
    this.stages = this.lrPlan.stages;
    this.curves = this.lrPlan.curves;

    const T = tb.totalSteps;
    const flags = new Uint16Array(T + 1);
    const mark = (steps: readonly number[], bit: number) => {
      for (const s of steps) flags[s] |= bit;
    };
    const ev = this.eventPlan;
    mark(ev.boundaries, EVENT.EPOCH_END);
    mark(ev.validation, EVENT.VALIDATION);
    mark(ev.maskMetaValidation, EVENT.MASK_META_VALIDATION);
    mark(ev.partialMaskMetaValidation, EVENT.PARTIAL_MASK_META_VALIDATION);
    if (ev.exhaustiveCombinations.length > 0) flags[T] |= EVENT.EXHAUSTIVE_META_VALIDATION;
    mark(ev.checkpoint, EVENT.CHECKPOINT);
    for (const st of this.stages) flags[st.end] |= EVENT.STAGE_END;
    const m = ev.metrics;
    for (let s = 1; s <= T; s++) {
      if (s % m.step === 0) flags[s] |= EVENT.LOG_STEP;
      if (s % m.console === 0) flags[s] |= EVENT.LOG_CONSOLE;
      if (s % m.lr === 0) flags[s] |= EVENT.LOG_LR;
    }
    this.flags = flags;

    const pp = this.probabilityPlan;
    const fill = (r: ProbabilityPlan['metaMask']) => {
      const a = new Float64Array(T);
      if (r.enabled) for (let k = 0; k < T; k++) a[k] = rampAt(r, k);
      return a;
    };
    this.metaMask = fill(pp.metaMask);
    this.partialMetaMask = fill(pp.partialMetaMask);
    this.mixup = fill(pp.mixup);
    this.warnings = collectWarnings(config, this);
  }

  /** LR of group `group` (index into `groups`) used by optimizer step k, 0 <= k < total_steps. */
  lr(k: number, group = 0): number {
    return this.curves[group][k];
  }

  /** The whole curve of one group (a view: do not modify). */
  lrCurve(group = 0): Float64Array {
    return this.curves[group];
  }

  /**
   * Writes every group's LR for step k into `out` (length >= groups.length) and returns it.
   * With a live plateau scheduler, plateau groups take its LR once past warmup in its stage.
   */
  lrInto(k: number, out: Float64Array, plateau: PlateauScheduler | null = null): Float64Array {
    const n = this.curves.length;
    const usePlateau = plateau !== null && k >= plateau.activeFrom && k < plateau.activeTo;
    for (let g = 0; g < n; g++) {
      out[g] = usePlateau && plateau.hasGroup(g) ? plateau.lr(g) : this.curves[g][k];
    }
    return out;
  }

  /** EVENT bits due at global step s (after the optimizer step that makes global_step == s). */
  eventsAt(s: number): number {
    return this.flags[s] | 0;
  }

  has(s: number, flag: EventFlag): boolean {
    return (this.flags[s] & flag) !== 0;
  }

  metaMaskProb(k: number): number {
    return this.metaMask[k];
  }

  partialMetaMaskProb(k: number): number {
    return this.partialMetaMask[k];
  }

  mixupProb(k: number): number {
    return this.mixup[k];
  }

  /** 1-based epoch that optimizer step k (0-based) belongs to. */
  epochOfStep(k: number): number {
    return epochIndexOf(this.timeBase.segments, k).epoch + 1;
  }

  /** The epoch of optimizer step k: 0-based index, its first step and its length in steps. */
  epochAt(k: number): { epoch: number; start: number; length: number } {
    return epochIndexOf(this.timeBase.segments, k);
  }

  /** Index into `stages` of the stage optimizer step k belongs to. */
  stageIndexAt(k: number): number {
    return stageIndexAt(this.lrPlan, k);
  }

  /** A live ReduceLROnPlateau for one stage, or null when the stage has no plateau group. */
  createPlateau(stageIndex = 0): PlateauScheduler | null {
    return createPlateau(this.lrPlan, this.timeBase, stageIndex);
  }

  createEarlyStopping(): EarlyStopping {
    return new EarlyStopping(this.config.TRAIN.EARLY_STOP, this.stepsPerEpoch);
  }
}

export function buildSchedule(config: TrainNativeConfig, options: ScheduleOptions = {}): Schedule {
  return new Schedule(config, options);
}
