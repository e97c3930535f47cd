/**
 * LoopState: everything a run carries from one step to the next that is not in the weights, the
 * optimizer or the session's RNG — exactly what trainer_state.json stores (state.ts), the rest of
 * that file being derived from the step. The loop's components read and change it; a checkpoint
 * writes it (`toTrainerState`) and a resume reads it back (`LoopState.resumed`).
 */
import type { EarlyStopping, PlateauScheduler, Schedule } from '../schedule';
import { finiteOrNull, metricsFromJson, metricsToJson, TRAINER_STATE_FORMAT, type LossAccumulator, type TrainerState } from './state';

/** What a checkpoint adds to the loop state: things only the session or the moment know. */
export interface CheckpointFacts {
  /** The session's RNG state, base64 (rank 0's when distributed). */
  rng: string;
  /** Distributed: every rank's RNG state, base64, in rank order. */
  rngRanks?: string[];
  configHash: string;
  monitored: { name: string; value: number } | null;
  stopReason: string | null;
}

export class LoopState {
  /** Optimizer steps done: the plan index after the last step that ran. */
  step = 0;
  /** The step to run next: `step`, or stage 2's first step after a stage-1 early stop. */
  nextStep = 0;
  earlyStop: EarlyStopping;
  /** The stage the early-stop state belongs to: each stage is watched on its own. */
  earlyStopStage = 0;
  plateau: PlateauScheduler | null = null;
  /** The stage the plateau scheduler belongs to; -1 = none. */
  plateauStage = -1;
  /** Loss since the last LOG_STEP and since the epoch began (the logged means). */
  logLoss: LossAccumulator = { sum: 0, count: 0 };
  epochLoss: LossAccumulator = { sum: 0, count: 0 };
  lastGradNorm: number | null = null;
  /** The newest plain validation's metrics (val_loss, …). */
  metrics: Record<string, number> = {};
  /** Saved with every checkpoint: the settings a later resume compares (resume-plan.ts). */
  scheduleKeys: Record<string, string> = {};
  /** The checkpoint a re-based or weights-only run started from (kept through its own resumes). */
  source: TrainerState['source'];

  private constructor(private readonly schedule: Schedule) {
    this.earlyStop = schedule.createEarlyStopping();
  }

  static fresh(schedule: Schedule): LoopState {
    return new LoopState(schedule);
  }

  static resumed(schedule: Schedule, st: TrainerState): LoopState {
    const s = new LoopState(schedule);
    s.step = st.step;
    s.nextStep = st.nextStep;
    s.earlyStop.restoreState(st.earlyStop);
    s.earlyStopStage = st.stageIndex;
    if (st.plateau && st.plateauStage >= 0) {
      s.plateau = schedule.createPlateau(st.plateauStage);
      s.plateau?.restoreState(st.plateau);
      s.plateauStage = st.plateauStage;
    }
    s.logLoss = { ...st.logLoss };
    s.epochLoss = { ...st.epochLoss };
    s.lastGradNorm = st.lastGradNorm;
    s.metrics = metricsFromJson(st.metrics);
    s.source = st.source;
    return s;
  }

  /**
   * A resume with a changed configuration (SPEC §15): the counters continue from the checkpoint;
   * plateau, early stopping and the logged means start fresh (the stage entered at the first step
   * creates them).
   */
  static rebased(schedule: Schedule, st: TrainerState, source: NonNullable<TrainerState['source']>): LoopState {
    const s = new LoopState(schedule);
    s.step = st.step;
    s.nextStep = st.nextStep;
    s.earlyStopStage = -1;
    s.source = source;
    return s;
  }

  /** Step k begins stage `si`: early stopping and the plateau scheduler start over unless they belong to it already. */
  enterStage(si: number): void {
    if (this.earlyStopStage !== si) {
      this.earlyStop = this.schedule.createEarlyStopping();
      this.earlyStopStage = si;
    }
    if (this.plateauStage !== si) {
      this.plateau = this.schedule.createPlateau(si);
      this.plateauStage = this.plateau ? si : -1;
    }
  }

  /** Step k done: the loss (when it was read back and finite) joins the running means. */
  stepDone(k: number, loss: number | null, gradNorm: number | null): void {
    this.step = k + 1;
    this.nextStep = k + 1;
    if (loss === null) return;
    this.logLoss.sum += loss;
    this.logLoss.count++;
    this.epochLoss.sum += loss;
    this.epochLoss.count++;
    this.lastGradNorm = gradNorm;
  }

  /** Every group's LR for step k (the last step's once the run is over), by group name. */
  lrsAt(k: number): Record<string, number> {
    const { schedule } = this;
    const T = schedule.totalSteps;
    const now = k < T ? schedule.lrInto(k, new Float64Array(schedule.groups.length), this.plateau) : schedule.groups.map((_, i) => schedule.lr(T - 1, i));
    return Object.fromEntries(schedule.groups.map((g, i) => [g, now[i]]));
  }

  /** Index of the stage of the last step done (a stage-1 end checkpoint is a stage-1 checkpoint). */
  lastStageIndex(): number {
    const T = this.schedule.totalSteps;
    return this.schedule.stageIndexAt(Math.min(Math.max(this.step - 1, 0), T - 1));
  }

  toTrainerState(facts: CheckpointFacts): TrainerState {
    const { schedule, step } = this;
    // The epoch the next step belongs to, and how far into it the run is (an epoch end: the next, at 0).
    const at = schedule.epochAt(step);
    const si = this.lastStageIndex();
    return {
      format: TRAINER_STATE_FORMAT,
      step,
      nextStep: this.nextStep,
      epoch: at.epoch + 1,
      stage: schedule.stages[si].name,
      stageIndex: si,
      totalSteps: schedule.totalSteps,
      sampler: { epoch: at.epoch, batch: (step - at.start) * schedule.timeBase.accumulationSteps },
      rng: facts.rngRanks !== undefined && facts.rngRanks.length > 1 ? { native: facts.rng, ranks: facts.rngRanks } : { native: facts.rng },
      plateau: this.plateau ? this.plateau.exportState() : null,
      plateauStage: this.plateauStage,
      earlyStop: this.earlyStop.exportState(),
      logLoss: { ...this.logLoss },
      epochLoss: { ...this.epochLoss },
      lastGradNorm: this.lastGradNorm,
      metrics: metricsToJson(this.metrics),
      monitored: facts.monitored === null ? null : { name: facts.monitored.name, value: finiteOrNull(facts.monitored.value) },
      lrs: this.lrsAt(step),
      configHash: facts.configHash,
      scheduleKeys: this.scheduleKeys,
      ...(this.source ? { source: this.source } : {}),
      stopReason: facts.stopReason,
      savedAt: new Date().toISOString(),
    };
  }
}

/** A running mean; NaN when nothing was added. */
export function meanOf(a: LossAccumulator): number {
  return a.count > 0 ? a.sum / a.count : Number.NaN;
}
