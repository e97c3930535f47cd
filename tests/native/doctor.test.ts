/**
 * `doctor`: with the addon it reports LibTorch / CUDA / threads and passes a smoke step (exit 0);
 * without it the report says why and how to build, and the exit code is 1.
 */
import { spawnSync } from 'child_process';
import { join } from 'path';
import { formatDoctorReport, runDoctor } from '../../lib/commands/doctor';
import type { DoctorReport } from '../../lib/commands/doctor';
import { explainLoadFailure } from '../../lib/native';
import { describeNative } from './helpers';

function capture(): { io: { stdout(t: string): void; stderr(t: string): void }; out: () => string } {
  let text = '';
  return { io: { stdout: (t) => (text += t), stderr: () => undefined }, out: () => text };
}

describeNative('doctor with the addon', () => {
  // A config error right after buildInfo() (planDist) exits the CLI at once: the buildInfo thread
  // must be done before the process's global destructors run (it was a SIGABRT about half the time).
  it('a process that exits the instant buildInfo() settled exits cleanly (20 of 20)', () => {
    const probe = `require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'native', 'index.js'))}).buildInfo().then((i) => process.stdout.write(i.torchVersion))`;
    const outcomes = Array.from({ length: 20 }, () => {
      const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
      return `${r.status}/${r.signal}`;
    });
    expect(outcomes).toEqual(Array(20).fill('0/null'));
  }, 120000);

  it('--json reports distributed backends (gloo where its headers were there at build time)', async () => {
    const c = capture();
    await runDoctor({ json: true }, c.io);
    const r = JSON.parse(c.out()) as DoctorReport;
    expect(Array.isArray(r.distributed?.backends)).toBe(true);
    for (const b of r.distributed?.backends ?? []) expect(['gloo', 'nccl']).toContain(b);
  });

  it('--json reports LibTorch, CUDA, threads and a passing smoke step', async () => {
    const c = capture();
    expect(await runDoctor({ json: true }, c.io)).toBe(0);
    const r = JSON.parse(c.out()) as DoctorReport;
    expect(r.ok).toBe(true);
    expect(r.libtorch?.version).toMatch(/^\d+\.\d+/);
    expect(r.libtorch?.foundAt.length).toBeGreaterThan(0);
    expect(typeof r.cuda?.available).toBe('boolean');
    expect(r.threads?.intraOp).toBeGreaterThanOrEqual(1);
    expect(r.addon.napiVersion).toBe(8);
  });

  it('prints a human report', async () => {
    const c = capture();
    await runDoctor({ json: false }, c.io);
    expect(c.out()).toMatch(/native addon loads/);
    expect(c.out()).toMatch(/LibTorch \d/);
  });
});

describe('doctor without the addon', () => {
  it('explains each load failure', () => {
    expect(explainLoadFailure(new Error('Could not locate the bindings file. Tried: ...')).reason).toBe('not-built');
    const missing = explainLoadFailure(new Error('libtorch_cpu.so.1.13: cannot open shared object file: No such file or directory'));
    expect(missing.reason).toBe('missing-library');
    expect(missing.message).toMatch(/libtorch_cpu\.so\.1\.13/);
    expect(missing.message).toMatch(/npx train-native build/);
    expect(explainLoadFailure(new Error('undefined symbol: _ZN3c10...')).reason).toBe('abi-mismatch');
  });

  it('reports clearly when the addon is absent', () => {
    const report: DoctorReport = {
      ok: false,
      node: { version: 'v20', napi: '9', platform: 'linux', arch: 'x64' },
      addon: { available: false, error: { reason: 'not-built', message: explainLoadFailure(new Error('Could not locate the bindings file')).message } },
    };
    const text = formatDoctorReport(report);
    expect(text).toMatch(/native addon not available \(not-built\)/);
    expect(text).toMatch(/npx train-native build/);
  });
});
