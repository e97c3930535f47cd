/**
 * SCHEDULE.CHECKPOINT.SYNC (seed 000's remote sync), without network: the "remote" is a local
 * folder and the command tests/fixtures/sync-copy.js (a stand-in for `rclone sync SRC DEST`).
 * The copy holds every checkpoint the run kept and resumes exactly; failures are retried and then
 * warned about while training finishes; a slow copy never holds up the steps.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Trainer, loadConfig } from '../../lib';
import type { SyncEvent } from '../../lib/train/checkpoint-sync';
import { nativeAvailable } from './helpers';
import { ROOT, checkpointNames, readJsonLines, smallConfig, tensors, tmpDir, trainCli, writeConfig } from './train-helpers';

const COPY = path.join(ROOT, 'tests', 'fixtures', 'sync-copy.js');
const command = (dest: string, extra = ''): string => `'${process.execPath}' '${COPY}' ${extra} {run_dir} '${dest}'`.replace(/\s+/g, ' ');

function runConfig(dir: string, sync: Record<string, unknown>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return smallConfig(path.join(dir, 'runs'), {
    TRAIN: { EPOCHS: 4, DEVICE: 'cpu', THREADS: 1 },
    SCHEDULE: { CHECKPOINT: { INTERVAL_EPOCHS: 1, KEEP_LAST_N: 2, KEEP_TOP_N: 1, SYNC: sync } },
    LOGGING: { PROGRESS: 'none', TENSORBOARD: false },
    ...overrides,
  });
}

async function trainWith(config: Record<string, unknown>, dir: string, opts: { abortAt?: number; runDir?: string } = {}) {
  const file = writeConfig(dir, config, `c-${Math.random().toString(36).slice(2)}.yaml`);
  const controller = new AbortController();
  const t = new Trainer({ config: loadConfig({ file }).config, signal: controller.signal, runDir: opts.runDir, cwd: dir });
  const syncs: Array<SyncEvent & { at: number }> = [];
  const steps: number[] = [];
  const warnings: string[] = [];
  t.on('sync', (e) => syncs.push({ ...e, at: Date.now() }));
  t.on('warning', (w) => warnings.push(w));
  if (opts.abortAt !== undefined) {
    const at = opts.abortAt;
    t.on('step', (e) => {
      steps.push(Date.now());
      if (e.step === at) controller.abort();
    });
  }
  const result = await t.run();
  return { result, syncs, warnings, steps };
}

(nativeAvailable ? describe : describe.skip)('checkpoint sync', () => {
  it('leaves a copy holding every checkpoint the run kept, from which a resume is exact', async () => {
    const dir = tmpDir('tn-sync-');
    const remote = path.join(dir, 'remote');
    // Uninterrupted reference run (no sync).
    const ref = await trainWith(runConfig(dir, {}, { EXPERIMENT: { NAME: 'ref', OUTPUT_DIR: path.join(dir, 'runs'), SEED: 7 } }), dir);
    // The synced run stops after epoch 2 (a Ctrl-C, say); then its disk is lost.
    const cfg = runConfig(dir, { COMMAND: command(remote), RETRY_DELAY_S: 0.05 });
    const first = await trainWith(cfg, dir, { abortAt: 32 });
    expect(first.result.status).toBe('aborted');
    expect(first.result.sync).toEqual({ syncedStep: 32, current: true, failures: 0 });
    expect(checkpointNames(remote)).toEqual(checkpointNames(first.result.runDir));
    expect(fs.readFileSync(path.join(remote, 'checkpoints', 'latest'), 'utf8')).toBe(fs.readFileSync(path.join(first.result.runDir, 'checkpoints', 'latest'), 'utf8'));
    fs.rmSync(first.result.runDir, { recursive: true });
    // Resuming from the copy finishes the run with exactly the weights of the uninterrupted one.
    const resumed = await trainWith(runConfig(dir, { ENABLED: false }, { TRAIN: { EPOCHS: 4, DEVICE: 'cpu', THREADS: 1, AUTO_RESUME: true } }), dir, { runDir: remote });
    expect(resumed.result.resumedFrom).toBe('step-00000032');
    expect(resumed.result.status).toBe('completed');
    const last = checkpointNames(ref.result.runDir).pop() as string;
    expect(tensors(remote, last)).toEqual(tensors(ref.result.runDir, last));
    // A copy may fail while the run deletes an old checkpoint under it (rclone reports that too):
    // it is retried, and what counts is that the newest checkpoint reached the copy (above).
    expect(first.syncs.filter((s) => s.ok).map((s) => s.step)).toContain(32);
  }, 120_000);

  it('retries a failing command, then warns (console, metrics.jsonl, warning event) and training still finishes', async () => {
    const dir = tmpDir('tn-sync-fail-');
    const flaky = await trainWith(runConfig(dir, { COMMAND: command(path.join(dir, 'flaky'), '--fail-first 2'), RETRIES: 3, RETRY_DELAY_S: 0.05 }, { TRAIN: { EPOCHS: 1, DEVICE: 'cpu', THREADS: 1 } }), dir);
    expect(flaky.syncs.map((s) => [s.attempt, s.ok])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(flaky.syncs[0].error).toMatch(/exit status 3: sync-copy: simulated failure 1/);
    expect(flaky.warnings).toEqual([]);
    expect(flaky.result.sync?.current).toBe(true);

    const broken = await trainWith(runConfig(dir, { COMMAND: command(path.join(dir, 'broken'), '--always-fail'), RETRIES: 1, RETRY_DELAY_S: 0.05 }), dir);
    expect(broken.result.status).toBe('completed');
    expect(broken.result.step).toBe(64);
    expect(broken.warnings.filter((w) => /checkpoint sync after step \d+ failed 2 times/.test(w)).length).toBeGreaterThan(0);
    expect(broken.result.sync).toEqual(expect.objectContaining({ syncedStep: null, current: false }));
    const logged = readJsonLines(path.join(broken.result.runDir, 'metrics.jsonl')).filter((r) => r.split === 'warning');
    expect(logged.length).toBeGreaterThan(0);
    expect(String(logged[0].message)).toMatch(/simulated failure/);
  }, 120_000);

  it('a slow copy never holds up the steps; a newer checkpoint replaces one still waiting', async () => {
    const dir = tmpDir('tn-sync-slow-');
    const slow = await trainWith(runConfig(dir, { COMMAND: command(path.join(dir, 'slow'), '--sleep 4') }), dir, { abortAt: 1e9 });
    // Every step ran before the first copy (started after epoch 1) had finished.
    expect(slow.syncs.length).toBeGreaterThan(0);
    expect(Math.max(...slow.steps)).toBeLessThan(slow.syncs[0].at);
    // Epochs 2 and 3 were saved while the first copy ran: only the newest waited, so two copies ran in all.
    expect(slow.syncs.map((s) => s.step)).toEqual([16, 64]);
    expect(slow.result.sync?.current).toBe(true);
  }, 120_000);

  it('CLI: --sync-command, the summary line, and bad commands refused with exit 2 naming the key', () => {
    const dir = tmpDir('tn-sync-cli-');
    const file = writeConfig(dir, runConfig(dir, {}, { TRAIN: { EPOCHS: 1, DEVICE: 'cpu', THREADS: 1 } }));
    const ok = trainCli(['train', file, '--sync-command', command(path.join(dir, 'remote copy'))]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/remote copy current/);
    expect(checkpointNames(path.join(dir, 'remote copy')).length).toBeGreaterThan(0);
    for (const [cmd, msg] of [
      ['rclone sync {run_dir} remote:{bucket}', /unknown placeholder \{bucket\}/],
      ["rclone sync '{run_dir} remote:x", /unterminated ' quote/],
      ['rclone sync {run_dir} remote:x | tee log', /'\|' at character \d+ means something to a shell/],
    ] as const) {
      const r = trainCli(['train', file, '--sync-command', cmd]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/SCHEDULE\.CHECKPOINT\.SYNC\.COMMAND/);
      expect(r.stderr).toMatch(msg);
    }
  }, 120_000);
});
