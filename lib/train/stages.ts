/**
 * Two-stage training (seeds 002, 003): which parameters train at a given step. Stage 1 pretrains
 * the encoder on masked tokens; stage 2 trains the supervised head with the encoder frozen
 * (FREEZE_BASE), thawed top-down one block per stage-2 epoch (PROGRESSIVE_UNFREEZE) or jointly.
 *
 * Trainability is a pure function of the step, so a resumed run re-derives it instead of saving it.
 */
import type { TrainNativeConfig } from '../config/types';
import type { StageSpan } from '../schedule/lr/plan';

/** Globs for NativeTrainer.setTrainable, applied in order after everything is made trainable. */
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
