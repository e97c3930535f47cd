/**
 * What watches the validated metric (TRAIN.EARLY_STOP, the plateau LR scheduler of
 * LR_SCHEDULER): at each validation point the plateau scheduler sees its metric (and may lower
 * the LR of the steps after it) and early stopping checks its limits. Their state lives in the
 * LoopState, one stage at a time.
 */
import type { LoopComponent, LoopContext, StepOutcome } from './loop-parts';
import { meanOf } from './loop-state';
import type { StepDone } from './pipeline';
import { VALIDATION_FLAGS } from './validation';

export class Monitor implements LoopComponent {
  constructor(private readonly ctx: LoopContext) {}

  /** The plateau changes the LR of later steps; early stopping may end the run or the stage. */
  holdsAfter(flags: number): boolean {
    return (flags & VALIDATION_FLAGS) !== 0;
  }

  afterStep(done: StepDone, outcome: StepOutcome): void {
    if (!(done.flags & VALIDATION_FLAGS)) return;
    const { state, out, events, schedule } = this.ctx;
    const v = outcome.validated;
    const plateau = state.plateau;
    if (v !== null && plateau) {
      const pv = v[plateau.spec.metric];
      if (pv !== undefined && plateau.observe(pv, done.step)) out.line(`step ${done.step}: ${plateau.spec.metric} plateaued; LR reduced (factor ${plateau.spec.factor})`);
    }
    const lr = done.lrs[schedule.groups[0]];
    const stop = state.earlyStop.check({ step: done.step, metrics: v ?? undefined, loss: meanOf(state.epochLoss), lr, gradNorm: state.lastGradNorm ?? undefined });
    if (stop) {
      events.emit('earlyStop', { step: done.step, code: state.earlyStop.stopCode ?? 'unknown', reason: stop });
      outcome.stopReason = stop;
    }
  }
}
