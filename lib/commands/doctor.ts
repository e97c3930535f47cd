/**
 * `train-native doctor`: checks the native side and reports it, for people (text) or tools
 * (--json): whether the addon loads (and if not, why and how to fix it), the LibTorch version and
 * where CMake found it, CUDA compiled / available and device names, intra- / inter-op threads,
 * the addon's build type and Node-API version, and a tiny smoke step proving that training works.
 * Exit code: 0 when the addon loads and the smoke step succeeds, 1 otherwise.
 */
import { buildInfo, createSession, nativeLoadError } from '../native';
import type { BuildInfo } from '../native';
import type { CliIO } from './io';
import { processIO } from './io';

export interface DoctorReport {
  ok: boolean;
  node: { version: string; napi: string; platform: string; arch: string };
  addon: { available: boolean; error?: { reason: string; message: string } ; buildType?: string; napiVersion?: number };
  libtorch?: { version: string; foundAt: string; source: string; libDir: string };
  cuda?: { compiled: boolean; available: boolean; deviceCount: number; devices: string[] };
  threads?: { intraOp: number; interOp: number; parallelInfo: string };
  /** c10d backends compiled in (gloo, nccl): what `launch` / WORLD_SIZE > 1 can use. */
  distributed?: { backends: string[] };
  smoke?: { ok: boolean; loss?: number; ms?: number; error?: string };
}

async function smokeStep(): Promise<NonNullable<DoctorReport['smoke']>> {
  const started = Date.now();
  try {
    const t = await createSession({ model: { type: 'mlp', inputDim: 4, numClasses: 2, hiddenSizes: [8] }, device: 'cpu', threads: 1 });
    try {
      const r = await t.step(
        { batchSize: 2, features: new Float32Array([0, 1, 2, 3, 3, 2, 1, 0]), labels: new Int32Array([0, 1]) },
        { lrs: { default: 1e-3 } },
      );
      return { ok: r.loss !== null && Number.isFinite(r.loss), loss: r.loss ?? undefined, ms: Date.now() - started };
    } finally {
      await t.dispose();
    }
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

export async function collectDoctorReport(): Promise<DoctorReport> {
  const report: DoctorReport = {
    ok: false,
    node: { version: process.version, napi: process.versions.napi ?? 'unknown', platform: process.platform, arch: process.arch },
    addon: { available: false },
  };
  const err = nativeLoadError();
  if (err) {
    report.addon.error = { reason: err.reason, message: err.message };
    return report;
  }
  let info: BuildInfo;
  try {
    info = await buildInfo();
  } catch (e) {
    report.addon.error = { reason: 'other', message: e instanceof Error ? e.message : String(e) };
    return report;
  }
  report.addon = { available: true, buildType: info.buildType, napiVersion: info.napiVersion };
  report.libtorch = { version: info.torchVersion, foundAt: info.torchFoundAt, source: info.torchSource, libDir: info.torchLibDir };
  report.cuda = { compiled: info.cudaCompiled, available: info.cudaAvailable, deviceCount: info.cudaDeviceCount, devices: info.deviceNames };
  report.threads = { intraOp: info.intraOpThreads, interOp: info.interOpThreads, parallelInfo: info.parallelInfo };
  report.distributed = { backends: info.distBackends ?? [] };
  report.smoke = await smokeStep();
  report.ok = report.smoke.ok;
  return report;
}

export function formatDoctorReport(r: DoctorReport): string {
  const lines: string[] = [];
  const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');
  lines.push(`node        ${r.node.version} (Node-API ${r.node.napi}, ${r.node.platform}-${r.node.arch})`);
  if (!r.addon.available) {
    lines.push(`${mark(false)} native addon not available (${r.addon.error?.reason ?? 'unknown'})`);
    lines.push(`     ${r.addon.error?.message ?? ''}`);
    lines.push('     The TypeScript commands (schedule, generate-checkpoints, config checks) still work.');
    return lines.join('\n') + '\n';
  }
  lines.push(`${mark(true)} native addon loads (${r.addon.buildType} build, NAPI_VERSION ${r.addon.napiVersion})`);
  if (r.libtorch) lines.push(`     LibTorch ${r.libtorch.version}, found via ${r.libtorch.source} at ${r.libtorch.foundAt} (libs: ${r.libtorch.libDir})`);
  if (r.cuda) {
    const devs = r.cuda.devices.length ? `: ${r.cuda.devices.join(', ')}` : '';
    lines.push(
      `     CUDA: ${r.cuda.compiled ? 'compiled in' : 'not compiled in (CPU LibTorch)'}, ` +
        `${r.cuda.available ? `available, ${r.cuda.deviceCount} device(s)${devs}` : 'not available'}`,
    );
  }
  if (r.threads) lines.push(`     threads: ${r.threads.intraOp} intra-op, ${r.threads.interOp} inter-op`);
  if (r.distributed) {
    lines.push(
      r.distributed.backends.length > 0
        ? `     distributed: ${r.distributed.backends.join(', ')} (train-native launch)`
        : '     distributed: not compiled in (gloo\'s headers were missing at build time: apt-get install libgloo-dev, then npx train-native build)',
    );
  }
  if (r.smoke) {
    lines.push(
      r.smoke.ok
        ? `${mark(true)} smoke step on CPU: loss ${r.smoke.loss?.toFixed(4)} in ${r.smoke.ms} ms`
        : `${mark(false)} smoke step on CPU failed: ${r.smoke.error ?? 'non-finite loss'}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Prints the report; returns the exit code (0 when the addon works). */
export async function runDoctor(opts: { json: boolean }, io: CliIO = processIO): Promise<number> {
  const report = await collectDoctorReport();
  io.stdout(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatDoctorReport(report));
  return report.ok ? 0 : 1;
}
