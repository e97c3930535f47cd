/**
 * Whether a checkpoint fits the run about to continue from it: its trainer state is valid and fits
 * the schedule, model.safetensors holds exactly this model's tensors, optimizer.safetensors this
 * optimizer's state, and its RNG state has the session generator's size. Asked of the session the
 * checkpoint would be loaded into (its own tensors are the reference), before anything is loaded
 * or written, so a checkpoint that does not fit is passed over (auto-resume) or refused
 * (--resume-from) with the reason, never half-loaded.
 */
import { checkModelContent, checkOptimizerContent, checkRngContent, type LoadedCheckpoint, type OptimizerSpec, type TensorSpec } from '../checkpoint';
import type { TrainNativeConfig } from '../config/types';
import type { NativeSession } from '../native/types';
import type { Schedule } from '../schedule';
import { trainerStateFitsSchedule, trainerStateProblem, type TrainerState } from './state';

export interface ResumeCheck {
  /** The problem with continuing from this checkpoint, or null when it fits. */
  resume(loaded: LoadedCheckpoint): Promise<string | null>;
  /** The problem with loading this (stage-1) checkpoint's encoder, or null. */
  encoder(loaded: LoadedCheckpoint, prefix: string): Promise<string | null>;
}

function momentsOf(config: TrainNativeConfig): string[] {
  const o = config.OPTIMIZER;
  if (o.NAME === 'adamw') return ['exp_avg', 'exp_avg_sq'];
  return o.MOMENTUM !== 0 ? ['momentum_buffer'] : [];
}

/** Reads the session's own tensor specs once, on first use. */
/**
 * How the run would continue from a checkpoint (SPEC §15): `schedule` is the one whose stage and
 * plateau state it takes over (null when its counters are re-based or it starts fresh), and
 * `weightsOnly` says its optimizer and RNG state are not loaded.
 */
export interface ResumeFit {
  schedule: Schedule | null;
  weightsOnly: boolean;
}

export function resumeCheckFor(session: NativeSession, config: TrainNativeConfig, fitOf: (st: TrainerState, checkpointDir: string) => ResumeFit): ResumeCheck {
  let reference: Promise<{ model: TensorSpec[]; optimizer: OptimizerSpec; rngBytes: number }> | null = null;
  const ref = () =>
    (reference ??= (async () => {
      const state = await session.getState();
      const model = state.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape }));
      const dtypeOf = new Map(model.map((t) => [t.name, t.dtype]));
      const parameters = (await session.parameters()).map((p) => ({ name: p.name, dtype: dtypeOf.get(p.name) ?? 'F32', shape: p.shape }));
      return { model, optimizer: { moments: momentsOf(config), parameters }, rngBytes: (await session.getRngState()).byteLength };
    })());
  return {
    async resume(loaded) {
      const stateProblem = trainerStateProblem(loaded.trainerState);
      if (stateProblem !== null) return `trainer_state.json: ${stateProblem}`;
      const st = loaded.trainerState as unknown as TrainerState;
      const { schedule, weightsOnly } = fitOf(st, loaded.info.dir);
      const fit = schedule ? trainerStateFitsSchedule(st, schedule.stages.length, schedule.groups.length) : null;
      if (fit !== null) return `trainer_state.json: ${fit}`;
      const r = await ref();
      if (weightsOnly) return checkModelContent(loaded.model, r.model);
      return (
        checkModelContent(loaded.model, r.model) ??
        checkOptimizerContent(loaded.optimizer, r.optimizer, st.step) ??
        checkRngContent(Buffer.from(st.rng.native, 'base64').byteLength, r.rngBytes)
      );
    },
    async encoder(loaded, prefix) {
      return checkModelContent(loaded.model, (await ref()).model, prefix);
    },
  };
}
