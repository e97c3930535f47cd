/**
 * The training loop (the product's main job). TypeScript decides *when*; the native session does
 * *how*. The loop queues steps — every group's LR from the schedule, the batches as indices plus
 * random decisions (batches.ts) — keeping up to PIPELINE_DEPTH of them in flight, and hands each
 * result to the components, in order: the non-finite guard, step logging, validation, the monitor
 * (plateau, early stopping), the epoch's end, the stages and the checkpoint policy. Each decides
 * from its own config section whether it acts at that step; those that may change what follows
 * hold the pipeline there (pipeline.ts), so results equal those of one step at a time.
 *
 * Exact resume: everything random is a function of (seed, step) except dropout, whose generator
 * lives in the session and is saved with the checkpoint; the rest of the state is the LoopState,
 * saved as trainer_state.json. A resumed CPU run is therefore bit-identical to one that never
 * stopped (tests/native/train-resume.test.ts).
 */
import { EventEmitter } from 'events';
import { resolve } from 'path';
import { bestCheckpoint } from '../checkpoint';
import { EVENT } from '../schedule';
import { CheckpointPolicy } from './checkpoint-policy';
import { CheckpointSync, type SyncStatus } from './checkpoint-sync';
import type { TrainNativeConfig } from '../config/types';
import type { NativeSession } from '../native/types';
import { newOutcome, type LoopComponent, type LoopContext, type RunEnd, type RunEvents } from './loop-parts';
import { metricsFromJson, configHash } from './state';
import { Monitor } from './monitor';
import { isNonFinite, NonFiniteGuard } from './non-finite';
import { StepPipeline } from './pipeline';
import { describeChanges } from './resume-plan';
import { closeRun, openRun, shownPath, type Run } from './run-setup';
import { Stages } from './stages';
import { ArrayDataset } from '../data/array-dataset';
import { EpochData } from './epoch-data';
import { EpochLog, StepLog } from './train-log';
import type { TrainerEvents, TrainOptions, TrainResult } from './types';
import { Validation } from './validation';
import { rngStateFor, writesRun } from './dist';

/**
 * Steps queued ahead of the one whose result is awaited (TrainOptions.pipelineDepth). Their
 * batches are indices and a few decisions, so a deep queue costs little; 4 keeps the session busy
 * across the JS round trip.
 */
export const PIPELINE_DEPTH = 4;

/** Steps whose loss a logging component reports (the rest are read back only on CPU). */
const LOGGED = EVENT.LOG_STEP | EVENT.LOG_CONSOLE;

type Listener<K extends keyof TrainerEvents> = (event: TrainerEvents[K]) => void;

export class Trainer extends EventEmitter {
  private aborted = false;
  /** The running session, once there is one (a distributed stop is asked of it). */
  private session: NativeSession | null = null;

  constructor(private readonly options: TrainOptions = {}) {
    super();
    const d = options.pipelineDepth;
    if (d !== undefined && !(Number.isInteger(d) && d >= 1)) throw new RangeError(`pipelineDepth must be an integer >= 1 (got ${String(d)})`);
    options.signal?.addEventListener('abort', () => this.abort(), { once: true });
    if (options.signal?.aborted) this.aborted = true;
  }

  override on<K extends keyof TrainerEvents>(event: K, listener: Listener<K>): this {
    return super.on(event, listener);
  }

  override once<K extends keyof TrainerEvents>(event: K, listener: Listener<K>): this {
    return super.once(event, listener);
  }

  override off<K extends keyof TrainerEvents>(event: K, listener: Listener<K>): this {
    return super.off(event, listener);
  }

  override emit<K extends keyof TrainerEvents>(event: K, payload: TrainerEvents[K]): boolean {
    return super.emit(event, payload);
  }

  /**
   * Stops the run and leaves a resumable checkpoint (as the AbortSignal does): before the next
   * step is queued, after the steps already in flight. A 'step' listener sees each step before the
   * next is queued, so aborting from it stops exactly at that step.
   */
  abort(): void {
    this.aborted = true;
    // Several processes stop at a step they agree on (the flag rides in a gradient all-reduce):
    // until then this rank keeps stepping with the others.
    this.session?.requestStop();
  }

  /** Runs (or resumes) the training the options describe; resolves when it ends for any reason. */
  async run(): Promise<TrainResult> {
    const run = await openRun(this.options);
    let failed = false;
    try {
      const result = await this.loop(run);
      this.emit('end', result);
      return result;
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      // After a failure (a full disk) closing may fail too; the first failure is the one reported.
      await closeRun(run).catch((e: unknown) => {
        if (!failed) throw e;
      });
    }
  }

  /** A listener of 'step' may stop the run at any step it sees: then one step is in flight at a time. */
  private depth(): number {
    return this.listenerCount('step') > 0 ? 1 : (this.options.pipelineDepth ?? PIPELINE_DEPTH);
  }

  private async loop(run: Run): Promise<TrainResult> {
    const { config, schedule, session, state } = run;
    this.session = session;
    if (this.aborted) session.requestStop();
    const events: RunEvents = { emit: (event, payload) => void this.emit(event, payload), warn: (message) => this.warn(run, message) };
    const onCpu = session.device === 'cpu';
    const ctx: LoopContext = { config, schedule, session, state, out: run.console, events, onCpu };
    const hash = configHash(config);
    // Rank 0 alone writes the run directory, so it alone copies it.
    const sync = writesRun(session) ? this.checkpointSync(run) : null;
    const checkpoints = new CheckpointPolicy(ctx, run.store, run.monitor, hash, sync);
    if (run.continuedStep !== null) checkpoints.lastSaved = run.continuedStep;
    const guard = new NonFiniteGuard(ctx, () => checkpoints.lastSaved);
    const epochData = run.train instanceof ArrayDataset && EpochData.wanted(run.train) ? [new EpochData(ctx, run.train)] : [];
    const parts: LoopComponent[] = [...epochData, guard, new StepLog(ctx, run), new Validation(ctx, run.evalPlan, run, run.monitor.name), new Monitor(ctx), new EpochLog(ctx, run, guard), new Stages(ctx), checkpoints];
    let syncStatus: SyncStatus | null = null;
    let result: TrainResult;
    try {
      result = await this.steps(run, parts, checkpoints, hash);
    } finally {
      // Also after a failure: the checkpoints already written are worth their copy.
      if (sync) syncStatus = await this.finishSync(run, sync);
    }
    return { ...result, sync: syncStatus };
  }

  /** SCHEDULE.CHECKPOINT.SYNC's copier: attempts become `sync` events, a final failure a warning. */
  private checkpointSync(run: Run): CheckpointSync | null {
    return CheckpointSync.fromConfig(run.config, run.location.runDir, {
      onAttempt: (e) => void this.emit('sync', e),
      onFailure: (e, attempts) => {
        const message = `checkpoint sync after step ${e.step} failed ${attempts === 1 ? 'once' : `${attempts} times`} (${e.error ?? 'unknown error'}); training goes on, the next checkpoint tries again`;
        this.warn(run, message);
        run.metricsLog.append({ step: e.step, epoch: Math.ceil(e.step / run.schedule.stepsPerEpoch), split: 'warning', message });
      },
    });
  }

  /** The end of a run waits for the copy in progress (Ctrl-C twice in the CLI skips it). */
  private async finishSync(run: Run, sync: CheckpointSync): Promise<SyncStatus> {
    const status = await sync.finish();
    run.console.line(status.current ? `remote copy current${status.syncedStep !== null ? ` (step ${status.syncedStep})` : ''}` : `warning: the remote copy is not current (last copied: ${status.syncedStep === null ? 'none' : `step ${status.syncedStep}`})`);
    return status;
  }

  /** The steps of the run, from its begin (restoring a resumed one) to its end. */
  private async steps(run: Run, parts: LoopComponent[], checkpoints: CheckpointPolicy, hash: string): Promise<TrainResult> {
    const { config, schedule, session, state } = run;
    const onCpu = session.device === 'cpu';
    const done = await this.begin(run, hash, checkpoints);
    if (done) return done;
    const pipeline = new StepPipeline({ session, schedule, batchPlan: run.batchPlan, onNonFinite: NonFiniteGuard.sessionMode(config.TRAIN.ON_NONFINITE), readEveryStep: onCpu, readFlags: LOGGED });
    const T = schedule.totalSteps;
    let queued = state.nextStep;
    let end: RunEnd | null = null;
    // One process stops queueing at once; several stop only at the step they agreed on.
    const distributed = session.dist !== null;
    let agreedStop = false;
    const stopQueueing = () => (distributed ? agreedStop : this.aborted);
    while (end === null) {
      while (!stopQueueing() && queued < T && pipeline.size < this.depth() && !pipeline.held) {
        for (const p of parts) await p.beforeStep?.(queued);
        const flags = schedule.eventsAt(queued + 1);
        const holds = parts.some((p) => p.holdsAfter?.(flags, queued + 1) === true);
        pipeline.queue(queued, schedule.stages[schedule.stageIndexAt(queued)].name, state.plateau, holds);
        queued++;
      }
      if (pipeline.size === 0) {
        // (Several processes that agreed to stop at the very last step simply finished.)
        end = stopQueueing() && !(distributed && state.step >= T) ? await this.stopOnRequest(run, checkpoints) : { status: 'completed', reason: null };
        break;
      }
      const step = await pipeline.next();
      const r = step.result;
      this.emit('step', { step: step.step, epoch: step.epoch, loss: r.loss, gradNorm: r.gradNorm, lrs: step.lrs, skipped: isNonFinite(r) });
      state.stepDone(step.k, isNonFinite(r) ? null : r.loss, r.gradNorm);
      const outcome = newOutcome();
      for (const p of parts) if (!outcome.abandoned) await p.afterStep?.(step, outcome);
      if (outcome.jumpTo !== null) queued = outcome.jumpTo;
      end = outcome.end;
      if (r.stopAgreed && end === null) {
        // Every rank saw the same flag in this step's all-reduce: all stop here, and the steps
        // queued behind it were skipped on every rank.
        agreedStop = true;
        await pipeline.discard();
        if (state.step < T) end = await this.stopOnRequest(run, checkpoints);
      }
    }
    // After a stop, steps still queued were halted (ON_NONFINITE stop) or are not wanted.
    await pipeline.discard();
    return this.result(run, end, state.step, state.metrics);
  }

  /** Restores a resumed run, reports what it is about to do; a result when there is nothing to do. */
  private async begin(run: Run, hash: string, checkpoints: CheckpointPolicy): Promise<TrainResult | null> {
    const { config, schedule, session, location, console: out } = run;
    for (const s of location.skipped) this.warn(run, `checkpoint ${s.name} is unusable (${s.problem}); passed over`);
    if (location.note) out.line(location.note);
    for (const n of run.notes) out.line(n);
    out.line(run.dataDescription);
    for (const w of schedule.warnings) this.warn(run, w);
    for (const w of cudaOnlyWarnings(config, session.device)) this.warn(run, w);
    const T = schedule.totalSteps;
    const st = run.resumeState;
    if (location.resume && st) {
      if (st.configHash !== hash) {
        this.warn(run, `the config differs from the one checkpoint ${location.resume.info.name} was trained with; continuing with the new one`);
      }
      // The session already holds the checkpoint's weights, moments and RNG (openRun).
      if (st.stopReason !== null || st.step >= T) {
        const reason = st.stopReason ?? `the run already finished all ${T} steps`;
        out.line(`nothing to do: ${reason}`);
        return this.result(run, { status: st.stopReason ? 'early_stopped' : 'already_complete', reason: st.stopReason }, st.step, metricsFromJson(st.metrics));
      }
    } else if (location.resume && run.resumePlan && run.checkpointState) {
      const plan = run.resumePlan;
      const cst = run.checkpointState;
      await session.setState(location.resume.model);
      if (plan.mode === 'rebased') {
        // SPEC §15: counters and optimizer continue; the schedule starts over at the checkpoint's step.
        await session.setOptimizerState(location.resume.optimizer);
        const rng = rngStateFor(cst.rng, session.dist);
        if (rng !== null) await session.setRngState(Buffer.from(rng, 'base64'));
        const s0 = cst.step;
        out.line(`changed since checkpoint ${location.resume.info.name}: ${describeChanges(plan.changes)}`);
        const lr0 = s0 < T ? schedule.lr(s0) : Number.NaN;
        out.line(
          `the schedule is re-based at step ${s0}: epochs ${schedule.epochOfStep(s0)}–${schedule.timeBase.epochs}, steps ${s0 + 1}–${T}` +
            (s0 < T ? `, LR ${lr0.toPrecision(4)} → ${schedule.lr(T - 1).toPrecision(4)}` : '') +
            '; plateau and early stopping start fresh',
        );
        if (s0 >= T) {
          out.line(`nothing to do: the checkpoint's step ${s0} is at or past the new total of ${T} steps`);
          return this.result(run, { status: 'already_complete', reason: null }, s0, metricsFromJson(cst.metrics));
        }
      } else {
        out.line(`loaded the weights of checkpoint ${location.resume.info.name}; optimizer, counters and schedule start fresh`);
      }
    } else if (location.initEncoderFrom) {
      const loaded = await session.setState(location.initEncoderFrom.model, { prefix: 'encoder.', strict: true });
      out.line(`loaded ${loaded.length} stage-1 encoder tensors from ${location.initEncoderFrom.info.dir}`);
    }
    const device = session.device;
    const parameters = (await session.parameters()).reduce((n, p) => n + p.numel, 0);
    const startStep = run.state.nextStep;
    this.emit('start', { runDir: location.runDir, totalSteps: T, stepsPerEpoch: schedule.stepsPerEpoch, startStep, resumedFrom: location.resume?.info.name ?? null, device, parameters });
    out.line(
      `training ${config.MODEL.TYPE} (${parameters} parameters) on ${device}${session.dist ? ` × ${session.dist.worldSize} processes` : ''}: ` +
        `${T} steps, ${epochLengths(schedule)} per epoch, ${run.train.size} training samples → ${shownPath(location.runDir, run.cwd)}`,
    );
    // A generated plan's step 0 is the untrained model (SPEC §4).
    if (startStep === 0 && !location.resume && schedule.has(0, EVENT.CHECKPOINT)) await checkpoints.save(null, undefined);
    return null;
  }

  /** An abort: the state after the last step done is saved (unless it just was). */
  private async stopOnRequest(run: Run, checkpoints: CheckpointPolicy): Promise<RunEnd> {
    const step = run.state.step;
    if (checkpoints.lastSaved !== step) await checkpoints.save(null, undefined);
    const reason = `stopped on request at step ${step}; resume with TRAIN.AUTO_RESUME: true or --resume-from`;
    run.console.line(reason);
    return { status: 'aborted', reason };
  }

  private warn(run: Run, message: string): void {
    this.emit('warning', message);
    run.console.line(`warning: ${message}`);
  }

  /** `best` is the store's: retention's ranking of the checkpoints kept (checkpoints/best). */
  private async result(run: Run, end: RunEnd, step: number, metrics: Record<string, number>): Promise<TrainResult> {
    const kept = await run.store.list();
    const b = bestCheckpoint(kept);
    return {
      runDir: resolve(run.location.runDir),
      status: end.status,
      reason: end.reason,
      step,
      totalSteps: run.schedule.totalSteps,
      metrics,
      best: b?.metric ? { checkpoint: b.name, metric: b.metric.name, value: b.metric.value } : null,
      checkpoints: kept.map((c) => c.name),
      resumedFrom: run.location.resume?.info.name ?? null,
      sync: null,
    };
  }
}

/** Seed 003's memory options act on CUDA's caching allocator: on another device, say so once. */
export function cudaOnlyWarnings(config: TrainNativeConfig, device: string): string[] {
  if (device.startsWith('cuda')) return [];
  const out: string[] = [];
  if (config.TRAIN.EXPANDABLE_SEGMENTS) out.push(`TRAIN.EXPANDABLE_SEGMENTS has no effect on ${device}: it configures CUDA's caching allocator`);
  if (config.TRAIN.EMPTY_CACHE === 'batch' || config.TRAIN.EMPTY_CACHE === 'chunk') out.push(`TRAIN.EMPTY_CACHE ${config.TRAIN.EMPTY_CACHE} has no effect on ${device}: it empties CUDA's caching allocator`);
  return out;
}

/** "8", or "8 (stage 2: 16)" when stage 2 has its own batch size (the lengths from the step the run starts at). */
function epochLengths(schedule: Run['schedule']): string {
  const lengths = [...new Set(schedule.timeBase.segments.filter((g) => g.batchesPerEpoch > 0 && g.epochs > 0).map((g) => g.stepsPerEpoch))];
  return lengths.length > 1 ? `${lengths[0]} (stage 2: ${lengths.slice(1).join(', ')})` : String(schedule.stepsPerEpoch);
}

/** Trains as the options say and resolves with the result (`new Trainer(options).run()`). */
export function train(options: TrainOptions = {}): Promise<TrainResult> {
  return new Trainer(options).run();
}
