/**
 * Opening a run: everything that can fail on bad input (config, data, schedule, run location)
 * happens before the run directory is touched; then the session is created (the model is built
 * on its own thread), the data uploaded once, and the run directory, logs and store opened.
 */
import { rmdir } from 'fs/promises';
import { dirname, relative, resolve } from 'path';
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
import { locateRun, type RunLocation } from './run-location';
import { agreeOnRun, planDist, rngStateFor, writesRun } from './dist';
import { checkModuleForward, copyModuleIntoRun } from './torchscript-module';
import { resumeCheckFor } from './resume-check';
import { checkDataSize, checkModelSize } from './size-check';
import { parseTrainerState, type TrainerState } from './state';
import type { LogSinks, MetricsSink } from './train-log';
import type { TrainOptions } from './types';

/** Everything a started run holds; released by `closeRun`. */
export interface Run extends LogSinks {
  config: TrainNativeConfig;
  schedule: Schedule;
  train: Dataset;
  location: RunLocation;
  /** trainer_state.json of the checkpoint being resumed, parsed once. */
  resumeState: TrainerState | null;
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

/** Ranks other than 0 log nothing: rank 0 writes the run's metrics for all of them. */
const NO_METRICS: MetricsSink = { append: () => undefined, flush: () => undefined, close: () => undefined };

/** The library's default: a service listens to the events and keeps its console to itself. */
const SILENT: ConsoleReporter = {
  mode: 'none',
  startEpoch: () => undefined,
  update: () => undefined,
  endEpoch: () => undefined,
  line: () => undefined,
  stop: () => undefined,
};

function configOf(o: TrainOptions): TrainNativeConfig {
  if (o.config) return o.config;
  return loadConfig({ file: o.configFile, sets: o.sets ?? [], flags: o.flags }).config;
}

export async function openRun(o: TrainOptions): Promise<Run> {
  const cwd = o.cwd ?? process.cwd();
  const config = configOf(o);
  checkTrainable(config);
  checkDataSize(config, o.force === true);
  const data = loadData(config, { baseDir: cwd });
  const dims = inferModelDims(config, data.train, data.val);
  checkDataFits(config, data.train);
  const schedule = buildSchedule(config, { trainSamples: data.train.size });
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
    // only once its content fits this model (resume-check.ts). With several processes rank 0
    // decides and the others read the checkpoint it chose (dist.ts).
    const claim = async (runDir: string) => {
      lock = await acquireRunLock(runDir);
    };
    let located: RunLocation | null = null;
    const agreed = await agreeOnRun(session, async () => {
      located = await locateRun(config, cwd, o.runDir, { claim, check: resumeCheckFor(session, config, schedule) });
      return { runDir: located.runDir, resumeDir: located.resume?.info.dir ?? null, initEncoderDir: located.initEncoderFrom?.info.dir ?? null };
    });
    const location: RunLocation = (located as RunLocation | null) ?? {
      runDir: agreed.runDir,
      resume: agreed.resumeDir === null ? null : await loadCheckpoint(agreed.resumeDir),
      initEncoderFrom: agreed.initEncoderDir === null ? null : await loadCheckpoint(agreed.initEncoderDir),
      skipped: [],
      note: null,
    };
    const resumeState = location.resume ? parseTrainerState(location.resume.trainerState, location.resume.info.dir) : null;
    // The resume point is accepted once the session holds it; only then do the logs get trimmed.
    if (location.resume && resumeState) {
      await session.setState(location.resume.model);
      await session.setOptimizerState(location.resume.optimizer);
      const rng = rngStateFor(resumeState.rng, place);
      if (rng !== null) await session.setRngState(Buffer.from(rng, 'base64'));
    }
    // Every rank starts from rank 0's weights, as DDP does (they agree already: same seed or checkpoint).
    if (place !== null) await session.broadcastState();
    const layout = runDirLayout(location.runDir);
    const resumeStep = resumeState ? resumeState.step : -1;
    let metricsLog: MetricsSink = NO_METRICS;
    let tb: TensorBoardWriter | null = null;
    if (writer) {
      await prepareRunDir(location.runDir);
      await writeFileAtomic(layout.config, resolvedConfigToYaml(config));
      await writeFileAtomic(layout.scheduleSummary, renderSummaryOfSchedule(schedule));
      if (scriptPath !== undefined) await copyModuleIntoRun(layout.root, scriptPath);
      await writeFileAtomic(layout.modelCard, modelCardText(modelCardOf(config, model.native.model, model.maskTokenId, data.train, cwd)));
      metricsLog = await MetricsLog.open(layout.metrics, { resumeStep });
      tb = config.LOGGING.TENSORBOARD ? TensorBoardWriter.open(layout.tensorboard) : null;
      // TensorBoard drops every point with step >= the START's step: the checkpoint's own step was logged
      // by the earlier session and is not logged again, so the new session starts one step later.
      if (tb && resumeStep > 0) tb.addSessionStart(resumeStep + 1);
    }
    const c = config.SCHEDULE.CHECKPOINT;
    const es = config.TRAIN.EARLY_STOP;
    // Only rank 0 talks: the other ranks' consoles would repeat it.
    const out = o.progress === undefined || !writer ? SILENT : createConsoleReporter(o.progress, o.stream ?? process.stderr);
    const held = lock as RunLock | null;
    if (held?.tookOver) out.line(`note: ${held.tookOver}`);
    return {
      config,
      schedule,
      train: data.train,
      location,
      resumeState,
      state: resumeState ? LoopState.resumed(schedule, resumeState) : LoopState.fresh(schedule),
      session,
      batchPlan: {
        config,
        schedule,
        data: data.train,
        // Every rank shuffles alike and takes its slice of each global batch (sampler.ts).
        sampler: new EpochSampler({ size: data.train.size, batchSize: config.DATA.BATCH_SIZE, dropLast: config.DATA.DROP_LAST, seed: config.EXPERIMENT.SEED, rank: place?.rank ?? 0, worldSize: place?.worldSize ?? 1 }),
        maskTokenId: model.maskTokenId,
      },
      evalPlan: data.val
        ? { data: data.val, batchSize: config.DATA.BATCH_SIZE, seed: config.EXPERIMENT.SEED, maskTokenId: model.maskTokenId, maskProb: config.STAGES.STAGE1.MASK_PROB }
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
