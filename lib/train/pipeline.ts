/**
 * Steps in flight. A step's batches and LRs are known before the previous step finishes, so the
 * loop queues up to `depth` steps on the session (which runs them in order) and handles their
 * results as they come. A step whose handling can change what follows (validation feeding the
 * plateau scheduler and early stopping, a checkpoint reading the weights after it, an epoch end)
 * *holds* the pipeline: nothing after it is queued until its result has been handled. Results are
 * therefore those of running every step one after another.
 */
import type { NativeSession, StepResult } from '../native/types';
import type { PlateauScheduler, Schedule } from '../schedule';
import { batchesForStep, type BatchPlan } from './batches';

/** One step that ran, with what the loop decided for it. */
export interface StepDone {
  /** 0-based index of the step in the plan. */
  k: number;
  /** Global step after it (k + 1). */
  step: number;
  /** 1-based epoch. */
  epoch: number;
  /** EVENT bits due after it. */
  flags: number;
  lrs: Record<string, number>;
  result: StepResult;
}

interface InFlight {
  k: number;
  flags: number;
  lrs: Record<string, number>;
  holds: boolean;
  result: Promise<StepResult>;
}

export interface PipelineOptions {
  session: NativeSession;
  schedule: Schedule;
  batchPlan: BatchPlan;
  onNonFinite: 'skip' | 'halt';
  /** Read the loss back on every step (CPU: free). */
  readEveryStep: boolean;
  /** EVENT bits whose steps need their loss read back (logging). */
  readFlags: number;
}

export class StepPipeline {
  private readonly inFlight: InFlight[] = [];
  private readonly lrBuf: Float64Array;

  constructor(private readonly o: PipelineOptions) {
    this.lrBuf = new Float64Array(o.schedule.groups.length);
  }

  get size(): number {
    return this.inFlight.length;
  }

  /** True while a queued step holds the ones after it back. */
  get held(): boolean {
    return this.inFlight.length > 0 && this.inFlight[this.inFlight.length - 1].holds;
  }

  /**
   * Queues step k with its LRs (under the plateau scheduler as it is now) and batches.
   * `holds`: nothing after it may be queued until it has been handled.
   */
  queue(k: number, stageName: string, plateau: PlateauScheduler | null, holds: boolean): void {
    const { schedule, session } = this.o;
    schedule.lrInto(k, this.lrBuf, plateau);
    const lrs: Record<string, number> = {};
    for (let g = 0; g < schedule.groups.length; g++) lrs[schedule.groups[g]] = this.lrBuf[g];
    const flags = schedule.eventsAt(k + 1);
    // A decision point needs the loss and the non-finite flag; on CUDA the readback is a sync.
    const readLoss = this.o.readEveryStep || holds || (flags & this.o.readFlags) !== 0;
    const result = session.step(batchesForStep(this.o.batchPlan, k, stageName), { lrs, readLoss, onNonFinite: this.o.onNonFinite });
    // Settled in order by next(); a failure is reported there, never as an unhandled rejection.
    result.catch(() => undefined);
    this.inFlight.push({ k, flags, lrs, holds, result });
  }

  /** The oldest step's result. */
  async next(): Promise<StepDone> {
    const f = this.inFlight.shift();
    if (!f) throw new Error('StepPipeline.next: no step in flight');
    const result = await f.result;
    return { k: f.k, step: f.k + 1, epoch: this.o.schedule.epochOfStep(f.k), flags: f.flags, lrs: f.lrs, result };
  }

  /** Waits for the steps still in flight and drops their results (after a stop: they were halted). */
  async discard(): Promise<void> {
    const rest = this.inFlight.splice(0);
    await Promise.allSettled(rest.map((f) => f.result));
  }
}
