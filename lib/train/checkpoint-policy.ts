/**
 * When and what to save (SCHEDULE.CHECKPOINT and the run's ends): at the plan's checkpoint steps,
 * at every stage's end (--skip-stage1 --resume-from starts stage 2 from it), when early stopping
 * fires and at the last step — the weights, the optimizer moments and the LoopState as
 * trainer_state.json. Retention and `best` are the store's (lib/checkpoint/retention.ts).
 */
import type { CheckpointSync } from './checkpoint-sync';
import type { CheckpointMetric, CheckpointStore } from '../checkpoint';
import { EVENT } from '../schedule';
import type { LoopComponent, LoopContext, StepOutcome } from './loop-parts';
import type { StepDone } from './pipeline';
import { gatherRngStates, writesRun } from './dist';

export interface Monitored {
  name: string;
  mode: 'min' | 'max';
}

export class CheckpointPolicy implements LoopComponent {
  /** Step of the newest checkpoint of this run (-1: none yet). */
  lastSaved = -1;

  constructor(
    private readonly ctx: LoopContext,
    private readonly store: CheckpointStore,
    private readonly monitor: Monitored,
    private readonly configHash: string,
    /** SCHEDULE.CHECKPOINT.SYNC: copies the run directory after each complete checkpoint. */
    private readonly sync: CheckpointSync | null = null,
  ) {}

  /** A checkpoint reads the weights right after its step. */
  holdsAfter(flags: number, step: number): boolean {
    return (flags & (EVENT.CHECKPOINT | EVENT.STAGE_END)) !== 0 || step === this.ctx.schedule.totalSteps;
  }

  async afterStep(done: StepDone, outcome: StepOutcome): Promise<void> {
    const due = (done.flags & (EVENT.CHECKPOINT | EVENT.STAGE_END)) !== 0 || done.step === this.ctx.schedule.totalSteps;
    // A stage-1 early stop (jumpTo) is saved without a stop reason: the run goes on.
    if (due || outcome.stopReason !== null) await this.save(outcome.end?.reason ?? null, outcome.monitored);
  }

  /**
   * Saves the state after the last step done. Distributed, every rank calls this at the same
   * step: the ranks' RNG states are gathered, rank 0 writes the files, every rank passes the save
   * barrier, and only then does rank 0 write the manifest that makes the checkpoint complete —
   * so a rank that died before the barrier leaves no complete checkpoint behind.
   */
  async save(stopReason: string | null, monitored: number | undefined): Promise<void> {
    const { session, state, events, out } = this.ctx;
    const step = state.step;
    const rngs = await gatherRngStates(session);
    const barrier = () => session.barrier();
    if (!writesRun(session)) {
      await barrier();
      this.lastSaved = step;
      return;
    }
    const [model, optimizer] = await Promise.all([session.getState(), session.getOptimizerState()]);
    const trainerState = state.toTrainerState({
      rng: rngs[0].toString('base64'),
      rngRanks: rngs.length > 1 ? rngs.map((r) => r.toString('base64')) : undefined,
      configHash: this.configHash,
      monitored: monitored === undefined ? null : { name: this.monitor.name, value: monitored },
      stopReason,
    });
    // Masked-token stage-1 checkpoints carry their metric under another name, so they never compete with stage 2's for best / top-N.
    const metricName = trainerState.stage === 'stage1' && this.ctx.config.STAGES.STAGE1.OBJECTIVE === 'masked_tokens' ? `stage1_${this.monitor.name}` : this.monitor.name;
    const metric: CheckpointMetric | undefined =
      monitored !== undefined && Number.isFinite(monitored) ? { name: metricName, value: monitored, mode: this.monitor.mode } : undefined;
    const { info, deleted, best } = await this.store.save({
      step,
      model,
      optimizer,
      trainerState: trainerState as unknown as Record<string, unknown>,
      metric,
      beforeCommit: session.dist === null ? undefined : barrier,
    });
    this.lastSaved = step;
    events.emit('checkpoint', { step, name: info.name, dir: info.dir, deleted, best });
    // After the commit and retention: the copy sees exactly the checkpoints the run keeps.
    this.sync?.request({ checkpointDir: info.dir, step });
    out.line(`saved checkpoint ${info.name}${deleted.length ? ` (retention removed ${deleted.join(', ')})` : ''}`);
  }
}
