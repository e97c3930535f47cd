/**
 * The contract between the loop and its components. The loop queues steps and hands each result
 * to every component in order; a component, built from its own config section, decides whether
 * it acts at that step (log, validate, watch a metric, change stage, save). What one component
 * decides for the step and a later one needs travels in the StepOutcome.
 */
import type { TrainNativeConfig } from '../config/types';
import type { ConsoleReporter } from '../logging';
import type { NativeSession } from '../native/types';
import type { Schedule } from '../schedule';
import type { LoopState } from './loop-state';
import type { StepDone } from './pipeline';
import type { RunStatus, TrainerEvents } from './types';

/** How the run ends. */
export interface RunEnd {
  status: RunStatus;
  reason: string | null;
}

/** What the components decided about one step, in the order they run. */
export interface StepOutcome {
  /** The step's gradient norm or loss was not finite (its update was masked). */
  nonFinite: boolean;
  /** Nothing more is to be done for this step (the run stops without a checkpoint). */
  abandoned: boolean;
  /** The plain validation's metrics as val_<name>, when validated at this step. */
  validated: Record<string, number> | null;
  /** The monitored metric's value, when validated at this step. */
  monitored: number | undefined;
  /** Early stopping's reason, when it fired at this step. */
  stopReason: string | null;
  /** A stage-1 early stop: the step to continue with (stage 2's first). */
  jumpTo: number | null;
  end: RunEnd | null;
}

export function newOutcome(): StepOutcome {
  return { nonFinite: false, abandoned: false, validated: null, monitored: undefined, stopReason: null, jumpTo: null, end: null };
}

/** Where components report to: the Trainer's events and its console. */
export interface RunEvents {
  emit<K extends keyof TrainerEvents>(event: K, payload: TrainerEvents[K]): void;
  warn(message: string): void;
}

/** What every component may use. */
export interface LoopContext {
  config: TrainNativeConfig;
  schedule: Schedule;
  session: NativeSession;
  state: LoopState;
  out: ConsoleReporter;
  events: RunEvents;
  onCpu: boolean;
}

export interface LoopComponent {
  /**
   * True when the result of the step that sets these EVENT bits must be handled before anything
   * after it is queued: the component's action there changes what follows or reads the weights.
   */
  holdsAfter?(flags: number, step: number): boolean;
  /** Step k is about to be queued. */
  beforeStep?(k: number): Promise<void> | void;
  /** Step `done` ran; act on it if this component's config says so. */
  afterStep?(done: StepDone, outcome: StepOutcome): Promise<void> | void;
}
