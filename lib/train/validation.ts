/**
 * Validation (SCHEDULE.VALIDATION): at the steps the event plan names, the plain pass over the
 * validation split and its metadata-masking variants (mask-meta, partial combinations, the final
 * epoch's exhaustive ones), each logged under its split name. The plain pass's metrics, as
 * val_<name>, are what the monitor, the checkpoints and the epoch line see.
 */
import type { MetricsRecord } from '../logging';
import { EVENT } from '../schedule';
import { comboName, evalBatches, evaluateSplit, type EvalPassOptions, type EvalPlan } from './evaluate';
import type { LoopComponent, LoopContext, StepOutcome } from './loop-parts';
import type { StepDone } from './pipeline';
import { finiteOrNull } from './state';
import type { IndexedBatch } from '../native/types';
import type { LogSinks } from './train-log';

export const VALIDATION_FLAGS = EVENT.VALIDATION | EVENT.MASK_META_VALIDATION | EVENT.PARTIAL_MASK_META_VALIDATION | EVENT.EXHAUSTIVE_META_VALIDATION;

interface Pass extends EvalPassOptions {
  split: string;
}

export class Validation implements LoopComponent {
  private checkedMetricNames = false;
  /** Each pass's batches are a function of the pass alone: built once. */
  private readonly batches = new Map<string, IndexedBatch[]>();

  constructor(
    private readonly ctx: LoopContext,
    private readonly plan: EvalPlan | null,
    private readonly sinks: LogSinks,
    private readonly monitorName: string,
  ) {}

  /** The plateau scheduler and early stopping act on what validation finds. */
  holdsAfter(flags: number): boolean {
    return (flags & VALIDATION_FLAGS) !== 0;
  }

  async afterStep(done: StepDone, outcome: StepOutcome): Promise<void> {
    if (!(done.flags & VALIDATION_FLAGS)) return;
    const { schedule, state } = this.ctx;
    // Only masked-token pretraining validates its own objective; a supervised stage 1 validates the task.
    const stage1 = schedule.stages[schedule.stageIndexAt(done.k)].name === 'stage1' && this.ctx.config.STAGES.STAGE1.OBJECTIVE === 'masked_tokens';
    const v = await this.validate(done.flags, done.step, done.epoch, stage1);
    outcome.validated = v;
    if (v !== null) {
      state.metrics = v;
      outcome.monitored = v[this.monitorName];
    }
  }

  private passesAt(flags: number, stage1: boolean): Pass[] {
    const plan = this.plan as EvalPlan;
    const eventPlan = this.ctx.schedule.eventPlan;
    const hasMeta = plan.data.metaDim > 0 && !stage1;
    const passes: Pass[] = [];
    if (flags & EVENT.VALIDATION) passes.push({ split: 'val', maskedComponents: [], stage1 });
    if (hasMeta && flags & EVENT.MASK_META_VALIDATION) passes.push({ split: 'val_mask_meta', maskedComponents: plan.data.metaComponents.map((c) => c.name), stage1 });
    if (hasMeta && flags & EVENT.PARTIAL_MASK_META_VALIDATION) {
      for (const combo of eventPlan.partialCombinations) passes.push({ split: `val_partial_mask_meta/${comboName(combo)}`, maskedComponents: combo, stage1 });
    }
    if (hasMeta && flags & EVENT.EXHAUSTIVE_META_VALIDATION) {
      for (const combo of eventPlan.exhaustiveCombinations) passes.push({ split: `val_exhaustive/${comboName(combo)}`, maskedComponents: combo, stage1 });
    }
    return passes;
  }

  private batchesOf(p: Pass): IndexedBatch[] {
    const key = `${p.stage1 ? 'stage1' : 'supervised'}:${p.maskedComponents.join('+')}`;
    let b = this.batches.get(key);
    if (b === undefined) {
      b = evalBatches(this.plan as EvalPlan, p);
      this.batches.set(key, b);
    }
    return b;
  }

  /** Runs the validation passes due at this step; returns the plain validation's metrics as val_<name>. */
  private async validate(flags: number, step: number, epoch: number, stage1: boolean): Promise<Record<string, number> | null> {
    if (!this.plan) return null;
    const { session, events } = this.ctx;
    let plain: Record<string, number> | null = null;
    for (const p of this.passesAt(flags, stage1)) {
      const m = await evaluateSplit(session, this.batchesOf(p));
      const record: MetricsRecord = { step, epoch, split: p.split };
      for (const [name, value] of Object.entries(m)) {
        record[name] = finiteOrNull(value);
        this.sinks.tb?.addScalar(`${p.split}/${name}`, value, step);
      }
      this.sinks.metricsLog.append(record);
      events.emit('validation', { step, epoch, split: p.split, metrics: m });
      if (p.split === 'val') plain = Object.fromEntries(Object.entries(m).map(([n, v]) => [`val_${n}`, v]));
    }
    if (plain && !this.checkedMetricNames) this.checkMetricNames(Object.keys(plain), step);
    return plain;
  }

  /** A mistyped metric name would silently disable early stopping, best and plateau. */
  private checkMetricNames(have: string[], step: number): void {
    this.checkedMetricNames = true;
    const { config, schedule, events } = this.ctx;
    const es = config.TRAIN.EARLY_STOP;
    if (!have.includes(es.METRIC) && (es.ACTIVE || config.SCHEDULE.CHECKPOINT.KEEP_TOP_N > 0)) {
      events.warn(`TRAIN.EARLY_STOP.METRIC ${es.METRIC} is not a validation metric of this run (${have.join(', ')}): early stopping and best / top-N checkpoints ignore it`);
    }
    const pm = schedule.createPlateau(schedule.stageIndexAt(Math.max(0, step - 1)))?.spec.metric;
    if (pm !== undefined && !have.includes(pm)) events.warn(`the plateau scheduler's METRIC ${pm} is not a validation metric of this run (${have.join(', ')}): the LR is never reduced`);
  }
}
