/**
 * `train-native predict SOURCE --input FILE [--output FILE.csv|.jsonl|.npy] [--batch-size N]`:
 * the trained model's predictions for a file in the training data's format (SPEC §12). Without
 * --output the CSV goes to stdout.
 */
import type { Command } from 'commander';
import { CliError } from './errors';
import { CliIO, processIO, writeUserFile } from './io';
import { intOption, modelCommand, withModel, type ModelSourceCliOptions } from './model-source';

export interface PredictCliOptions extends ModelSourceCliOptions {
  input?: string;
  output?: string;
  batchSize?: string;
}

export async function runPredict(source: string, opts: PredictCliOptions, io: CliIO): Promise<void> {
  if (opts.input === undefined) throw new CliError('predict needs --input FILE (an .npy file or folder, or a .csv file)', 2);
  const { outputFormatOf, predictionsToCsv, predictionsToJsonl, predictionsToNpy } = await import('../inference/output');
  const format = opts.output === undefined ? 'csv' : outputFormatOf(opts.output);
  if (format === undefined) throw new CliError(`--output must end in .csv, .jsonl or .npy, got ${opts.output}`, 2);
  const batchSize = intOption(opts.batchSize, '--batch-size', 1);
  await withModel(source, opts, async (model) => {
    const preds = await model.predict(opts.input as string, { batchSize });
    const content = format === 'csv' ? predictionsToCsv(preds, model.info.labels) : format === 'jsonl' ? predictionsToJsonl(preds) : predictionsToNpy(preds);
    if (opts.output === undefined) io.stdout(content as string);
    else {
      writeUserFile(opts.output, content, 'predictions');
      io.stderr(`${preds.length} predictions written to ${opts.output}\n`);
    }
  });
}

export function predictCommand(io: CliIO = processIO): Command {
  return modelCommand<PredictCliOptions>(
    {
      name: 'predict',
      summary: "a trained model's predictions for a file",
      description:
        'Predicts every row of --input (an .npy file or folder, or a CSV with the feature columns the model was trained on, found by name). ' +
        'CSV output: index,label,class_id,prob_<label>... (classification) or index,value_0,... (regression); .jsonl: one object per row; .npy: float32 probabilities or values.',
      options: [
        ['--input <file>', 'the rows to predict: .npy file, npy folder (features.npy) or .csv'],
        ['--output <file>', 'write to FILE.csv, FILE.jsonl or FILE.npy instead of CSV on stdout'],
        ['--batch-size <n>', 'rows per native call (default 256)'],
      ],
      examples: ['train-native predict runs/digits --input new.csv', 'train-native predict runs/digits/checkpoints/best --input x.npy --output preds.jsonl'],
    },
    (source, opts) => runPredict(source, opts, io),
  );
}
