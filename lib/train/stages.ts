/**
 * Two-stage training (seeds 002, 003): which parameters train at a given step. Stage 1 pretrains
 * the encoder on masked tokens (seed 003) or trains the task with its base frozen (seed 002,
 * OBJECTIVE supervised); stage 2 trains with the base frozen (FREEZE_BASE), thawed top-down one
 * block per stage-2 epoch (PROGRESSIVE_UNFREEZE) or jointly.
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

/** The model's base (everything but the head) and its blocks, top block last, as name patterns. */
export function modelParts(config: TrainNativeConfig): { base: string[]; blocks: string[][]; top: string[] } {
  const m = config.MODEL;
  if (m.TYPE === 'mlp') {
    return { base: ['layers.*'], blocks: m.HIDDEN_SIZES.map((_, i) => [`layers.${i}.*`]), top: [] };
  }
  const blocks = Array.from({ length: m.NUM_LAYERS }, (_, i) => [`encoder.layers.${i}.*`]);
  return { base: ['encoder.*'], blocks, top: ['encoder.ln_f.*'] };
}

/**
 * Which parameters train at step k. Stage 1 with OBJECTIVE supervised freezes STAGE1.FREEZE (default:
 * the base) and trains the rest (seed 002's decoder-only stage). Stage 2: FREEZE_BASE keeps the
 * base frozen; PROGRESSIVE_UNFREEZE thaws it from the top, stage-2 epoch j (0-based): j = 0 trains
 * what stage 1 trained (the head), j = i also the top i blocks (and the final norm), and once
 * every block is thawed the whole model trains; otherwise everything trains at once.
 */
export function trainabilityAt(config: TrainNativeConfig, stage: StageSpan, stageEpoch: number): Trainability {
  const st = config.STAGES;
  const parts = modelParts(config);
  if (stage.name === 'stage1') {
    if (st.STAGE1.OBJECTIVE !== 'supervised') return ALL;
    const frozen = st.STAGE1.FREEZE ?? parts.base;
    return { label: `${frozen.join(', ')} frozen (stage 1)`, frozen, thawed: [] };
  }
  if (stage.name !== 'stage2') return ALL;
  const s2 = st.STAGE2;
  if (s2.FREEZE_BASE) return { label: 'base frozen (STAGES.STAGE2.FREEZE_BASE)', frozen: parts.base, thawed: [] };
  if (!s2.PROGRESSIVE_UNFREEZE) return ALL;
  const layers = parts.blocks.length;
  const j = stageEpoch;
  if (j > layers) return { label: 'all blocks thawed', frozen: [], thawed: [] };
  const thawed: string[] = [];
  for (let i = layers - j; i < layers; i++) thawed.push(...parts.blocks[i]);
  if (j >= 1) thawed.push(...parts.top);
  return { label: j === 0 ? 'base frozen (head only)' : `top ${j} of ${layers} blocks thawed`, frozen: parts.base, thawed };
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
    const si = schedule.stageIndexAt(k);
    const stage = schedule.stages[si];
    if (si !== this.stageIndex) {
      this.stageIndex = si;
      state.enterStage(si);
      if (stage.name !== 'main') {
        events.emit('stage', { step: k, stage: stage.name });
        const what = stage.name === 'stage2' ? 'stage 2: supervised training' : config.STAGES.STAGE1.OBJECTIVE === 'supervised' ? 'stage 1: supervised training with the base frozen' : 'stage 1: masked-token pretraining of the encoder';
        out.line(`${what} (steps ${k + 1}–${stage.end})`);
      }
    }
    const at = schedule.epochAt(k);
    if (k !== at.start && !this.first) return;
    this.first = false;
    const want = trainabilityAt(config, stage, at.epoch - schedule.epochAt(stage.start).epoch);
    if (this.trainability?.label !== want.label) {
      await session.setTrainable(['*'], true);
      if (want.frozen.length) await session.setTrainable(want.frozen, false);
      if (want.thawed.length) await session.setTrainable(want.thawed, true);
      if (this.trainability !== null || want.frozen.length) out.line(`step ${k}: ${want.label}`);
      this.trainability = want;
    }
    out.startEpoch(at.epoch + 1, schedule.timeBase.epochs, Math.min(at.length, schedule.totalSteps - at.start), stage.name === 'main' ? undefined : stage.name);
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
