/**
 * How the CLI turns errors into output and exit statuses (SPEC §8), in process: config errors and
 * usage errors exit 2 with one line, actionable failures keep their status, and a bug is one
 * "internal error" line, exit 1, with the stack only under TRAIN_NATIVE_DEBUG=1.
 */
import { CommanderError } from 'commander';
import { main, reportError } from '../../lib/cli';
import { CliError } from '../../lib/commands/errors';
import { ConfigError } from '../../lib/config/errors';
import type { CliIO } from '../../lib/commands/io';

function capture(): CliIO & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (s: string) => void (io.out += s),
    stderr: (s: string) => void (io.err += s),
  };
  return io;
}

describe('reportError', () => {
  const saved = process.env.TRAIN_NATIVE_DEBUG;
  afterEach(() => {
    if (saved === undefined) delete process.env.TRAIN_NATIVE_DEBUG;
    else process.env.TRAIN_NATIVE_DEBUG = saved;
  });

  it('prints a ConfigError message alone and returns 2', () => {
    const io = capture();
    const code = reportError(new ConfigError('must be in [0, 1], got 2', 'LR_SCHEDULER.WARMUP_FRACTION', { file: 'a.yaml', line: 7 }), io);
    expect(code).toBe(2);
    expect(io.err).toBe('config error: a.yaml:7: LR_SCHEDULER.WARMUP_FRACTION: must be in [0, 1], got 2\n');
    expect(io.out).toBe('');
  });

  it('keeps only the first line of a multi-line config message', () => {
    const io = capture();
    reportError(new ConfigError('bad indentation\n  3 | x:\n    ^'), io);
    expect(io.err.split('\n')).toEqual(['config error: bad indentation', '']);
  });

  it('maps commander usage errors to 2 and help / version to 0, printing nothing more', () => {
    const io = capture();
    expect(reportError(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"), io)).toBe(2);
    expect(reportError(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), io)).toBe(0);
    expect(io.err).toBe('');
  });

  it('gives a CliError its own status', () => {
    const io = capture();
    expect(reportError(new CliError('cannot write the plot to /x.svg: EACCES', 1), io)).toBe(1);
    expect(io.err).toBe('train-native: cannot write the plot to /x.svg: EACCES\n');
  });

  it('reports a bug as one internal-error line, exit 1, no stack', () => {
    delete process.env.TRAIN_NATIVE_DEBUG;
    const io = capture();
    expect(reportError(new TypeError('x is undefined'), io)).toBe(1);
    expect(io.err.trimEnd().split('\n')).toHaveLength(1);
    expect(io.err).toMatch(/^train-native: internal error: x is undefined/);
    expect(io.err).not.toMatch(/\bat /);
  });

  it('adds the stack with TRAIN_NATIVE_DEBUG=1', () => {
    process.env.TRAIN_NATIVE_DEBUG = '1';
    const io = capture();
    reportError(new Error('boom'), io);
    expect(io.err).toMatch(/^train-native: internal error: boom\n/);
    expect(io.err).toMatch(/\n\s+at /);
  });
});

describe('main', () => {
  it('returns 2 for a usage error and 0 for --help, writing through the given IO', async () => {
    const io = capture();
    expect(await main(['node', 'train-native', 'schedule', '--nope'], io)).toBe(2);
    expect(io.err).toContain("unknown option '--nope'");
    const help = capture();
    expect(await main(['node', 'train-native', 'generate-checkpoints', '--help'], help)).toBe(0);
    expect(help.out).toContain('Usage: train-native generate-checkpoints');
  });

  it('returns 2 with no command and shows the usage', async () => {
    const io = capture();
    expect(await main(['node', 'train-native'], io)).toBe(2);
    expect(io.err).toContain('Usage: train-native');
  });
});
