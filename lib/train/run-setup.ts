/**
 * Opening a run: everything that can fail on bad input (config, data, schedule, run location)
 * happens before the run directory is touched; then the session is created (the model is built
 * on its own thread), the data uploaded once, and the run directory, logs and store opened.
 */
import { relative, resolve } from 'path';
import { loadConfig, resolvedConfigToYaml } from '../config';
import type { TrainNativeConfig } from '../config/types';
import { CheckpointStore, prepareRunDir, runDirLayout, writeFileAtomic } from '../checkpoint';
import { EpochSampler, inferModelDims, loadData, type Dataset } from '../data';
import { createConsoleReporter, MetricsLog, TensorBoardWriter, type ConsoleReporter } from '../logging';
import { createSession } from '../native';
import type { NativeSession } from '../native/types';
import { renderSummaryOfSchedule } from '../render';
import { buildSchedule, resolveMode, type Schedule } from '../schedule';
import { sessionDataOf, SPLIT, type BatchPlan } from './batches';
import type { Monitored } from './checkpoint-policy';
import type { EvalPlan } from './evaluate';
import { LoopState } from './loop-state';
import { checkDataFits, checkTrainable, planModel } from './model-options';
import { planResume, scheduleKeysOf, type ResumePlan } from './resume-plan';
import { locateRun, newRunDir, type RunLocation } from './run-location';
import { configHash, parseTrainerState, type TrainerState } from './state';
import type { LogSinks } from './train-log';
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

function configOf(o: TrainOptions): TrainNativeConfig {
  if (o.config) return o.config;
  return loadConfig({ file: o.configFile, sets: o.sets ?? [], flags: o.flags }).config;
}

export async function openRun(o: TrainOptions): Promise<Run> {
  const cwd = o.cwd ?? process.cwd();
  let config = configOf(o);
  checkTrainable(config);
  const data = loadData(config, { baseDir: cwd });
  const dims = inferModelDims(config, data.train, data.val);
  checkDataFits(config, data.train);
  let location = await locateRun(config, cwd, o.runDir);
  const loaded = location.resume;
  const checkpointState = loaded ? parseTrainerState(loaded.trainerState, loaded.info.dir) : null;
  const notes: string[] = [];
  if (loaded && checkpointState && config.STAGES.SKIP_STAGE1 && checkpointState.stage === 'stage2' && checkpointState.stageIndex >= 1) {
    // The checkpoint's counters already include stage 1: there is nothing left to skip, and the epochs count on.
    config = { ...config, STAGES: { ...config.STAGES, SKIP_STAGE1: false } };
    notes.push(`checkpoint ${loaded.info.name} is past stage 1: --skip-stage1 (STAGES.SKIP_STAGE1) has nothing to skip; the epochs count on from its epoch ${checkpointState.epoch - 1}`);
  }
  const resumePlan = loaded && checkpointState ? planResume(config, checkpointState, loaded.info.dir, data.train.size, checkpointState.configHash === configHash(config)) : null;
  if (loaded && resumePlan && resumePlan.mode !== 'exact') {
    const fresh = newRunDir(config, cwd, o.runDir);
    location = { ...location, runDir: fresh.dir, note: resumePlan.mode === 'weights-only' ? `starting from the weights of ${loaded.info.dir} (--weights-only)` : `resuming from ${loaded.info.dir} with a changed configuration` };
    if (fresh.note) notes.push(fresh.note);
  }
  const schedule = buildSchedule(config, { trainSamples: data.train.size, ...(resumePlan?.origin ? { origin: resumePlan.origin } : {}) });
  const model = planModel(config, dims);
  if (config.TRAIN.EXPANDABLE_SEGMENTS) useExpandableSegments();
  const session = await createSession(model.native);
  try {
    await session.setData(SPLIT.TRAIN, sessionDataOf(data.train));
    if (data.val) await session.setData(SPLIT.VAL, sessionDataOf(data.val));
    const layout = runDirLayout(location.runDir);
    await prepareRunDir(location.runDir);
    await writeFileAtomic(layout.config, resolvedConfigToYaml(config));
    await writeFileAtomic(layout.scheduleSummary, renderSummaryOfSchedule(schedule));
    // A re-based or weights-only run writes a new run directory: nothing in it to truncate.
    const resumeState = resumePlan?.mode === 'exact' ? checkpointState : null;
    const resumeStep = resumeState ? resumeState.step : -1;
    const metricsLog = await MetricsLog.open(layout.metrics, { resumeStep });
    const tb = config.LOGGING.TENSORBOARD ? TensorBoardWriter.open(layout.tensorboard) : null;
    // TensorBoard drops every point with step >= the START's step: the checkpoint's own step was logged
    // by the earlier session and is not logged again, so the new session starts one step later.
    if (tb && resumeStep > 0) tb.addSessionStart(resumeStep + 1);
    const c = config.SCHEDULE.CHECKPOINT;
    const es = config.TRAIN.EARLY_STOP;
    const state = stateOf(schedule, resumePlan, checkpointState, loaded?.info.dir ?? '');
    state.scheduleKeys = scheduleKeysOf(config, data.train.size);
    const sampler = (batchSize: number) => new EpochSampler({ size: data.train.size, batchSize, dropLast: config.DATA.DROP_LAST, seed: config.EXPERIMENT.SEED });
    const b2 = config.STAGES.STAGE2.BATCH_SIZE;
    return {
      config,
      schedule,
      train: data.train,
      location,
      resumeState,
      checkpointState,
      resumePlan,
      notes,
      state,
      session,
      batchPlan: {
        config,
        schedule,
        data: data.train,
        sampler: sampler(config.DATA.BATCH_SIZE),
        ...(b2 !== undefined && b2 !== config.DATA.BATCH_SIZE ? { stage2Sampler: sampler(b2) } : {}),
        maskTokenId: model.maskTokenId,
      },
      evalPlan: data.val
        ? { data: data.val, batchSize: config.DATA.BATCH_SIZE, seed: config.EXPERIMENT.SEED, maskTokenId: model.maskTokenId, maskProb: config.STAGES.STAGE1.MASK_PROB }
        : null,
      store: new CheckpointStore(layout.checkpoints, { keepTopN: c.KEEP_TOP_N, keepLastN: c.KEEP_LAST_N }),
      metricsLog,
      tb,
      console: o.progress === undefined ? SILENT : createConsoleReporter(o.progress, o.stream ?? process.stderr),
      monitor: { name: es.METRIC, mode: resolveMode(es.METRIC, es.MODE) },
      cwd,
      dataDescription: data.description,
    };
  } catch (err) {
    await session.dispose();
    throw err;
  }
}

/**
 * PyTorch's caching allocator reads PYTORCH_CUDA_ALLOC_CONF once, when CUDA first allocates: it is
 * set here, before the session (and so CUDA) starts. A setting the user exported is kept and
 * extended; the native side sets it too when the addon is used without this package's loop.
 */
function useExpandableSegments(): void {
  const now = process.env.PYTORCH_CUDA_ALLOC_CONF;
  if (now === undefined || now === '') process.env.PYTORCH_CUDA_ALLOC_CONF = 'expandable_segments:True';
  else if (!now.includes('expandable_segments')) process.env.PYTORCH_CUDA_ALLOC_CONF = `${now},expandable_segments:True`;
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

export async function closeRun(run: Run): Promise<void> {
  run.console.stop();
  run.tb?.close();
  try {
    await run.metricsLog.close();
  } finally {
    await run.session.dispose();
  }
}
