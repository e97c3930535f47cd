/**
 * `train-native evaluate SOURCE [--data PATH] [--json]`: a checkpoint's metrics (SPEC §10) on the
 * run's own validation data or on PATH, plus a confusion matrix for classification (rows = true
 * class, columns = predicted).
 */
import type { Command } from 'commander';
import type { Evaluation } from '../inference';
import { CliIO, processIO } from './io';
import { intOption, modelCommand, withModel, type ModelSourceCliOptions } from './model-source';

export interface EvaluateCliOptions extends ModelSourceCliOptions {
  data?: string;
  json?: boolean;
  batchSize?: string;
}

/** The confusion matrix as a right-aligned table with class names on both axes. */
export function renderConfusion(labels: readonly string[], m: readonly (readonly number[])[]): string {
  const names = labels.map((l) => (l.length > 12 ? `${l.slice(0, 11)}…` : l));
  const width = Math.max(...names.map((n) => n.length), ...m.flat().map((v) => String(v).length), 4);
  const pad = (s: string): string => s.padStart(width);
  const rowHead = Math.max(...names.map((n) => n.length), 'true \\ predicted'.length);
  const lines = [`${'true \\ predicted'.padEnd(rowHead)}  ${names.map(pad).join(' ')}`];
  m.forEach((row, i) => lines.push(`${names[i].padEnd(rowHead)}  ${row.map((v) => pad(String(v))).join(' ')}`));
  return `${lines.join('\n')}\n`;
}

export function renderEvaluation(e: Evaluation, where: string, unit: string): string {
  const metrics = Object.entries(e.metrics).map(([k, v]) => `${k} ${Number.isFinite(v) ? Number(v.toPrecision(6)) : String(v)}`);
  let out = `${where}: ${e.count} ${unit}; ${metrics.join(', ')}\n`;
  if (e.labels && e.confusionMatrix) out += `\nconfusion matrix (rows: true class, columns: predicted)\n${renderConfusion(e.labels, e.confusionMatrix)}`;
  return out;
}

export async function runEvaluate(source: string, opts: EvaluateCliOptions, io: CliIO): Promise<void> {
  const batchSize = intOption(opts.batchSize, '--batch-size', 1);
  await withModel(source, opts, async (model) => {
    const e = await model.evaluate(opts.data, { batchSize });
    if (opts.json) {
      const doc: Record<string, unknown> = { metrics: e.metrics, count: e.count, checkpoint: model.info.checkpoint };
      if (e.labels) {
        doc.labels = e.labels;
        doc.confusion_matrix = e.confusionMatrix;
      }
      io.stdout(`${JSON.stringify(doc)}\n`);
    } else {
      io.stdout(renderEvaluation(e, `${opts.data ?? 'validation data'} (checkpoint step ${model.info.step})`, model.info.type === 'gpt' ? 'tokens' : 'samples'));
    }
  });
}

export function evaluateCommand(io: CliIO = processIO): Command {
  return modelCommand<EvaluateCliOptions>(
    {
      name: 'evaluate',
      summary: "a checkpoint's metrics and confusion matrix",
      description:
        "Scores a trained model on the run's own validation data, or on --data PATH in the training data's format (like DATA.TRAIN_PATH). " +
        '--json prints {"metrics": {...}, "labels": [...], "confusion_matrix": [[...]]} (rows = true class, columns = predicted).',
      options: [
        ['--data <path>', "data to score, in the training data's format (default: the run's validation data)"],
        ['--json', 'print one JSON document'],
        ['--batch-size <n>', "samples per native call (default: the run's DATA.BATCH_SIZE)"],
      ],
      examples: ['train-native evaluate runs/digits', 'train-native evaluate runs/digits --data test.csv --json'],
    },
    (source, opts) => runEvaluate(source, opts, io),
  );
}
