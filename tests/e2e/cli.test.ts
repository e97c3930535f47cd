/**
 * The command line as a user runs it (SPEC §7, §8, §11): `schedule` (JSON, human summary, SVG plot,
 * overrides), `generate-checkpoints` (seed 001's plans), error exits with one-line messages, and
 * `--help` / `--version`.
 */
import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { ScheduleJson } from '../../lib/schedule/json-types';
import { CLI, ROOT, runCli } from './run-cli';

const QUICKSTART = 'configs/quickstart.yaml';
const FIXTURES = 'tests/fixtures';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'train-native-e2e-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function scheduleJson(args: string[]): ScheduleJson {
  const r = runCli(['schedule', ...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as ScheduleJson;
}

/** A config error: status 2, nothing on stdout, exactly one stderr line, no stack trace. */
function expectConfigError(args: string[]): string {
  const r = runCli(args);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toContain('internal error');
  return lines[0];
}

describe('train-native schedule --json', () => {
  it('prints exactly the SPEC §7 object for configs/quickstart.yaml', () => {
    const r = runCli(['schedule', QUICKSTART, '--json']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.endsWith('}\n')).toBe(true);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1); // one JSON document, no other text
    const j = JSON.parse(r.stdout) as ScheduleJson;
    for (const key of ['total_steps', 'steps_per_epoch', 'epochs', 'effective_batch_size', 'lr', 'events', 'probabilities', 'warnings']) {
      expect(j).toHaveProperty(key);
    }
    expect(Object.keys(j.events).sort()).toEqual(['checkpoint', 'mask_meta_validation', 'partial_mask_meta_validation', 'validation']);
    expect(Object.keys(j.probabilities).sort()).toEqual(['meta_mask', 'mixup', 'partial_meta_mask']);
    expect(j.total_steps).toBeGreaterThan(0);
    expect(j.total_steps).toBe(j.steps_per_epoch * j.epochs);
    expect(Object.keys(j.lr)).toContain('default');
    for (const curve of Object.values(j.lr)) expect(curve).toHaveLength(j.total_steps);
    for (const p of Object.values(j.probabilities)) expect(p).toHaveLength(j.total_steps);
    expect(Array.isArray(j.warnings)).toBe(true);
    // quickstart validates every epoch
    expect(j.events.validation).toEqual(Array.from({ length: j.epochs }, (_, e) => (e + 1) * j.steps_per_epoch));
  });

  it('uses the built-in quickstart config when CONFIG is omitted', () => {
    expect(runCli(['schedule', '--json']).stdout).toBe(runCli(['schedule', QUICKSTART, '--json']).stdout);
  });

  it('handles a 100,000-step run with two parameter groups', () => {
    const j = scheduleJson([`${FIXTURES}/long-run.yaml`]);
    expect(j.total_steps).toBe(100_000);
    expect(Object.keys(j.lr)).toEqual(['default', 'head']);
    expect(j.lr.head).toHaveLength(100_000);
    expect(j.events.checkpoint).toEqual([30_000, 50_000, 80_000, 100_000]);
  });

  it('stops quietly when the reader closes the pipe early', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" schedule ${FIXTURES}/long-run.yaml --json | head -c 20`], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('{"total_steps":10000');
    expect(r.stderr).toBe('');
  });
});

describe('train-native schedule (human summary)', () => {
  const r = () => runCli(['schedule', `${FIXTURES}/long-run.yaml`]);

  it('prints run shape, resolved values, warnings, LR charts and the event timeline', () => {
    const out = r();
    expect(out.status).toBe(0);
    expect(out.stderr).toBe('');
    const text = out.stdout;
    expect(text).toMatch(/^Training schedule — tests\/fixtures\/long-run\.yaml\n/);
    expect(text).toMatch(/steps per epoch\s+10000/);
    expect(text).toMatch(/total steps\s+100000/);
    // resolved values with steps and epoch equivalents
    expect(text).toMatch(/LR_SCHEDULER\.WARMUP_STEPS\s+2000\s+2000\s+0\.2\n/);
    expect(text).toMatch(/LR_SCHEDULER\.RESTART_EPOCHS\s+2\s+20000\s+2\n/);
    expect(text).toMatch(/Warnings\n-+\n/);
    expect(text).toContain('Learning rate — group "default" (cosine_restart)');
    expect(text).toContain('Learning rate — group "head" (cosine_restart)');
    expect(text).toMatch(/1\.00e-3 \|/);
    expect(text).toMatch(/1\.00e-2 \|/);
    expect(text).toMatch(/^\s+0\s+1\s+2\s+3\s+4\s+5\s+6\s+7\s+8\s+9\s+10\s+epoch$/m);
    expect(text).toMatch(/^\s+validation \|[ V]+\| 10$/m);
    expect(text).toMatch(/^\s+checkpoint \|[ C]+\| 4$/m);
    expect(text).toMatch(/checkpoint \(C\)\s+4\s+30000, 50000, 80000, 100000/);
  });

  it('shows the warnings the schedule engine raises', () => {
    // a generated plan of 38 checkpoints with the default KEEP_LAST_N: 2 draws a warning
    const json = scheduleJson([`${FIXTURES}/checkpoints-333.yaml`]);
    expect(json.warnings.length).toBeGreaterThan(0);
    const text = runCli(['schedule', `${FIXTURES}/checkpoints-333.yaml`]).stdout;
    for (const w of json.warnings) expect(text).toContain(`  ! ${w}`);
  });
});

describe('train-native schedule --plot', () => {
  it('writes a standalone SVG with one curve per group and keeps stdout for the summary', () => {
    const file = join(tmp, 'plots', 'lr.svg');
    const r = runCli(['schedule', `${FIXTURES}/long-run.yaml`, '--plot', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Training schedule/);
    expect(r.stderr).toContain(`wrote ${file}`);
    const svg = readFileSync(file, 'utf8');
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain('data-kind="validation"');
    expect(svg).toContain('long-run.yaml');
  });

  it('with --json, stdout is still only the JSON', () => {
    const file = join(tmp, 'both.svg');
    const r = runCli(['schedule', QUICKSTART, '--json', '--plot', file]);
    expect(r.status).toBe(0);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
    expect(existsSync(file)).toBe(true);
  });

  it('reports an unwritable plot path in one line, status 1', () => {
    const r = runCli(['schedule', QUICKSTART, '--plot', join(QUICKSTART, 'x.svg')]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^train-native: cannot write the plot to /);
  });
});

describe('overrides', () => {
  it('--set changes the schedule', () => {
    const base = scheduleJson([QUICKSTART]);
    const changed = scheduleJson([QUICKSTART, '--set', 'LR_SCHEDULER.BASE_LR=0.01', '--set', 'LR_SCHEDULER.NAME=constant']);
    expect(Math.max(...base.lr.default)).not.toBeCloseTo(0.01, 10);
    expect(Math.max(...changed.lr.default)).toBeCloseTo(0.01, 12);
    expect(changed.lr.default[changed.total_steps - 1]).toBeCloseTo(0.01, 12);
  });

  it('shorthand flags change the schedule (--epochs, --lr)', () => {
    const base = scheduleJson([QUICKSTART]);
    const j = scheduleJson([QUICKSTART, '--epochs', String(base.epochs * 2), '--lr', '0.02']);
    expect(j.total_steps).toBe(base.total_steps * 2);
    expect(Math.max(...j.lr.default)).toBeCloseTo(0.02, 12);
  });

  it('the human summary reflects --set', () => {
    const r = runCli(['schedule', QUICKSTART, '--set', 'DATA.TRAIN_SAMPLES=8192']);
    expect(r.stdout).toMatch(/training samples\s+8192/);
  });
});

describe('train-native generate-checkpoints', () => {
  const seedEpoch1 = [0, 17, 35, 52, 70, 87, 105, 122, 140, 157, 175, 192, 210, 227, 245, 262, 280, 297, 315, 333];
  const seedEpoch2 = [334, 336, 340, 348, 364, 396, 460, 588, 666];

  it("reproduces seed 001's example 1 for 333 steps per epoch", () => {
    const r = runCli(['generate-checkpoints', `${FIXTURES}/checkpoints-333.yaml`]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines).toContain(`Epoch 1 (0-333): [${seedEpoch1.join(', ')}]`);
    expect(lines).toContain(`Epoch 2 (334-666): [${seedEpoch2.join(', ')}]`);
    // SPEC §4: epoch 3 ends at 3 x 333 = 999 (the seed's "1000" is off by one)
    expect(lines).toContain('Epoch 3 (667-999): [667, 669, 673, 681, 697, 729, 793, 921, 999]');
    expect(lines).toContain('Total: 38 checkpoints');
  });

  it("reproduces seed 001's example 2 with flags (5 first-epoch points, linear every 50)", () => {
    const r = runCli(['generate-checkpoints', `${FIXTURES}/checkpoints-333.yaml`, '--first-epoch', '5', '--spacing', 'linear', '--linear-interval', '50']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Epoch 1 (0-333): [0, 83, 166, 249, 333]');
    expect(r.stdout).toContain('Epoch 2 (334-666): [334, 384, 434, 484, 534, 584, 634, 666]');
    expect(r.stdout).toContain('later epochs: linear spacing (every 50 steps)');
  });

  it('--min-interval drops later-epoch points that are too close', () => {
    const r = runCli(['generate-checkpoints', `${FIXTURES}/checkpoints-333.yaml`, '--min-interval', '100', '--json']);
    const j = JSON.parse(r.stdout) as { epochs: Array<{ steps: number[] }> };
    expect(j.epochs[0].steps).toEqual(seedEpoch1);
    expect(j.epochs[1].steps).toEqual([460, 588, 666]);
  });

  it('--json prints the plan as one object', () => {
    const r = runCli(['generate-checkpoints', `${FIXTURES}/checkpoints-333.yaml`, '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as {
      steps_per_epoch: number;
      total_steps: number;
      settings: Record<string, unknown>;
      epochs: Array<{ epoch: number; start: number; end: number; steps: number[] }>;
      steps: number[];
      count: number;
    };
    expect(j.steps_per_epoch).toBe(333);
    expect(j.total_steps).toBe(999);
    expect(j.settings).toEqual({ first_epoch_checkpoints: 20, spacing: 'log', log_base: 2, linear_interval: 33, min_checkpoint_interval: 0 });
    expect(j.epochs.map((e) => [e.epoch, e.start, e.end])).toEqual([[1, 0, 333], [2, 334, 666], [3, 667, 999]]);
    expect(j.epochs[1].steps).toEqual(seedEpoch2);
    expect(j.count).toBe(38);
    expect(j.steps).toHaveLength(38);
  });

  it('works on a config that checkpoints by interval (GENERATE defaults)', () => {
    const r = runCli(['generate-checkpoints', QUICKSTART, '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { settings: { first_epoch_checkpoints: number; min_checkpoint_interval: number } };
    expect(j.settings.first_epoch_checkpoints).toBe(20);
    expect(j.settings.min_checkpoint_interval).toBe(100);
  });

  it('rejects bad flag values as usage errors (status 2)', () => {
    for (const args of [
      ['--first-epoch', 'many'],
      ['--first-epoch', '2.5'],
      ['--spacing', 'cubic'],
      ['--log-base', '0.5'],
      ['--linear-interval', '0'],
      ['--min-interval', '-3'],
    ]) {
      const r = runCli(['generate-checkpoints', QUICKSTART, ...args]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(args[0]);
    }
  });
});

describe('bad input (SPEC §8)', () => {
  it('a bad value: status 2, one line naming the key and the file line, no stack', () => {
    const line = expectConfigError(['schedule', `${FIXTURES}/bad-warmup.yaml`]);
    expect(line).toContain('LR_SCHEDULER.WARMUP_FRACTION');
    expect(line).toContain('bad-warmup.yaml:5');
  });

  it('an unknown key gets a "did you mean"', () => {
    const line = expectConfigError(['schedule', `${FIXTURES}/unknown-key.yaml`]);
    expect(line).toContain('BASE_LRR');
    expect(line).toMatch(/did you mean 'BASE_LR'/);
  });

  it('a YAML syntax error gives its line', () => {
    const line = expectConfigError(['schedule', `${FIXTURES}/yaml-syntax.yaml`]);
    expect(line).toMatch(/YAML/);
    expect(line).toContain('yaml-syntax.yaml:5');
  });

  it('the same errors from generate-checkpoints and from --set', () => {
    expect(expectConfigError(['generate-checkpoints', `${FIXTURES}/unknown-key.yaml`])).toContain('did you mean');
    expect(expectConfigError(['schedule', QUICKSTART, '--set', 'LR_SCHEDULER.WARMUP_FRACTION=2'])).toContain('LR_SCHEDULER.WARMUP_FRACTION');
  });

  it('a missing config file', () => {
    expect(expectConfigError(['schedule', 'no/such/config.yaml'])).toContain('no/such/config.yaml');
  });

  it('unknown options and commands are usage errors (status 2)', () => {
    const opt = runCli(['schedule', '--bogus']);
    expect(opt.status).toBe(2);
    expect(opt.stderr).toContain("unknown option '--bogus'");
    const cmd = runCli(['schedul']);
    expect(cmd.status).toBe(2);
    expect(cmd.stderr).toMatch(/unknown command 'schedul'/);
    expect(cmd.stderr).toMatch(/Did you mean schedule\?/);
  });
});

describe('train-native doctor', () => {
  it('--json prints one report whose ok matches the exit status', () => {
    const r = runCli(['doctor', '--json']);
    const report = JSON.parse(r.stdout) as { ok: boolean; node: { version: string }; addon: { available: boolean } };
    expect(r.status).toBe(report.ok ? 0 : 1);
    expect(report.node.version).toBe(process.version);
    expect(typeof report.addon.available).toBe('boolean');
  });
});

describe('schedule is a dry run', () => {
  it('loads no native module', () => {
    const script = `
      const Module = require('module');
      const load = Module._load;
      const seen = [];
      Module._load = function (request, ...rest) { seen.push(request); return load.call(this, request, ...rest); };
      const argv = [process.execPath, ${JSON.stringify(CLI)}, 'schedule', 'configs/quickstart.yaml', '--json'];
      require(${JSON.stringify(CLI)}).main(argv).then((code) => {
        process.stderr.write(JSON.stringify(seen.filter((s) => /native|bindings|\\.node$/.test(s))));
        process.exitCode = code;
      });
    `;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stderr)).toEqual([]);
    expect(JSON.parse(r.stdout)).toHaveProperty('total_steps');
  });
});

describe('--help and --version', () => {
  it.each([
    [['--help'], ['Usage: train-native', 'train', 'plot', 'schedule', 'generate-checkpoints', 'doctor', 'Examples:']],
    [['schedule', '--help'], ['Usage: train-native schedule', '--json', '--plot', '--set', '--lr', 'Examples:']],
    [['generate-checkpoints', '--help'], ['Usage: train-native generate-checkpoints', '--first-epoch', '--spacing', '--log-base', '--linear-interval', '--min-interval', '--json', 'Examples:']],
    [['doctor', '--help'], ['Usage: train-native doctor', '--json', 'Examples:']],
    [['train', '--help'], ['Usage: train-native train', '--auto-resume', '--resume-from', '--skip-stage1', '--stage2-lr', '--set', 'Examples:']],
    [['plot', '--help'], ['Usage: train-native plot', '--output', 'Examples:']],
  ])('%j shows usage, options and examples', (args, expected) => {
    const r = runCli(args);
    expect(r.status).toBe(0);
    for (const e of expected) expect(r.stdout).toContain(e);
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = runCli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });
});
