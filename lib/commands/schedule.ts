/**
 * `train-native schedule [CONFIG]`: the dry run of SPEC §7. No data and no native code: the config
 * is loaded (N from DATA.TRAIN_SAMPLES, else counted from the data files without loading them), the schedule engine computes every step's LR, events and probabilities, and this
 * prints either the §7 JSON (`--json`, nothing else on stdout) or the human summary; `--plot`
 * also writes the SVG.
 */
import { basename } from 'path';
import { Command } from 'commander';
import { buildSchedule, scheduleToJson } from '../schedule';
import { renderScheduleSvg, renderSummaryOfSchedule } from '../render';
import { addConfigOptions, ConfigCliOptions, configLabel, loadCommandConfig } from './config-options';
import { dryRunSamples } from './dry-run-samples';
import { CliIO, processIO, writeUserFile } from './io';

export interface ScheduleCliOptions extends ConfigCliOptions {
  json?: boolean;
  plot?: string;
}

export function runSchedule(configArg: string | undefined, opts: ScheduleCliOptions, io: CliIO = processIO): void {
  const { config } = loadCommandConfig(configArg, opts);
  // Without DATA.TRAIN_SAMPLES the count comes from the data files' headers / sizes (no data is loaded).
  const schedule = buildSchedule(config, { trainSamples: dryRunSamples(config) });
  const json = scheduleToJson(schedule);

  if (opts.plot) {
    const svg = renderScheduleSvg(json, { title: `Learning-rate schedule — ${basename(configArg ?? 'quickstart.yaml')}` });
    writeUserFile(opts.plot, svg, 'the plot');
    io.stderr(`wrote ${opts.plot}\n`);
  }
  if (opts.json) {
    io.stdout(JSON.stringify(json) + '\n');
    return;
  }
  io.stdout(renderSummaryOfSchedule(schedule, { source: configLabel(configArg), json }));
}

export function scheduleCommand(io: CliIO = processIO): Command {
  const cmd = new Command('schedule')
    .summary('preview the LR schedule, events and probabilities of a config (no data, no native code)')
    .description(
      'Dry run of a config: resolves every *_STEPS / *_FRACTION / *_EPOCHS value, computes the learning ' +
        'rate of every optimizer step for each parameter group, the validation / mask-meta / checkpoint ' +
        'steps and the probability schedules, and prints a summary with text charts. No data is loaded: ' +
        'DATA.TRAIN_SAMPLES fixes the epoch length, else the samples are counted from the data files (npy header, ' +
        'CSV rows, text / token file size). CONFIG defaults to the packaged configs/quickstart.yaml.',
    )
    .argument('[CONFIG]', 'YAML config file (default: the built-in quickstart config)')
    .option('--json', 'print the schedule as one JSON object (SPEC §7) and nothing else')
    .option('--plot <FILE.svg>', 'also write an SVG plot of the LR curves and events');
  addConfigOptions(cmd);
  cmd.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ train-native schedule configs/quickstart.yaml',
      '  $ train-native schedule my.yaml --json > schedule.json',
      '  $ train-native schedule my.yaml --plot lr.svg --set DATA.TRAIN_SAMPLES=50000',
      '  $ train-native schedule my.yaml --lr 3e-4 --scheduler wsd --epochs 20',
    ].join('\n'),
  );
  cmd.action((configArg: string | undefined, opts: ScheduleCliOptions) => {
    runSchedule(configArg, opts, io);
  });
  return cmd;
}
