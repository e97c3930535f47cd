/**
 * Opening a run: everything that can fail on bad input (config, data, schedule, run location)
 * happens before the run directory is touched; then the session is created (the model is built
 * on its own thread), the data uploaded once, and the run directory, logs and store opened.
 */
import { rmdir } from 'fs/promises';
import { basename, dirname, relative, resolve } from 'path';
import { loadConfig, resolvedConfigToYaml } from '../config';
import type { TrainNativeConfig } from '../config/types';
import { acquireRunLock, CheckpointStore, loadCheckpoint, prepareRunDir, runDirLayout, writeFileAtomic, type RunLock } from '../checkpoint';
import { EpochSampler, inferModelDims, loadData, type Dataset } from '../data';
import { createConsoleReporter, MetricsLog, TensorBoardWriter, type ConsoleReporter } from '../logging';
import { createSession } from '../native';
import type { NativeSession } from '../native/types';
import { modelCardOf, modelCardText } from '../inference/model-card';
import { renderSummaryOfSchedule } from '../render';
import { buildSchedule, resolveMode, type Schedule } from '../schedule';
import { sessionDataOf, SPLIT, type BatchPlan } from './batches';
import type { Monitored } from './checkpoint-policy';
import type { EvalPlan } from './evaluate';
import { LoopState } from './loop-state';
import { checkDataFits, checkTrainable, planModel } from './model-options';
import { planResume, scheduleKeysOf, type ResumePlan } from './resume-plan';
import { locateRun, newRunDir, type RunLocation } from './run-location';
import { agreeOnRun, planDist, rngStateFor, writesRun } from './dist';
import { checkModuleForward, copyModuleIntoRun } from './torchscript-module';
import { resumeCheckFor, type ResumeFit } from './resume-check';
import { checkDataSize, checkModelSize } from './size-check';
import { configHash, parseTrainerState, type TrainerState } from './state';
import type { LogSinks, MetricsSink } from './train-log';
import type { TrainOptions } from './types';

/** Everything a started run holds; released by `closeRun`. */
export interface Run extends LogSinks {
  config: TrainNativeConfig;
  schedule: Schedule;
  train: Dataset;
  location: RunLocation;
  /** trainer_state.json of the checkpoint being resumed exactly, parsed once. */
  resumeState: TrainerState | null;
  /** trainer_state.json of the checkpoint loaded (resumed exactly, re-based or weights-only). */
  checkpointState: TrainerState | null;
  resumePlan: ResumePlan | null;
  /** The checkpoint step a run continued in its own run directory from (exact or re-based in place), else null. */
  continuedStep: number | null;
  /** Lines for the log about how the run was set up. */
  notes: string[];
  state: LoopState;
  session: NativeSession;
  batchPlan: BatchPlan;
  evalPlan: EvalPlan | null;
  store: CheckpointStore;
  console: ConsoleReporter;
  monitor: Monitored;
  cwd: string;
  dataDescription: string;
  /** The writer's lock on the run directory, released by closeRun. */
  lock: RunLock | null;
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

/** Ranks other than 0 log nothing (rank 0 writes the run directory). */
const NO_METRICS: MetricsSink = { append: () => undefined, flush: () => undefined, close: () => undefined };

function configOf(o: TrainOptions): TrainNativeConfig {
  if (o.config) return o.config;
  return loadConfig({ file: o.configFile, sets: o.sets ?? [], flags: o.flags }).config;
}

/**
 * How the run continues from one checkpoint (SPEC §15): exactly, re-based with a changed
 * configuration, or from its weights alone; with the schedule (re-based at its step when asked)
 * and the config as it applies (a `--skip-stage1` past stage 1 has nothing left to skip).
 */
interface ResumeTarget {
  config: TrainNativeConfig;
  plan: ResumePlan;
  schedule: Schedule;
  notes: string[];
}

function resumeTargetOf(config: TrainNativeConfig, st: TrainerState, checkpointDir: string, trainSamples: number, fresh: Schedule): ResumeTarget {
  const notes: string[] = [];
  let cfg = config;
  if (cfg.STAGES.SKIP_STAGE1 && st.stage === 'stage2' && st.stageIndex >= 1) {
    // The checkpoint's counters already include stage 1: there is nothing left to skip, and the epochs count on.
    cfg = { ...cfg, STAGES: { ...cfg.STAGES, SKIP_STAGE1: false } };
    notes.push(`checkpoint ${basename(checkpointDir)} is past stage 1: --skip-stage1 (STAGES.SKIP_STAGE1) has nothing to skip; the epochs count on from its epoch ${st.epoch - 1}`);
  }
  const plan = planResume(cfg, st, checkpointDir, trainSamples, st.configHash === configHash(cfg));
  const schedule = plan.origin ? buildSchedule(cfg, { trainSamples, origin: plan.origin }) : cfg === config ? fresh : buildSchedule(cfg, { trainSamples });
  return { config: cfg, plan, schedule, notes };
}

export async function openRun(o: TrainOptions): Promise<Run> {
  const cwd = o.cwd ?? process.cwd();
  const config = configOf(o);
  checkTrainable(config);
  checkDataSize(config, o.force === true);
  const data = loadData(config, { baseDir: cwd });
  const dims = inferModelDims(config, data.train, data.val);
  checkDataFits(config, data.train);
  const n = data.train.size;
  const freshSchedule = buildSchedule(config, { trainSamples: n });
  const model = planModel(config, dims, cwd);
  checkModelSize(model.native, o.force === true);
  const dist = await planDist(config, model.native.device ?? 'cpu');
  if (dist !== undefined) model.native.dist = dist;
  // With several processes this joins the group: it returns once every rank has (DIST.TIMEOUT_S).
  const session = await createSession(model.native);
  const place = session.dist;
  const writer = writesRun(session);
  let lock: RunLock | null = null;
  try {
    await session.setData(SPLIT.TRAIN, sessionDataOf(data.train));
    if (data.val) await session.setData(SPLIT.VAL, sessionDataOf(data.val));
    const scriptPath = model.native.model.scriptPath;
    if (scriptPath !== undefined) await checkModuleForward(session, SPLIT.TRAIN, data.train, model.native.model);
    // The writer's lock is taken as soon as the run directory is known; a checkpoint is accepted
    // only once its content fits this model and the way the run would continue from it.
    const claim = async (runDir: string) => {
      lock = await acquireRunLock(runDir);
    };
    const targets = new Map<string, ResumeTarget>();
    const targetOf = (st: TrainerState, dir: string): ResumeTarget => {
      let t = targets.get(dir);
      if (!t) targets.set(dir, (t = resumeTargetOf(config, st, dir, n, freshSchedule)));
      return t;
    };
    const fitOf = (st: TrainerState, dir: string): ResumeFit => {
      const t = targetOf(st, dir);
      return { schedule: t.plan.mode === 'exact' ? t.schedule : null, weightsOnly: t.plan.mode === 'weights-only' };
    };
    // Rank 0 decides where the run writes and what it continues from; the other ranks read the
    // checkpoint it chose (dist.ts) and derive the same plan from it.
    let located: RunLocation | null = null;
    let notes: string[] = [];
    const agreed = await agreeOnRun(session, async () => {
      let loc = await locateRun(config, cwd, o.runDir, { claim, check: resumeCheckFor(session, config, fitOf) });
      const st = loc.resume ? parseTrainerState(loc.resume.trainerState, loc.resume.info.dir) : null;
      const t = loc.resume && st ? targetOf(st, loc.resume.info.dir) : null;
      notes = [...(t?.notes ?? [])];
      // TRAIN.AUTO_RESUME names the run to continue: a changed schedule is re-based in its own run
      // directory, so the next --auto-resume (after a crash, say) continues the re-based run. From
      // --resume-from, a changed configuration or --weights-only writes a new run directory and the
      // checkpoint's run stays as it was (SPEC §15).
      if (loc.resume && t && !continuesInPlace(t)) {
        const held = lock as RunLock | null;
        await held?.release();
        lock = null;
        const fresh = newRunDir(t.config, cwd, o.runDir);
        await claim(fresh.dir);
        loc = { ...loc, runDir: fresh.dir, note: t.plan.mode === 'weights-only' ? `starting from the weights of ${loc.resume.info.dir} (--weights-only)` : `resuming from ${loc.resume.info.dir} with a changed configuration` };
        if (fresh.note) notes.push(fresh.note);
      }
      located = loc;
      return { runDir: loc.runDir, resumeDir: loc.resume?.info.dir ?? null, initEncoderDir: loc.initEncoderFrom?.info.dir ?? null };
    });
    const location: RunLocation = (located as RunLocation | null) ?? {
      runDir: agreed.runDir,
      resume: agreed.resumeDir === null ? null : await loadCheckpoint(agreed.resumeDir),
      initEncoderFrom: agreed.initEncoderDir === null ? null : await loadCheckpoint(agreed.initEncoderDir),
      skipped: [],
      note: null,
    };
    const loaded = location.resume;
    const checkpointState = loaded ? parseTrainerState(loaded.trainerState, loaded.info.dir) : null;
    const target = loaded && checkpointState ? targetOf(checkpointState, loaded.info.dir) : null;
    const runConfig = target?.config ?? config;
    const schedule = target?.schedule ?? freshSchedule;
    const resumePlan = target?.plan ?? null;
    const inPlace = target !== null && continuesInPlace(target);
    const resumeState = resumePlan?.mode === 'exact' ? checkpointState : null;
    // The resume point is accepted once the session holds it; only then do the logs get trimmed.
    // (A re-based or weights-only start loads its part in Trainer.begin.)
    if (loaded && resumeState) {
      await session.setState(loaded.model);
      await session.setOptimizerState(loaded.optimizer);
      const rng = rngStateFor(resumeState.rng, place);
      if (rng !== null) await session.setRngState(Buffer.from(rng, 'base64'));
    }
    // Every rank starts from rank 0's weights, as DDP does (they agree already: same seed or checkpoint).
    if (place !== null) await session.broadcastState();
    const layout = runDirLayout(location.runDir);
    // A run continued in its own directory has its logs trimmed to the checkpoint's step.
    const resumeStep = inPlace && checkpointState ? checkpointState.step : -1;
    let metricsLog: MetricsSink = NO_METRICS;
    let tb: TensorBoardWriter | null = null;
    if (writer) {
      await prepareRunDir(location.runDir);
      await writeFileAtomic(layout.config, resolvedConfigToYaml(runConfig));
      await writeFileAtomic(layout.scheduleSummary, renderSummaryOfSchedule(schedule));
      if (scriptPath !== undefined) await copyModuleIntoRun(layout.root, scriptPath);
      await writeFileAtomic(layout.modelCard, modelCardText(modelCardOf(runConfig, model.native.model, model.maskTokenId, data.train, cwd)));
      metricsLog = await MetricsLog.open(layout.metrics, { resumeStep });
      tb = runConfig.LOGGING.TENSORBOARD ? TensorBoardWriter.open(layout.tensorboard) : null;
      // TensorBoard drops every point with step >= the START's step: the checkpoint's own step was logged
      // by the earlier session and is not logged again, so the new session starts one step later.
      if (tb && resumeStep > 0) tb.addSessionStart(resumeStep + 1);
    }
    const c = runConfig.SCHEDULE.CHECKPOINT;
    const es = runConfig.TRAIN.EARLY_STOP;
    // Only rank 0 talks: the other ranks' consoles would repeat it.
    const out = o.progress === undefined || !writer ? SILENT : createConsoleReporter(o.progress, o.stream ?? process.stderr);
    const held = lock as RunLock | null;
    if (held?.tookOver) out.line(`note: ${held.tookOver}`);
    const state = stateOf(schedule, resumePlan, checkpointState, loaded?.info.dir ?? '');
    state.scheduleKeys = scheduleKeysOf(runConfig, n);
    // Every rank shuffles alike and takes its slice of each global batch (sampler.ts).
    const sampler = (batchSize: number) =>
      new EpochSampler({ size: n, batchSize, dropLast: runConfig.DATA.DROP_LAST, seed: runConfig.EXPERIMENT.SEED, rank: place?.rank ?? 0, worldSize: place?.worldSize ?? 1 });
    const b2 = runConfig.STAGES.STAGE2.BATCH_SIZE;
    return {
      config: runConfig,
      schedule,
      train: data.train,
      location,
      resumeState,
      checkpointState,
      resumePlan,
      continuedStep: resumeStep >= 0 ? resumeStep : null,
      notes,
      state,
      session,
      batchPlan: {
        config: runConfig,
        schedule,
        data: data.train,
        sampler: sampler(runConfig.DATA.BATCH_SIZE),
        ...(b2 !== undefined && b2 !== runConfig.DATA.BATCH_SIZE ? { stage2Sampler: sampler(b2) } : {}),
        maskTokenId: model.maskTokenId,
      },
      evalPlan: data.val
        ? { data: data.val, batchSize: runConfig.DATA.BATCH_SIZE, seed: runConfig.EXPERIMENT.SEED, maskTokenId: model.maskTokenId, maskProb: runConfig.STAGES.STAGE1.MASK_PROB }
        : null,
      store: new CheckpointStore(layout.checkpoints, { keepTopN: c.KEEP_TOP_N, keepLastN: c.KEEP_LAST_N }),
      metricsLog,
      tb,
      console: out,
      monitor: { name: es.METRIC, mode: resolveMode(es.METRIC, es.MODE) },
      cwd,
      dataDescription: data.description,
      lock: held,
    };
  } catch (err) {
    await session.dispose();
    await releaseAfterFailedStart(lock);
    throw err;
  }
}

/** Whether the run goes on in the checkpoint's own run directory (see openRun). */
function continuesInPlace(t: ResumeTarget): boolean {
  return t.plan.mode === 'exact' || (t.plan.mode === 'rebased' && t.config.TRAIN.RESUME_FROM === undefined);
}

function stateOf(schedule: Schedule, plan: ResumePlan | null, st: TrainerState | null, checkpointDir: string): LoopState {
  if (plan === null || st === null) return LoopState.fresh(schedule);
  if (plan.mode === 'exact') return LoopState.resumed(schedule, st);
  const source = { checkpoint: checkpointDir, step: st.step, mode: plan.mode };
  if (plan.mode === 'rebased') return LoopState.rebased(schedule, st, source);
  const s = LoopState.fresh(schedule);
  s.source = source;
  return s;
}

/** A start that failed leaves no lock and, when it created the run directory, no empty folder. */
async function releaseAfterFailedStart(lock: RunLock | null): Promise<void> {
  if (lock === null) return;
  await lock.release().catch(() => undefined);
  if (lock.createdDir) await rmdir(dirname(lock.file)).catch(() => undefined);
}

/**
 * Releases everything a run holds. Every part is closed even when one fails (a full disk fails the
 * last flush); the first failure is rethrown once all are done.
 */
export async function closeRun(run: Run): Promise<void> {
  const failures: unknown[] = [];
  const attempt = async (fn: () => unknown) => {
    try {
      await fn();
    } catch (e) {
      failures.push(e);
    }
  };
  await attempt(() => run.console.stop());
  await attempt(() => run.tb?.close());
  await attempt(() => run.metricsLog.close());
  await attempt(() => run.session.dispose());
  await attempt(() => run.lock?.release());
  if (failures.length > 0) throw failures[0];
}
