/**
 * TRAIN.ON_NONFINITE. A step whose gradient norm is not finite never reaches the weights: the
 * session masks its update (on CUDA on the device, without a sync). `stop` asks the session to
 * halt, so the steps already queued behind a bad one change nothing, and ends the run when the
 * loop next reads a result (every step on CPU); `skip` carries on and says so once, then in sums.
 */
import type { StepResult } from '../native/types';
import type { LoopComponent, LoopContext, StepOutcome } from './loop-parts';
import type { StepDone } from './pipeline';

/** True when the step's update was masked or its loss is not finite. */
export function isNonFinite(r: StepResult): boolean {
  return r.nonFinite === true || r.halted || (r.loss !== null && !Number.isFinite(r.loss));
}

export class NonFiniteGuard implements LoopComponent {
  private skipped = 0;
  /** The last step read back with finite values (where a CUDA halt is known to start after). */
  private lastGood = 0;

  constructor(
    private readonly ctx: LoopContext,
    private readonly lastSaved: () => number,
  ) {}

  /** The session's StepOptions.onNonFinite for this config. */
  static sessionMode(onNonFinite: 'stop' | 'skip'): 'halt' | 'skip' {
    return onNonFinite === 'stop' ? 'halt' : 'skip';
  }

  /** Steps skipped so far in this session of the run. */
  get skippedSteps(): number {
    return this.skipped;
  }

  afterStep(done: StepDone, outcome: StepOutcome): void {
    const r = done.result;
    if (!isNonFinite(r)) {
      if (r.loss !== null) this.lastGood = done.step;
      return;
    }
    outcome.nonFinite = true;
    const what = r.halted
      ? `non-finite gradient norm at a step between ${this.lastGood + 1} and ${done.step}`
      : `non-finite ${r.loss !== null && !Number.isFinite(r.loss) ? `loss (${r.loss})` : `gradient norm (${r.gradNorm})`} at step ${done.step}`;
    if (this.ctx.config.TRAIN.ON_NONFINITE === 'stop') {
      const saved = this.lastSaved();
      const kept = saved >= 0 ? `the last checkpoint (step ${saved}) is intact` : 'no checkpoint was written';
      const reason = `${what}: the update was not applied and training stopped (TRAIN.ON_NONFINITE: skip would skip such steps); ${kept}`;
      this.ctx.events.emit('earlyStop', { step: done.step, code: 'non_finite_loss', reason });
      this.ctx.out.line(reason);
      outcome.abandoned = true;
      outcome.end = { status: 'non_finite_loss', reason };
      return;
    }
    this.skipped++;
    // The first skip is news; a stream of them is summarised at the epoch's end.
    if (this.skipped === 1) this.ctx.events.warn(`${what}: step skipped (TRAIN.ON_NONFINITE: skip)`);
  }
}
