/**
 * Two-stage training (seeds 002, 003): which parameters train at a given step. Stage 1 pretrains
 * the encoder on masked tokens; stage 2 trains the supervised head with the encoder frozen
 * (FREEZE_BASE), thawed top-down one block per stage-2 epoch (PROGRESSIVE_UNFREEZE) or jointly.
 *
 * Trainability is a pure function of the step, so a resumed run re-derives it instead of saving it.
 * The Stages component acts at stage and epoch starts (stage events, trainability, the console's
 * epoch) and when early stopping fires (in stage 1 it ends pretraining, not the run).
 */
import type { TrainNativeConfig } from '../config/types';
import type { StageSpan } from '../schedule/lr/plan';
import type { LoopComponent, LoopContext, StepOutcome } from './loop-parts';
import type { StepDone } from './pipeline';

/** Globs for NativeSession.setTrainable, applied in order after everything is made trainable. */
export interface Trainability {
  /** For logs ("encoder frozen", "top 2 of 4 blocks thawed"); distinct labels = distinct states. */
  label: string;
  frozen: string[];
  thawed: string[];
}

const ALL: Trainability = { label: 'all parameters train', frozen: [], thawed: [] };

/**
 * PROGRESSIVE_UNFREEZE, stage-2 epoch j (0-based): j = 0 trains the head only; j = 1 also the top
 * block and the final norm; j = i thaws the top i blocks; once every block is thawed (j = L + 1)
 * the embeddings follow and the whole model trains.
 */
export function trainabilityAt(config: TrainNativeConfig, stage: StageSpan, step: number, stepsPerEpoch: number): Trainability {
  if (stage.name !== 'stage2') return ALL;
  const s2 = config.STAGES.STAGE2;
  if (s2.FREEZE_BASE) return { label: 'encoder frozen (STAGES.STAGE2.FREEZE_BASE)', frozen: ['encoder.*'], thawed: [] };
  if (!s2.PROGRESSIVE_UNFREEZE) return ALL;
  const layers = config.MODEL.NUM_LAYERS;
  const j = Math.floor((step - stage.start) / stepsPerEpoch);
  if (j > layers) return { label: 'all blocks and embeddings thawed', frozen: [], thawed: [] };
  const thawed: string[] = [];
  for (let i = layers - j; i < layers; i++) thawed.push(`encoder.layers.${i}.*`);
  if (j >= 1) thawed.push('encoder.ln_f.*');
  return { label: j === 0 ? 'encoder frozen (head only)' : `top ${j} of ${layers} blocks thawed`, frozen: ['encoder.*'], thawed };
}

export class Stages implements LoopComponent {
  /** The stage of the step queued last (-1: none yet). */
  private stageIndex = -1;
  private trainability: Trainability | null = null;
  /** The first step queued in this session of the run (a resume may start mid-epoch). */
  private first = true;

  constructor(private readonly ctx: LoopContext) {}

  /** Stages and trainability change only at stage and epoch starts, which follow a held step. */
  async beforeStep(k: number): Promise<void> {
    const { config, schedule, state, session, out, events } = this.ctx;
    const spe = schedule.stepsPerEpoch;
    const si = schedule.stageIndexAt(k);
    const stage = schedule.stages[si];
    if (si !== this.stageIndex) {
      this.stageIndex = si;
      state.enterStage(si);
      if (stage.name !== 'main') {
        events.emit('stage', { step: k, stage: stage.name });
        out.line(`${stage.name === 'stage1' ? 'stage 1: masked-token pretraining of the encoder' : 'stage 2: supervised training'} (steps ${stage.start + 1}–${stage.end})`);
      }
    }
    if (k % spe !== 0 && !this.first) return;
    this.first = false;
    const want = trainabilityAt(config, stage, k, spe);
    if (this.trainability?.label !== want.label) {
      await session.setTrainable(['*'], true);
      if (want.frozen.length) await session.setTrainable(want.frozen, false);
      if (want.thawed.length) await session.setTrainable(want.thawed, true);
      if (this.trainability !== null || want.frozen.length) out.line(`step ${k}: ${want.label}`);
      this.trainability = want;
    }
    const epoch = schedule.epochOfStep(k);
    out.startEpoch(epoch, schedule.timeBase.epochs, Math.min(spe, schedule.totalSteps - (epoch - 1) * spe), stage.name === 'main' ? undefined : stage.name);
  }

  /** Early stopping fired: stage 1 hands over to stage 2 (the loss means start over); otherwise the run ends. */
  afterStep(done: StepDone, outcome: StepOutcome): void {
    const stop = outcome.stopReason;
    if (stop === null) return;
    const { schedule, state, out } = this.ctx;
    const si = schedule.stageIndexAt(done.k);
    const next = schedule.stages[si].name === 'stage1' ? schedule.stages[si + 1] : undefined;
    if (next === undefined) {
      out.line(`early stop at step ${done.step}: ${stop}`);
      outcome.end = { status: 'early_stopped', reason: stop };
      return;
    }
    out.line(`stage 1 stopped early at step ${done.step}: ${stop}; stage 2 starts (steps ${next.start + 1}–${next.end})`);
    state.logLoss = { sum: 0, count: 0 };
    state.epochLoss = { sum: 0, count: 0 };
    state.nextStep = next.start;
    outcome.jumpTo = next.start;
  }
}
