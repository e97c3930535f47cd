/**
 * `train-native export SOURCE --torchscript OUT.pt`: a MODEL.TYPE torchscript run's module with
 * the checkpoint's weights (BatchNorm statistics included), in eval mode, for torch.jit.load.
 */
import type { Command } from 'commander';
import { CliError } from './errors';
import { CliIO, processIO } from './io';
import { modelCommand, withModel, type ModelSourceCliOptions } from './model-source';

export interface ExportCliOptions extends ModelSourceCliOptions {
  torchscript?: string;
}

export async function runExport(source: string, opts: ExportCliOptions, io: CliIO): Promise<void> {
  if (opts.torchscript === undefined) throw new CliError('export needs --torchscript OUT.pt', 2);
  const out = opts.torchscript;
  await withModel(source, opts, async (model) => {
    await model.exportTorchScript(out);
    io.stderr(`wrote ${out} (${model.info.checkpoint}); load it with torch.jit.load\n`);
  });
}

export function exportCommand(io: CliIO = processIO): Command {
  return modelCommand<ExportCliOptions>(
    {
      name: 'export',
      summary: "write a torchscript run's trained module for torch.jit.load",
      description: 'Writes the module of a MODEL.TYPE torchscript run with the checkpoint\'s weights and buffers, in eval mode. (Built-in models: python/train_native_torch.py rebuilds them in PyTorch.)',
      options: [['--torchscript <file>', 'the file to write (OUT.pt)']],
      examples: ['train-native export runs/cnn --torchscript cnn-trained.pt'],
    },
    (source, opts) => runExport(source, opts, io),
  );
}
