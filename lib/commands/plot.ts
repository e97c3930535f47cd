/**
 * `train-native plot RUN_DIR [-o FILE]`: the training curves of a run (seed 004) as one SVG —
 * train / validation loss on linear and log axes side by side, the LR on a secondary log axis,
 * checkpoints marked on the step axis. Reads only the run directory (SPEC §10), through the
 * checkpoint module's layout and listing: metrics.jsonl and the complete checkpoints.
 */
import { existsSync, statSync } from 'fs';
import { basename, join, relative, resolve } from 'path';
import { Command } from 'commander';
import { listCheckpoints, runDirLayout } from '../checkpoint';
import { MetricsLogError, MetricsRecord, readMetricsLog } from '../logging';
import { CurvePoint, renderCurvesSvg, TrainingCurves } from '../render/curves-svg';
import { CliError } from './errors';
import { CliIO, processIO, writeUserFile } from './io';

export interface PlotCliOptions {
  output?: string;
}

/** Record keys that are not a validation metric. */
const NON_METRIC_KEYS = new Set(['step', 'epoch', 'split', 'loss', 'lr']);

function pointsOf(records: MetricsRecord[], key: string): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const r of records) {
    const value = r[key];
    // null is how metrics.jsonl stores a non-finite value: skipped, as are missing keys.
    if (typeof value === 'number' && Number.isFinite(value)) points.push({ step: r.step, value });
  }
  return points.sort((a, b) => a.step - b.step);
}

/** One value per step (the last one logged), sorted by step. */
function lastPerStep(points: CurvePoint[]): CurvePoint[] {
  const byStep = new Map<number, number>();
  for (const p of points) byStep.set(p.step, p.value);
  return [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([step, value]) => ({ step, value }));
}

/**
 * The curves of a run from its metrics records: train loss (split 'train'), validation loss and the
 * first other numeric validation metric in logging order (split 'val'), and the LR (field `lr` of
 * any record).
 */
export function curvesFromMetrics(records: MetricsRecord[], checkpointSteps: number[], runName: string): TrainingCurves {
  const train = records.filter((r) => r.split === 'train');
  const val = records.filter((r) => r.split === 'val');
  let metricName: string | undefined;
  for (const r of val) {
    metricName = Object.keys(r).find((k) => !NON_METRIC_KEYS.has(k) && (typeof r[k] === 'number' || r[k] === null));
    if (metricName !== undefined) break;
  }
  return {
    runName,
    trainLoss: pointsOf(train, 'loss'),
    valLoss: pointsOf(val, 'loss'),
    valMetric: metricName === undefined ? undefined : { name: metricName, points: pointsOf(val, metricName) },
    lr: lastPerStep(pointsOf(records, 'lr')),
    checkpointSteps,
  };
}

/** Steps of the complete checkpoints (the checkpoint store's listing), ascending. */
export async function completeCheckpointSteps(runDir: string): Promise<number[]> {
  return (await listCheckpoints(runDirLayout(runDir).checkpoints)).map((c) => c.step);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export async function runPlot(runDir: string, opts: PlotCliOptions, io: CliIO = processIO): Promise<string> {
  if (!isDirectory(runDir)) {
    throw new CliError(`plot: ${runDir} is not a directory — expected a run directory (OUTPUT_DIR/NAME) with a metrics.jsonl`, 2);
  }
  const layout = runDirLayout(runDir);
  // Paths as the user gave the run directory (relative stays relative in messages).
  const inRun = (path: string): string => join(runDir, relative(layout.root, path));
  const metricsPath = inRun(layout.metrics);
  if (!existsSync(metricsPath)) {
    throw new CliError(`plot: ${runDir} has no metrics.jsonl — is it a run directory?`, 2);
  }
  let records: MetricsRecord[];
  try {
    records = readMetricsLog(metricsPath);
  } catch (err) {
    if (err instanceof MetricsLogError) throw new CliError(`plot: ${err.message}`, 2);
    throw err;
  }
  const runName = basename(resolve(runDir));
  const svg = renderCurvesSvg(curvesFromMetrics(records, await completeCheckpointSteps(runDir), runName));
  const output = opts.output ?? join(runDir, 'plots', 'training_curves.svg');
  writeUserFile(output, svg, 'the plot');
  io.stderr(`wrote ${output}\n`);
  return output;
}

export function plotCommand(io: CliIO = processIO): Command {
  const cmd = new Command('plot')
    .summary('plot the training curves of a run directory as an SVG')
    .description(
      'Reads RUN_DIR/metrics.jsonl and the complete checkpoints under RUN_DIR/checkpoints and writes one SVG: ' +
        'train and validation loss on a linear (left) and a log (right) axis, the first validation metric, ' +
        'the learning rate as a dashed line on a secondary log axis (plateau drops show as steps) and the ' +
        'checkpoint steps marked along the x-axis (global step).',
    )
    .argument('<RUN_DIR>', 'a run directory written by `train-native train` (OUTPUT_DIR/NAME)')
    .option('-o, --output <FILE.svg>', 'where to write the SVG (default: RUN_DIR/plots/training_curves.svg)');
  cmd.addHelpText(
    'after',
    ['', 'Examples:', '  $ train-native plot runs/quickstart', '  $ train-native plot runs/quickstart -o curves.svg'].join('\n'),
  );
  cmd.action(async (runDir: string, opts: PlotCliOptions) => {
    await runPlot(runDir, opts, io);
  });
  return cmd;
}
