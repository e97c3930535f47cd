/**
 * `train-native build` as a user runs it, for the cases that end before compiling: a --libtorch
 * folder that is missing or holds no LibTorch (exit 2, one line naming the option), and no cmake
 * on PATH (exit 1 naming cmake). A real build is CI's part e (scripts/ci/e-package.sh): the packed
 * tarball installed into a fresh project, built with this command, then trained.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { resolveLibtorch } from '../../lib/commands/build';
import { runCli } from './run-cli';

describe('train-native build', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tn-build-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a --libtorch folder that does not exist, exit 2, one line', () => {
    const r = runCli(['build', '--libtorch', join(dir, 'nope')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`train-native: --libtorch ${join(dir, 'nope')}: no such folder\n`);
  });

  it('refuses a --libtorch folder without TorchConfig.cmake, exit 2', () => {
    const r = runCli(['build', '--libtorch', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--libtorch .*: no LibTorch there \(no share\/cmake\/Torch\/TorchConfig\.cmake\)/);
  });

  it('finds TorchConfig.cmake where an unpacked LibTorch, a pip torch and Debian keep it', () => {
    const debian = `lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/cmake/Torch`;
    for (const sub of ['share/cmake/Torch', debian, '']) {
      const root = mkdtempSync(join(dir, 'lt-'));
      mkdirSync(join(root, sub), { recursive: true });
      writeFileSync(join(root, sub, 'TorchConfig.cmake'), '');
      expect(resolveLibtorch(root)).toBe(join(root, sub));
    }
  });

  it('says cmake is missing when it is not on PATH, exit 1', () => {
    // A PATH with node alone (node's own folder, /usr/bin here, holds cmake too).
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const r = runCli(['build'], { env: { PATH: bin } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^train-native: the native addon was not built: cmake was not found on PATH/);
    expect(r.stdout).toBe('');
  });

  it('is listed in the help with its options', () => {
    const r = runCli(['build', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--libtorch <path>/);
    expect(r.stdout).toMatch(/--debug/);
  });
});
