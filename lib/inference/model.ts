/**
 * loadModel → Model (SPEC §12): a trained model rebuilt from its run directory (config.yaml, the
 * model card) and one checkpoint's weights, in a native session of its own. predict, evaluate
 * and generate run in eval mode without gradients on that session's thread, in call order.
 */
import * as path from 'path';
import { loadCheckpointWeights, resolveModelSource, type CheckpointChoice } from '../checkpoint';
import { loadConfig } from '../config';
import type { TrainNativeConfig } from '../config/types';
import { loadData, sequentialBatches, type Dataset } from '../data';
import { createSession } from '../native';
import type { DeviceName, EvalResult, NativeSession } from '../native/types';
import { sessionDataOf } from '../train/batches';
import { addSums, emptySums, metricsFromSums } from '../train/evaluate';
import { generateTokens, GenerationLock, type GenerateOptions, type GeneratedToken } from './generation';
import { InputError, rowsFromArrays, rowsFromPath, sliceRows, type ArrayInput, type InputRows } from './inputs';
import { readModelCard, type ModelCard } from './model-card';
import { remapClassIds } from './class-names';

export interface LoadModelOptions {
  /** 'cpu' | 'cuda' | 'auto' (default: 'auto') */
  device?: DeviceName;
  /** A run directory's 'best' (default; its latest when it has none), 'latest', or a checkpoint folder name. */
  checkpoint?: CheckpointChoice;
  /** intra-op threads (default: the training config's TRAIN.THREADS) */
  threads?: number;
}

export interface PredictOptions {
  /** rows per native call (default 256) */
  batchSize?: number;
  /** relative input paths resolve against it (default: process.cwd()) */
  cwd?: string;
}

export interface ClassPrediction {
  index: number;
  classId: number;
  /** the class name (a CSV source's string label), else the id as text */
  label: string;
  /** softmax probabilities, one per class */
  probabilities: Float32Array;
}

export interface RegressionPrediction {
  index: number;
  values: Float32Array;
}

export type Prediction = ClassPrediction | RegressionPrediction;

export interface EvaluateOptions {
  batchSize?: number;
  cwd?: string;
}

export interface Evaluation {
  /** SPEC §10's validation metrics without the split prefix: loss, accuracy | mae, rmse, r2 | perplexity */
  metrics: Record<string, number>;
  /** samples (tokens for gpt) scored */
  count: number;
  /** classification: class names, index = class id */
  labels?: string[];
  /** classification: [true class][predicted class] counts */
  confusionMatrix?: number[][];
}

export interface ModelInfo {
  type: ModelCard['model']['type'];
  /** gpt: 'language' */
  task: ModelCard['model']['task'] | 'language';
  runDir: string;
  checkpoint: string;
  step: number;
  device: string;
  /** classification: the class names (index = class id) */
  labels?: string[];
}

const DEFAULT_BATCH = 256;

function checkBatchSize(n: number | undefined): number {
  const b = n ?? DEFAULT_BATCH;
  if (!Number.isSafeInteger(b) || b < 1) throw new InputError(`batchSize must be a positive integer (got ${String(n)})`);
  return b;
}

export class Model {
  private readonly generation = new GenerationLock();

  private constructor(
    private readonly session: NativeSession,
    readonly card: ModelCard,
    readonly config: TrainNativeConfig,
    readonly info: ModelInfo,
  ) {}

  /** @internal — use loadModel */
  static async open(source: string, opts: LoadModelOptions = {}): Promise<Model> {
    const src = await resolveModelSource(source, opts.checkpoint ?? 'best');
    const card = readModelCard(path.join(src.runDir, 'assets', 'model.json'));
    const config = loadConfig({ file: path.join(src.runDir, 'config.yaml') }).config;
    const weights = await loadCheckpointWeights(src.checkpointDir);
    // A torchscript run keeps its module in the run directory (the card names it relative to it).
    const model = card.model.type === 'torchscript' ? { ...card.model, scriptPath: path.resolve(src.runDir, card.model.scriptPath ?? '') } : card.model;
    const session = await createSession({
      model,
      device: opts.device ?? 'auto',
      precision: config.TRAIN.PRECISION,
      seed: config.EXPERIMENT.SEED,
      threads: opts.threads ?? config.TRAIN.THREADS,
      gradClip: 0,
    });
    try {
      await session.setState(weights.model, { strict: true });
    } catch (e) {
      await session.dispose();
      const err = new Error(`checkpoint ${src.checkpointDir} does not fit the model in ${src.runDir}: ${(e as Error).message}`);
      err.name = 'CheckpointError';
      throw err;
    }
    const labels = card.model.task === 'classification' && card.model.type !== 'gpt' ? classLabels(card) : undefined;
    return new Model(session, card, config, {
      type: card.model.type,
      task: card.model.type === 'gpt' ? 'language' : card.model.task,
      runDir: src.runDir,
      checkpoint: src.checkpointDir,
      step: weights.info.step,
      device: session.device,
      labels,
    });
  }

  /**
   * Per sample: class id, label and probabilities (classification) or values (regression).
   * `input`: TypedArrays with their shape, or a path (npy file or folder, CSV).
   */
  async predict(input: ArrayInput | string, opts: PredictOptions = {}): Promise<Prediction[]> {
    const batchSize = checkBatchSize(opts.batchSize);
    const rows = typeof input === 'string' ? rowsFromPath(this.card, input, opts.cwd ?? process.cwd()) : rowsFromArrays(this.card, input);
    return this.predictRows(rows, batchSize);
  }

  private async predictRows(rows: InputRows, batchSize: number): Promise<Prediction[]> {
    // Every batch is queued at once: the session runs them in order.
    const calls: Promise<{ values: Float32Array; shape: [number, number] }>[] = [];
    for (let start = 0; start < rows.count; start += batchSize) calls.push(this.session.predict(sliceRows(rows, start, Math.min(batchSize, rows.count - start))));
    const results = await Promise.all(calls);
    const out: Prediction[] = new Array<Prediction>(rows.count);
    const names = this.info.labels;
    let index = 0;
    for (const r of results) {
      const [n, width] = r.shape;
      for (let i = 0; i < n; i++, index++) {
        const row = r.values.subarray(i * width, (i + 1) * width);
        if (names === undefined) {
          out[index] = { index, values: row };
          continue;
        }
        let best = 0;
        for (let c = 1; c < width; c++) if (row[c] > row[best]) best = c;
        out[index] = { index, classId: best, label: names[best] ?? String(best), probabilities: row };
      }
    }
    return out;
  }

  /**
   * Metrics over data in the training format (a path like DATA.TRAIN_PATH, relative to `cwd`);
   * without `data`, the run's own validation split. Classification adds a confusion matrix.
   */
  async evaluate(data?: string, opts: EvaluateOptions = {}): Promise<Evaluation> {
    const batchSize = checkBatchSize(opts.batchSize ?? this.config.DATA.BATCH_SIZE);
    const ds = data === undefined ? this.validationData() : this.dataAt(data, opts.cwd ?? process.cwd());
    const split = 'evaluate';
    await this.session.setData(split, sessionDataOf(ds));
    const classification = this.info.labels !== undefined;
    const calls: Promise<EvalResult>[] = sequentialBatches(ds.size, batchSize).map((indices) => this.session.evaluate({ split, indices, objective: 'supervised' }, { confusion: classification }));
    const results = await Promise.all(calls);
    const sums = emptySums();
    for (const r of results) addSums(sums, r);
    const out: Evaluation = { metrics: metricsFromSums(sums), count: sums.count };
    if (classification && this.info.labels && results.some((r) => r.confusion !== undefined)) {
      const c = this.card.model.numClasses ?? this.info.labels.length;
      const m = Array.from({ length: c }, () => new Array<number>(c).fill(0));
      for (const r of results) {
        if (!r.confusion) continue;
        for (let i = 0; i < c * c; i++) m[Math.floor(i / c)][i % c] += r.confusion[i];
      }
      out.labels = [...this.info.labels];
      out.confusionMatrix = m;
    }
    return out;
  }

  private validationData(): Dataset {
    const loaded = loadData(this.config, { baseDir: this.card.data.baseDir });
    if (loaded.val === null) throw new InputError(`the run in ${this.info.runDir} has no validation data (DATA.VAL_PATH / VAL_FRACTION); give the data to evaluate`);
    return this.checked(loaded.val, 'the validation data');
  }

  private dataAt(p: string, cwd: string): Dataset {
    const d = this.config.DATA;
    if (d.SOURCE.startsWith('synthetic:')) throw new InputError(`the model was trained on generated data (${d.SOURCE}); evaluate it without a data path (its validation split)`);
    const config: TrainNativeConfig = {
      ...this.config,
      DATA: {
        ...d,
        TRAIN_PATH: path.resolve(cwd, p),
        VAL_PATH: undefined,
        VAL_FRACTION: undefined,
        TRAIN_SAMPLES: undefined,
        // CSV: the trained feature columns, found by name in whatever order the file has them.
        FEATURES: this.card.data.featureNames ? this.card.data.featureNames.join(',') : d.FEATURES,
      },
    };
    return this.checked(loadData(config, { baseDir: cwd }).train, p);
  }

  /** The data's widths and class ids as the model knows them (string labels by name). */
  private checked(ds: Dataset, where: string): Dataset {
    if (ds.kind === 'features' && ds.width !== (this.card.model.inputDim ?? this.card.data.width)) {
      throw new InputError(`${where} has ${ds.width} features per sample; the model takes ${this.card.model.inputDim}`);
    }
    return remapClassIds(ds, this.card, where);
  }

  /**
   * gpt: an async iterator of generated tokens (with their text for text data), decoded
   * incrementally with a key/value cache. The same seed gives the same tokens.
   */
  generate(prompt: string | ArrayLike<number>, opts: GenerateOptions = {}): AsyncGenerator<GeneratedToken, void, undefined> {
    if (this.card.model.type !== 'gpt') throw new InputError(`only gpt models generate; this model is MODEL.TYPE ${this.card.model.type} (use predict)`);
    return generateTokens(this.session, this.card, prompt, opts, this.generation);
  }

  /** torchscript models: the module with these weights, for torch.jit.load. */
  async exportTorchScript(file: string): Promise<void> {
    if (this.card.model.type !== 'torchscript') {
      throw new InputError(`only MODEL.TYPE torchscript models export as TorchScript (this is ${this.card.model.type}); for the built-in ones, python/train_native_torch.py rebuilds the module, then torch.jit.trace it`);
    }
    await this.session.exportTorchScript(path.resolve(file));
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}

function classLabels(card: ModelCard): string[] {
  const n = card.model.numClasses ?? 0;
  return Array.from({ length: n }, (_, i) => card.data.classNames?.[i] ?? String(i));
}

/** Rebuilds a trained model from a run directory, a checkpoint folder or a checkpoints/best marker. */
export function loadModel(source: string, opts: LoadModelOptions = {}): Promise<Model> {
  return Model.open(source, opts);
}
