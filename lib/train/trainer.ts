/**
 * The training loop (the product's main job). TypeScript decides *when*; the native trainer does
 * *how*. Per optimizer step k the schedule gives every group's LR and the events due after the
 * step; batches.ts builds the step's micro-batches; the native trainer steps once. Then, as the
 * events say: log, validate (with the meta-masking variants), feed the plateau scheduler and early
 * stopping, write a checkpoint.
 *
 * Exact resume: everything random is a function of (seed, step) except dropout, whose generator
 * lives in the native trainer and is saved with the checkpoint; the plateau and early-stop state
 * and the loss accumulators go into trainer_state.json. A resumed CPU run is therefore
 * bit-identical to one that never stopped (tests/e2e/train-resume.test.ts).
 */
import { EventEmitter } from 'events';
import { relative, resolve } from 'path';
import { loadConfig, resolvedConfigToYaml } from '../config';
import type { TrainNativeConfig } from '../config/types';
import { CheckpointStore, prepareRunDir, runDirLayout, writeFileAtomic, type CheckpointMetric } from '../checkpoint';
import { EpochSampler, inferModelDims, loadData, type Dataset } from '../data';
import { createConsoleReporter, formatEpochLine, MetricsLog, TensorBoardWriter, type ConsoleReporter, type MetricsRecord } from '../logging';
import { createTrainer } from '../native';
import type { NativeTrainerInstance, TensorEntry } from '../native/types';
import { renderSummaryOfSchedule } from '../render';
import { buildSchedule, EVENT, resolveMode, type EarlyStopping, type PlateauScheduler, type Schedule } from '../schedule';
import { batchesForStep, type BatchPlan } from './batches';
import { comboName, evaluateSplit, type EvalPlan } from './evaluate';
import { checkDataFits, checkTrainable, planModel } from './model-options';
import { locateRun, type RunLocation } from './run-location';
import { trainabilityAt, type Trainability } from './stages';
import {
  configHash,
  finiteOrNull,
  metricsFromJson,
  metricsToJson,
  parseTrainerState,
  TRAINER_STATE_FORMAT,
  type LossAccumulator,
  type TrainerState,
} from './state';
import type { RunStatus, TrainerEvents, TrainOptions, TrainResult } from './types';

type Listener<K extends keyof TrainerEvents> = (event: TrainerEvents[K]) => void;

/** Everything a started run holds; built by `setUp`, released in `run`'s finally. */
interface Run {
  config: TrainNativeConfig;
  schedule: Schedule;
  train: Dataset;
  val: Dataset | null;
  location: RunLocation;
  /** trainer_state.json of the checkpoint being resumed, parsed once. */
  resumeState: TrainerState | null;
  native: NativeTrainerInstance;
  batchPlan: BatchPlan;
  evalPlan: EvalPlan | null;
  store: CheckpointStore;
  metricsLog: MetricsLog;
  tb: TensorBoardWriter | null;
  console: ConsoleReporter;
  monitor: { name: string; mode: 'min' | 'max' };
  cwd: string;
  dataDescription: string;
}

/** A path as people read it in output: relative when under the working directory. */
export function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || resolve(cwd, rel) !== resolve(path) ? path : rel;
}

/** The library's default: a service listens to the events and keeps its console to itself. */
const SILENT: ConsoleReporter = {
  mode: 'none',
  startEpoch: () => undefined,
  update: () => undefined,
  endEpoch: () => undefined,
  line: () => undefined,
  stop: () => undefined,
};

function meanOf(a: LossAccumulator): number {
  return a.count > 0 ? a.sum / a.count : Number.NaN;
}

function asFloat32(e: TensorEntry): Float32Array | null {
  if (e.dtype !== 'F32') return null;
  const d = e.data;
  // A view when aligned, else a copy (Float32Array needs a 4-byte aligned offset).
  return d.byteOffset % 4 === 0 ? new Float32Array(d.buffer, d.byteOffset, d.byteLength / 4) : new Float32Array(d.slice().buffer);
}

export class Trainer extends EventEmitter {
  private aborted = false;
  private checkedMetricNames = false;

  constructor(private readonly options: TrainOptions = {}) {
    super();
    options.signal?.addEventListener('abort', () => (this.aborted = true), { once: true });
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

  /** Stops before the next optimizer step and leaves a resumable checkpoint (as the AbortSignal does). */
  abort(): void {
    this.aborted = true;
  }

  /** Runs (or resumes) the training the options describe; resolves when it ends for any reason. */
  async run(): Promise<TrainResult> {
    const run = await this.setUp();
    try {
      const result = await this.loop(run);
      this.emit('end', result);
      return result;
    } finally {
      run.console.stop();
      run.tb?.close();
      await run.metricsLog.close();
      run.native.dispose();
    }
  }

  // ---- set-up: everything that can fail on bad input happens before the run dir is touched ----

  private loadConfig(): TrainNativeConfig {
    const o = this.options;
    if (o.config) return o.config;
    return loadConfig({ file: o.configFile, sets: o.sets ?? [], flags: o.flags }).config;
  }

  private async setUp(): Promise<Run> {
    const o = this.options;
    const cwd = o.cwd ?? process.cwd();
    const config = this.loadConfig();
    checkTrainable(config);
    const data = loadData(config, { baseDir: cwd });
    const dims = inferModelDims(config, data.train, data.val);
    checkDataFits(config, data.train);
    const schedule = buildSchedule(config, { trainSamples: data.train.size });
    const location = await locateRun(config, cwd, o.runDir);
    const model = planModel(config, dims);
    const native = createTrainer(model.native);
    try {
      const layout = runDirLayout(location.runDir);
      await prepareRunDir(location.runDir);
      await writeFileAtomic(layout.config, resolvedConfigToYaml(config));
      await writeFileAtomic(layout.scheduleSummary, renderSummaryOfSchedule(schedule));
      const resumeState = location.resume ? parseTrainerState(location.resume.trainerState, location.resume.info.dir) : null;
      const resumeStep = resumeState ? resumeState.step : -1;
      const metricsLog = await MetricsLog.open(layout.metrics, { resumeStep });
      const tb = config.LOGGING.TENSORBOARD ? TensorBoardWriter.open(layout.tensorboard) : null;
      // TensorBoard drops every point with step >= the START's step: the checkpoint's own step was logged
      // by the earlier session and is not logged again, so the new session starts one step later.
      if (tb && resumeStep > 0) tb.addSessionStart(resumeStep + 1);
      const c = config.SCHEDULE.CHECKPOINT;
      const es = config.TRAIN.EARLY_STOP;
      const stream = o.stream ?? process.stderr;
      return {
        config,
        schedule,
        train: data.train,
        val: data.val,
        location,
        resumeState,
        native,
        batchPlan: {
          config,
          schedule,
          data: data.train,
          sampler: new EpochSampler({ size: data.train.size, batchSize: config.DATA.BATCH_SIZE, dropLast: config.DATA.DROP_LAST, seed: config.EXPERIMENT.SEED }),
          maskTokenId: model.maskTokenId,
        },
        evalPlan: data.val
          ? { data: data.val, batchSize: config.DATA.BATCH_SIZE, seed: config.EXPERIMENT.SEED, maskTokenId: model.maskTokenId, maskProb: config.STAGES.STAGE1.MASK_PROB }
          : null,
        store: new CheckpointStore(layout.checkpoints, { keepTopN: c.KEEP_TOP_N, keepLastN: c.KEEP_LAST_N }),
        metricsLog,
        tb,
        console: o.progress === undefined ? SILENT : createConsoleReporter(o.progress, stream),
        monitor: { name: es.METRIC, mode: resolveMode(es.METRIC, es.MODE) },
        cwd,
        dataDescription: data.description,
      };
    } catch (err) {
      native.dispose();
      throw err;
    }
  }

  // ---- the loop ----

  private async loop(run: Run): Promise<TrainResult> {
    const { config, schedule, native, location, console: out } = run;
    const T = schedule.totalSteps;
    const spe = schedule.stepsPerEpoch;
    const groups = schedule.groups;
    let earlyStop: EarlyStopping = schedule.createEarlyStopping();
    // Early stopping watches one stage at a time: stage 1's masked-token loss says nothing about stage 2.
    let earlyStopStage = 0;
    let plateau: PlateauScheduler | null = null;
    let plateauStage = -1;
    let logLoss: LossAccumulator = { sum: 0, count: 0 };
    let epochLoss: LossAccumulator = { sum: 0, count: 0 };
    let lastGradNorm: number | null = null;
    let metrics: Record<string, number> = {};
    let startStep = 0;
    let lastSaved = -1;
    /** The step the loop runs next: `step`, except after a stage-1 early stop (stage 2's first step). */
    let nextStep = 0;

    for (const s of location.skipped) this.warn(run, `checkpoint ${s.name} is unusable (${s.problem}); passed over`);
    if (location.note) out.line(location.note);
    out.line(run.dataDescription);
    for (const w of schedule.warnings) this.warn(run, w);

    const hash = configHash(config);
    const st = run.resumeState;
    if (location.resume && st) {
      if (st.configHash !== hash) {
        this.warn(run, `the config differs from the one checkpoint ${location.resume.info.name} was trained with; continuing with the new one`);
      }
      await native.setState(location.resume.model);
      await native.setOptimizerState(location.resume.optimizer);
      native.setRngState(Buffer.from(st.rng.native, 'base64'));
      earlyStop.restoreState(st.earlyStop);
      earlyStopStage = st.stageIndex;
      if (st.plateau && st.plateauStage >= 0) {
        plateau = schedule.createPlateau(st.plateauStage);
        plateau?.restoreState(st.plateau);
        plateauStage = st.plateauStage;
      }
      logLoss = { ...st.logLoss };
      epochLoss = { ...st.epochLoss };
      lastGradNorm = st.lastGradNorm;
      metrics = metricsFromJson(st.metrics);
      startStep = st.nextStep;
      lastSaved = st.step;
      if (st.stopReason !== null || st.step >= T) {
        const reason = st.stopReason ?? `the run already finished all ${T} steps`;
        out.line(`nothing to do: ${reason}`);
        return this.result(run, st.stopReason ? 'early_stopped' : 'already_complete', st.stopReason, st.step, metrics);
      }
    } else if (location.initEncoderFrom) {
      const loaded = await native.setState(location.initEncoderFrom.model, { prefix: 'encoder.', strict: true });
      out.line(`loaded ${loaded.length} stage-1 encoder tensors from ${location.initEncoderFrom.info.dir}`);
    }

    const device = native.device();
    const onCpu = device === 'cpu';
    const parameters = native.parameters().reduce((n, p) => n + p.numel, 0);
    this.emit('start', { runDir: location.runDir, totalSteps: T, stepsPerEpoch: spe, startStep, resumedFrom: location.resume?.info.name ?? null, device, parameters });
    out.line(
      `training ${config.MODEL.TYPE} (${parameters} parameters) on ${device}: ` +
        `${T} steps, ${spe} per epoch, ${run.train.size} training samples → ${shownPath(location.runDir, run.cwd)}`,
    );

    /** Every group's LR for the next step (the last step's once the run is over). */
    const lrsAt = (step: number): Record<string, number> => {
      const now = step < T ? schedule.lrInto(step, new Float64Array(groups.length), plateau) : groups.map((_, i) => schedule.lr(T - 1, i));
      return Object.fromEntries(groups.map((g, i) => [g, now[i]]));
    };
    const lastStageIndex = (step: number) => schedule.stageIndexAt(Math.min(Math.max(step - 1, 0), T - 1));
    const saveAt = async (step: number, stopReason: string | null, monitored: number | undefined): Promise<void> => {
      const state: TrainerState = {
        format: TRAINER_STATE_FORMAT,
        step,
        nextStep: Math.max(step, nextStep),
        epoch: Math.floor(step / spe) + 1,
        // The stage of the last step done (a stage-1 end checkpoint is a stage-1 checkpoint).
        stage: schedule.stages[lastStageIndex(step)].name,
        stageIndex: lastStageIndex(step),
        totalSteps: T,
        sampler: { epoch: Math.floor(step / spe), batch: (step % spe) * schedule.timeBase.accumulationSteps },
        rng: { native: native.getRngState().toString('base64') },
        plateau: plateau ? plateau.exportState() : null,
        plateauStage,
        earlyStop: earlyStop.exportState(),
        logLoss,
        epochLoss,
        lastGradNorm,
        metrics: metricsToJson(metrics),
        monitored: monitored === undefined ? null : { name: run.monitor.name, value: finiteOrNull(monitored) },
        lrs: lrsAt(step),
        configHash: hash,
        stopReason,
        savedAt: new Date().toISOString(),
      };
      // Stage-1 checkpoints carry their metric under another name, so they never compete with stage 2's for best / top-N.
      const metricName = state.stage === 'stage1' ? `stage1_${run.monitor.name}` : run.monitor.name;
      const metric: CheckpointMetric | undefined =
        monitored !== undefined && Number.isFinite(monitored) ? { name: metricName, value: monitored, mode: run.monitor.mode } : undefined;
      const [model, optimizer] = [await native.getState(), await native.getOptimizerState()];
      const { info, deleted } = await run.store.save({ step, model, optimizer, trainerState: state as unknown as Record<string, unknown>, metric });
      lastSaved = step;
      this.emit('checkpoint', { step, name: info.name, dir: info.dir, deleted });
      out.line(`saved checkpoint ${info.name}${deleted.length ? ` (retention removed ${deleted.join(', ')})` : ''}`);
    };

    const lrBuf = new Float64Array(groups.length);
    let trainability: Trainability | null = null;
    let stageIndex = -1;
    let status: RunStatus = 'completed';
    let reason: string | null = null;
    let step = startStep;
    let skippedSteps = 0;

    // A generated plan's step 0 is the untrained model (SPEC §4).
    if (startStep === 0 && !location.resume && schedule.has(0, EVENT.CHECKPOINT)) await saveAt(0, null, undefined);

    for (let k = startStep; k < T; k++) {
      if (this.aborted) {
        if (lastSaved !== k) await saveAt(k, null, undefined);
        status = 'aborted';
        reason = `stopped on request at step ${k}; resume with TRAIN.AUTO_RESUME: true or --resume-from`;
        out.line(reason);
        break;
      }
      nextStep = k;
      const si = schedule.stageIndexAt(k);
      const stage = schedule.stages[si];
      if (si !== stageIndex) {
        stageIndex = si;
        if (earlyStopStage !== si) {
          earlyStop = schedule.createEarlyStopping();
          earlyStopStage = si;
        }
        if (plateauStage !== si) {
          plateau = schedule.createPlateau(si);
          plateauStage = plateau ? si : -1;
        }
        if (stage.name !== 'main') {
          this.emit('stage', { step: k, stage: stage.name });
          out.line(`${stage.name === 'stage1' ? 'stage 1: masked-token pretraining of the encoder' : 'stage 2: supervised training'} (steps ${stage.start + 1}–${stage.end})`);
        }
      }
      const epoch = Math.floor(k / spe) + 1;
      // Stages and trainability change only at epoch boundaries (and a resume may start mid-epoch).
      if (k % spe === 0 || k === startStep) {
        const want = trainabilityAt(config, stage, k, spe);
        if (trainability?.label !== want.label) {
          native.setTrainable(['*'], true);
          if (want.frozen.length) native.setTrainable(want.frozen, false);
          if (want.thawed.length) native.setTrainable(want.thawed, true);
          if (trainability !== null || want.frozen.length) out.line(`step ${k}: ${want.label}`);
          trainability = want;
        }
        out.startEpoch(epoch, schedule.timeBase.epochs, Math.min(spe, T - (epoch - 1) * spe), stage.name === 'main' ? undefined : stage.name);
      }

      schedule.lrInto(k, lrBuf, plateau);
      const lrs: Record<string, number> = {};
      for (let g = 0; g < groups.length; g++) lrs[groups[g]] = lrBuf[g];
      const batches = batchesForStep(run.batchPlan, k, stage.name);
      const flags = schedule.eventsAt(k + 1);
      // Reading the loss back syncs the device: every step on CPU (free), logging steps on GPU.
      const readLoss = onCpu || (flags & (EVENT.LOG_STEP | EVENT.LOG_CONSOLE | EVENT.EPOCH_END | EVENT.VALIDATION)) !== 0;
      const r = await native.step(batches, { lrs, readLoss, skipNonFinite: true });
      step = k + 1;
      const nonFinite = r.skipped || (r.loss !== null && !Number.isFinite(r.loss));
      this.emit('step', { step, epoch, loss: r.loss, gradNorm: r.gradNorm, lrs, skipped: nonFinite });
      if (nonFinite) {
        const what = `non-finite ${r.loss !== null && !Number.isFinite(r.loss) ? `loss (${r.loss})` : `gradient norm (${r.gradNorm})`} at step ${step}`;
        if (config.TRAIN.ON_NONFINITE === 'stop') {
          status = 'non_finite_loss';
          const kept = lastSaved >= 0 ? `the last checkpoint (step ${lastSaved}) is intact` : 'no checkpoint was written';
          reason = `${what}: the update was not applied and training stopped (TRAIN.ON_NONFINITE: skip would skip such steps); ${kept}`;
          this.emit('earlyStop', { step, code: 'non_finite_loss', reason });
          out.line(reason);
          break;
        }
        skippedSteps++;
        // The first skip is news; a stream of them is summarised at the epoch's end.
        if (skippedSteps === 1) this.warn(run, `${what}: step skipped (TRAIN.ON_NONFINITE: skip)`);
      } else if (r.loss !== null) {
        logLoss.sum += r.loss;
        logLoss.count++;
        epochLoss.sum += r.loss;
        epochLoss.count++;
        lastGradNorm = r.gradNorm;
      }
      out.update({ epochStep: k - (epoch - 1) * spe + 1, globalStep: step, loss: r.loss, lr: lrBuf[0], print: (flags & EVENT.LOG_CONSOLE) !== 0 });

      if (flags & EVENT.LOG_STEP) {
        this.logTrain(run, step, epoch, logLoss, lastGradNorm, lrs);
        logLoss = { sum: 0, count: 0 };
      }
      if (flags & EVENT.LOG_LR && run.tb) for (const g of groups) run.tb.addScalar(`lr/${g}`, lrs[g], step);

      let monitored: number | undefined;
      let stopNow: string | null = null;
      if (flags & (EVENT.VALIDATION | EVENT.MASK_META_VALIDATION | EVENT.PARTIAL_MASK_META_VALIDATION | EVENT.EXHAUSTIVE_META_VALIDATION)) {
        const v = await this.validate(run, flags, step, epoch, stage.name === 'stage1');
        if (v !== null) {
          metrics = v;
          monitored = v[run.monitor.name];
          if (plateau) {
            const pv = v[plateau.spec.metric];
            if (pv !== undefined && plateau.observe(pv, step)) out.line(`step ${step}: ${plateau.spec.metric} plateaued; LR reduced (factor ${plateau.spec.factor})`);
          }
        }
        stopNow = earlyStop.check({ step, metrics: v ?? undefined, loss: meanOf(epochLoss), lr: lrBuf[0], gradNorm: lastGradNorm ?? undefined });
        if (stopNow) this.emit('earlyStop', { step, code: earlyStop.stopCode ?? 'unknown', reason: stopNow });
      }
      // An early stop in stage 1 ends pretraining, not the run: stage 2 starts at its first step.
      const next = stopNow !== null && stage.name === 'stage1' ? schedule.stages[si + 1] : undefined;

      if (flags & EVENT.EPOCH_END) {
        out.endEpoch();
        out.line(formatEpochLine(epoch, meanOf(epochLoss), Object.entries(metrics), lrBuf[0]));
        if (skippedSteps > 1) this.warn(run, `${skippedSteps} steps with a non-finite loss were skipped so far`);
        const hi = config.LOGGING.HISTOGRAM_INTERVAL_EPOCHS;
        if (run.tb && hi > 0 && epoch % hi === 0) await this.logHistograms(run, step);
        run.tb?.flush();
        await run.metricsLog.flush();
        epochLoss = { sum: 0, count: 0 };
        if (!onCpu) native.emptyCache();
      }

      if (next) {
        out.line(`stage 1 stopped early at step ${step}: ${stopNow}; stage 2 starts (steps ${next.start + 1}–${next.end})`);
        logLoss = { sum: 0, count: 0 };
        epochLoss = { sum: 0, count: 0 };
        nextStep = next.start;
        await saveAt(step, null, monitored);
        k = next.start - 1;
        continue;
      }
      if (stopNow !== null) {
        status = 'early_stopped';
        reason = stopNow;
        out.line(`early stop at step ${step}: ${stopNow}`);
      }
      // A stage's end is always saved: --skip-stage1 --resume-from starts stage 2 from it.
      if (flags & (EVENT.CHECKPOINT | EVENT.STAGE_END) || stopNow !== null || step === T) await saveAt(step, stopNow, monitored);
      if (stopNow !== null) break;
    }
    return this.result(run, status, reason, step, metrics);
  }

  private warn(run: Run, message: string): void {
    this.emit('warning', message);
    run.console.line(`warning: ${message}`);
  }

  private logTrain(run: Run, step: number, epoch: number, acc: LossAccumulator, gradNorm: number | null, lrs: Record<string, number>): void {
    const loss = meanOf(acc);
    const record: MetricsRecord = { step, epoch, split: 'train', loss: finiteOrNull(loss), grad_norm: gradNorm === null ? null : finiteOrNull(gradNorm) };
    const groups = Object.keys(lrs);
    record.lr = lrs[groups[0]];
    for (const g of groups.slice(1)) record[`lr_${g}`] = lrs[g];
    run.metricsLog.append(record);
    if (run.tb) {
      if (acc.count > 0) run.tb.addScalar('train/loss', loss, step);
      if (gradNorm !== null) run.tb.addScalar('train/grad_norm', gradNorm, step);
    }
  }

  /** Runs the validation passes due at this step; returns the plain validation's metrics as val_<name>. */
  private async validate(run: Run, flags: number, step: number, epoch: number, stage1: boolean): Promise<Record<string, number> | null> {
    if (!run.evalPlan) return null;
    const plan = run.evalPlan;
    const hasMeta = plan.data.metaDim > 0 && !stage1;
    const passes: Array<{ split: string; masked: string[] }> = [];
    if (flags & EVENT.VALIDATION) passes.push({ split: 'val', masked: [] });
    if (hasMeta && flags & EVENT.MASK_META_VALIDATION) passes.push({ split: 'val_mask_meta', masked: plan.data.metaComponents.map((c) => c.name) });
    if (hasMeta && flags & EVENT.PARTIAL_MASK_META_VALIDATION) {
      for (const combo of run.schedule.eventPlan.partialCombinations) passes.push({ split: `val_partial_mask_meta/${comboName(combo)}`, masked: combo });
    }
    if (hasMeta && flags & EVENT.EXHAUSTIVE_META_VALIDATION) {
      for (const combo of run.schedule.eventPlan.exhaustiveCombinations) passes.push({ split: `val_exhaustive/${comboName(combo)}`, masked: combo });
    }
    let plain: Record<string, number> | null = null;
    for (const p of passes) {
      const m = await evaluateSplit(run.native, plan, { maskedComponents: p.masked, stage1 });
      const record: MetricsRecord = { step, epoch, split: p.split };
      for (const [name, value] of Object.entries(m)) {
        record[name] = finiteOrNull(value);
        run.tb?.addScalar(`${p.split}/${name}`, value, step);
      }
      run.metricsLog.append(record);
      this.emit('validation', { step, epoch, split: p.split, metrics: m });
      if (p.split === 'val') plain = Object.fromEntries(Object.entries(m).map(([n, v]) => [`val_${n}`, v]));
    }
    if (plain && !this.checkedMetricNames) {
      // A mistyped metric name would silently disable early stopping, best and plateau.
      this.checkedMetricNames = true;
      const have = Object.keys(plain);
      const es = run.config.TRAIN.EARLY_STOP;
      if (!have.includes(es.METRIC) && (es.ACTIVE || run.config.SCHEDULE.CHECKPOINT.KEEP_TOP_N > 0)) {
        this.warn(run, `TRAIN.EARLY_STOP.METRIC ${es.METRIC} is not a validation metric of this run (${have.join(', ')}): early stopping and best / top-N checkpoints ignore it`);
      }
      const pm = run.schedule.createPlateau(run.schedule.stageIndexAt(Math.max(0, step - 1)))?.spec.metric;
      if (pm !== undefined && !have.includes(pm)) this.warn(run, `the plateau scheduler's METRIC ${pm} is not a validation metric of this run (${have.join(', ')}): the LR is never reduced`);
    }
    return plain;
  }

  private async logHistograms(run: Run, step: number): Promise<void> {
    const tb = run.tb;
    if (!tb) return;
    for (const e of await run.native.getState()) {
      const v = asFloat32(e);
      if (v && v.length > 0) tb.addHistogram(`weights/${e.name}`, v, step);
    }
    for (const e of await run.native.getGradients()) {
      const v = asFloat32(e);
      if (v && v.length > 0) tb.addHistogram(`gradients/${e.name}`, v, step);
    }
  }

  private async result(run: Run, status: RunStatus, reason: string | null, step: number, metrics: Record<string, number>): Promise<TrainResult> {
    const kept = await run.store.list();
    let best: TrainResult['best'] = null;
    for (const c of kept) {
      if (!c.metric || c.metric.name !== run.monitor.name || !Number.isFinite(c.metric.value)) continue;
      const better = best === null || (run.monitor.mode === 'min' ? c.metric.value < best.value : c.metric.value > best.value);
      if (better) best = { checkpoint: c.name, metric: c.metric.name, value: c.metric.value };
    }
    return {
      runDir: resolve(run.location.runDir),
      status,
      reason,
      step,
      totalSteps: run.schedule.totalSteps,
      metrics,
      best,
      checkpoints: kept.map((c) => c.name),
      resumedFrom: run.location.resume?.info.name ?? null,
    };
  }
}

/** Trains as the options say and resolves with the result (`new Trainer(options).run()`). */
export function train(options: TrainOptions = {}): Promise<TrainResult> {
  return new Trainer(options).run();
}
