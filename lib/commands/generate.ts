/**
 * `train-native generate SOURCE --prompt TEXT [--max-new-tokens N] [--temperature T] [--top-k K]
 * [--top-p P] [--seed S] [--stop S]`: prints the prompt and the gpt model's continuation as it is
 * produced (text data). A model trained on token ids takes the prompt as ids separated by spaces
 * or commas, and prints ids.
 */
import type { Command } from 'commander';
import { CliError } from './errors';
import { CliIO, processIO } from './io';
import { intOption, modelCommand, numberOption, withModel, type ModelSourceCliOptions } from './model-source';

export interface GenerateCliOptions extends ModelSourceCliOptions {
  prompt?: string;
  maxNewTokens?: string;
  temperature?: string;
  topK?: string;
  topP?: string;
  seed?: string;
  stop?: string[];
}

function tokenIds(prompt: string): number[] {
  const words = prompt.split(/[\s,]+/).filter((w) => w !== '');
  const ids = words.map(Number);
  if (words.length === 0 || ids.some((v) => !Number.isSafeInteger(v) || v < 0)) throw new CliError(`--prompt: this model takes token ids (integers separated by spaces or commas), got ${JSON.stringify(prompt)}`, 2);
  return ids;
}

export async function runGenerate(source: string, opts: GenerateCliOptions, io: CliIO): Promise<void> {
  if (opts.prompt === undefined) throw new CliError('generate needs --prompt TEXT', 2);
  const options = {
    maxNewTokens: intOption(opts.maxNewTokens, '--max-new-tokens', 1),
    temperature: numberOption(opts.temperature, '--temperature'),
    topK: intOption(opts.topK, '--top-k', 0),
    topP: numberOption(opts.topP, '--top-p'),
    seed: intOption(opts.seed, '--seed', 0),
    stop: opts.stop,
  };
  await withModel(source, opts, async (model) => {
    if (model.info.type !== 'gpt') throw new CliError(`generate needs a gpt model; ${source} is MODEL.TYPE ${model.info.type} (use predict)`, 2);
    const text = model.card.data.text;
    const prompt = text ? (opts.prompt as string) : tokenIds(opts.prompt as string);
    io.stdout(text ? (opts.prompt as string) : (prompt as number[]).join(' '));
    for await (const t of model.generate(prompt, options)) io.stdout(text ? t.text ?? '' : ` ${t.token}`);
    io.stdout('\n');
  });
}

export function generateCommand(io: CliIO = processIO): Command {
  return modelCommand<GenerateCliOptions>(
    {
      name: 'generate',
      summary: 'continue a prompt with a trained gpt model',
      description:
        'Prints the prompt and its continuation as it is produced, sampled with a key/value cache. The same --seed gives the same text. ' +
        'Defaults: --max-new-tokens 200, --temperature 1, no top-k / top-p, a random seed.',
      options: [
        ['--prompt <text>', 'the text to continue (token ids for a model trained on DATA.SOURCE tokens)'],
        ['--max-new-tokens <n>', 'tokens to generate (default 200)'],
        ['--temperature <t>', '0 = greedy (default 1)'],
        ['--top-k <k>', 'sample among the k most likely tokens (0 = off)'],
        ['--top-p <p>', 'nucleus sampling: the smallest set of tokens whose probability reaches p (1 = off)'],
        ['--seed <s>', 'the same seed gives the same text (default: random)'],
        ['--stop <text...>', 'stop once the output contains this text (included in the output)'],
      ],
      examples: ['train-native generate runs/shakespeare --prompt "ROMEO:" --max-new-tokens 300 --seed 1', 'train-native generate runs/shakespeare --prompt "To be" --temperature 0.8 --top-k 40'],
    },
    (source, opts) => runGenerate(source, opts, io),
  );
}
