/**
 * Logging (SCHEDULE.METRICS, LOGGING): the console progress and the train records of
 * metrics.jsonl / TensorBoard at their intervals (StepLog), and the epoch's end — its console
 * line, weight and gradient histograms, flushing the logs (EpochLog).
 */
import { formatEpochLine, type MetricsLog, type MetricsRecord, type TensorBoardWriter } from '../logging';
import type { TensorEntry } from '../native/types';
import { EVENT } from '../schedule';
import type { LoopComponent, LoopContext, StepOutcome } from './loop-parts';
import { meanOf } from './loop-state';
import type { NonFiniteGuard } from './non-finite';
import type { StepDone } from './pipeline';
import { finiteOrNull, type LossAccumulator } from './state';

/** Where metrics lines go: metrics.jsonl (MetricsLog) on rank 0, nowhere on the other ranks. */
export type MetricsSink = Pick<MetricsLog, 'append' | 'flush' | 'close'>;

export interface LogSinks {
  metricsLog: MetricsSink;
  tb: TensorBoardWriter | null;
}

function asFloat32(e: TensorEntry): Float32Array | null {
  if (e.dtype !== 'F32') return null;
  const d = e.data;
  // A view when aligned, else a copy (Float32Array needs a 4-byte aligned offset).
  return d.byteOffset % 4 === 0 ? new Float32Array(d.buffer, d.byteOffset, d.byteLength / 4) : new Float32Array(d.slice().buffer);
}

export class StepLog implements LoopComponent {
  constructor(
    private readonly ctx: LoopContext,
    private readonly sinks: LogSinks,
  ) {}

  afterStep(done: StepDone, _outcome: StepOutcome): void {
    const { schedule, state, out } = this.ctx;
    const { step, epoch, flags, lrs, result } = done;
    const lr = lrs[schedule.groups[0]];
    out.update({ epochStep: done.k - schedule.epochAt(done.k).start + 1, globalStep: step, loss: result.loss, lr, print: (flags & EVENT.LOG_CONSOLE) !== 0 });
    if (flags & EVENT.LOG_STEP) {
      this.logTrain(step, epoch, state.logLoss, state.lastGradNorm, lrs);
      state.logLoss = { sum: 0, count: 0 };
    }
    const tb = this.sinks.tb;
    if (flags & EVENT.LOG_LR && tb) for (const g of schedule.groups) tb.addScalar(`lr/${g}`, lrs[g], step);
  }

  private logTrain(step: number, epoch: number, acc: LossAccumulator, gradNorm: number | null, lrs: Record<string, number>): void {
    const loss = meanOf(acc);
    const record: MetricsRecord = { step, epoch, split: 'train', loss: finiteOrNull(loss), grad_norm: gradNorm === null ? null : finiteOrNull(gradNorm) };
    const groups = Object.keys(lrs);
    record.lr = lrs[groups[0]];
    for (const g of groups.slice(1)) record[`lr_${g}`] = lrs[g];
    this.sinks.metricsLog.append(record);
    const tb = this.sinks.tb;
    if (tb) {
      if (acc.count > 0) tb.addScalar('train/loss', loss, step);
      if (gradNorm !== null) tb.addScalar('train/grad_norm', gradNorm, step);
    }
  }
}

export class EpochLog implements LoopComponent {
  constructor(
    private readonly ctx: LoopContext,
    private readonly sinks: LogSinks,
    private readonly guard: NonFiniteGuard,
  ) {}

  /** Histograms read the weights after the epoch's last step. */
  holdsAfter(flags: number): boolean {
    return (flags & EVENT.EPOCH_END) !== 0;
  }

  async afterStep(done: StepDone, _outcome: StepOutcome): Promise<void> {
    if (!(done.flags & EVENT.EPOCH_END)) return;
    const { config, schedule, state, out, session } = this.ctx;
    const { tb, metricsLog } = this.sinks;
    out.endEpoch();
    out.line(formatEpochLine(done.epoch, meanOf(state.epochLoss), Object.entries(state.metrics), done.lrs[schedule.groups[0]]));
    const skipped = this.guard.skippedSteps;
    if (skipped > 1) this.ctx.events.warn(`${skipped} steps with a non-finite loss were skipped so far`);
    const hi = config.LOGGING.HISTOGRAM_INTERVAL_EPOCHS;
    if (tb && hi > 0 && done.epoch % hi === 0) await this.histograms(tb, done.step);
    tb?.flush();
    await metricsLog.flush();
    state.epochLoss = { sum: 0, count: 0 };
    if (!this.ctx.onCpu && config.TRAIN.EMPTY_CACHE !== 'never') await session.emptyCache();
  }

  private async histograms(tb: TensorBoardWriter, step: number): Promise<void> {
    const [weights, gradients] = await Promise.all([this.ctx.session.getState(), this.ctx.session.getGradients()]);
    for (const e of weights) {
      const v = asFloat32(e);
      if (v && v.length > 0) tb.addHistogram(`weights/${e.name}`, v, step);
    }
    for (const e of gradients) {
      const v = asFloat32(e);
      if (v && v.length > 0) tb.addHistogram(`gradients/${e.name}`, v, step);
    }
  }
}
