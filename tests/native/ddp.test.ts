/**
 * Distributed data parallel (SPEC §13), as a user runs it: two `train-native train` processes on
 * this machine (gloo over loopback), started either by hand with torchrun's variables or by
 * `train-native launch`. What is proven:
 *
 * - 2 processes × batch B train to the weights of 1 process × batch 2B (1e-5 relative), with the
 *   same validation metrics, and only rank 0 writes the run directory;
 * - Ctrl-C to launch stops both ranks at one step with one checkpoint; --auto-resume then ends
 *   bit-identical to an uninterrupted 2-process run (per-rank dropout states restored);
 * - kill -9 of one rank: the other exits 1 within the test's DIST.TIMEOUT_S, naming the rank,
 *   and every checkpoint left verifies; `launch --max-restarts 1` survives the same kill and ends
 *   with the uninterrupted run's weights;
 * - bad launch flags and torchrun variables exit 2 with one line naming the flag or variable.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { createServer, type AddressInfo } from 'net';
import { join } from 'path';
import { verifyCheckpoint } from '../../lib/checkpoint';
import { nativeAvailable } from './helpers';
import { CLI, ROOT, checkpointNames, readJsonLines, smallConfig, tensors, tmpDir, trainerState, waitFor, writeConfig } from './train-helpers';

const name = (step: number): string => `step-${String(step).padStart(8, '0')}`;

/**
 * Skips (with one line) where the addon was built without gloo (no libgloo-dev at build time).
 * Asked synchronously of the compiled package, so the tests show as skipped, not passed.
 */
function addonFacts(): { backends: string[]; torch: string } {
  if (!nativeAvailable) return { backends: [], torch: '' };
  const probe = `require(${JSON.stringify(join(ROOT, 'dist', 'native', 'index.js'))}).buildInfo().then((i) => process.stdout.write(JSON.stringify({ backends: i.distBackends ?? [], torch: i.torchVersion })))`;
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? (JSON.parse(r.stdout) as { backends: string[]; torch: string }) : { backends: [], torch: '' };
}
const facts = addonFacts();
const glooBuilt = facts.backends.includes('gloo');

/**
 * torchrun's agent hosts the rendezvous store, so the addon's TCPStore must speak its protocol:
 * the reference python's torchrun (CI part b: pip torch 2.13) when its torch is the addon's
 * LibTorch (same major.minor, 2.x: `--no-python`). Empty when there is none.
 */
function matchingTorchrun(): string {
  const py = process.env.TRAIN_NATIVE_REFERENCE_PYTHON;
  if (!glooBuilt || !py) return '';
  const r = spawnSync(py, ['-c', 'import torch, torch.distributed.run; print(torch.__version__)'], { encoding: 'utf8' });
  const mm = (v: string) => v.split('.').slice(0, 2).join('.');
  return r.status === 0 && mm(r.stdout.trim()) === mm(facts.torch) && !facts.torch.startsWith('1.') ? py : '';
}
const torchrunPython = matchingTorchrun();
if (nativeAvailable && !glooBuilt) process.stderr.write('[tests/native/ddp] skipping: this addon was built without gloo (apt-get install libgloo-dev, then rebuild)\n');
const describeDist: jest.Describe = glooBuilt ? describe : describe.skip;
const itDist = (title: string, fn: () => Promise<void>, timeout: number) => test(title, fn, timeout);

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function finished(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, TRAIN_NATIVE_DEBUG: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** One rank started by hand with torchrun's variables (what torchrun --no-python does). */
function rank(args: string[], r: number, world: number, port: number): ChildProcess {
  return cli(args, { RANK: String(r), LOCAL_RANK: String(r), WORLD_SIZE: String(world), LOCAL_WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) });
}

function maxRelDiff(a: Map<string, Buffer>, b: Map<string, Buffer>): number {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  let worst = 0;
  for (const [k, va] of a) {
    const x = new Float32Array(va.buffer.slice(va.byteOffset, va.byteOffset + va.byteLength));
    const vb = b.get(k) as Buffer;
    const y = new Float32Array(vb.buffer.slice(vb.byteOffset, vb.byteOffset + vb.byteLength));
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < x.length; i++) {
      scale = Math.max(scale, Math.abs(y[i]));
      diff = Math.max(diff, Math.abs(x[i] - y[i]));
    }
    worst = Math.max(worst, diff / Math.max(scale, 1e-12));
  }
  return worst;
}

function expectSameTensors(a: string, b: string, checkpoint: string, file: 'model' | 'optimizer'): void {
  const ta = tensors(a, checkpoint, file);
  const tb = tensors(b, checkpoint, file);
  expect([...tb.keys()].sort()).toEqual([...ta.keys()].sort());
  for (const [k, v] of ta) expect({ k, equal: v.equals(tb.get(k) as Buffer) }).toEqual({ k, equal: true });
}

/** The run long enough to be interrupted after its first checkpoint: 2 ranks × 32, 4 epochs of 64 steps. */
function longConfig(out: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return smallConfig(out, {
    DATA: { TRAIN_SAMPLES: 4096, BATCH_SIZE: 32 },
    MODEL: { INPUT_DIM: 64, HIDDEN_SIZES: [256, 256] },
    TRAIN: { EPOCHS: 4 },
    SCHEDULE: { CHECKPOINT: { INTERVAL_EPOCHS: 1, KEEP_LAST_N: 10 } },
    DIST: { TIMEOUT_S: 30 },
    ...overrides,
  });
}
const LONG_SPE = 4096 / (32 * 2);
const LONG_TOTAL = 4 * LONG_SPE;

describeDist('distributed data parallel: 2 processes, gloo on loopback', () => {
  itDist('2 processes × batch B end with the weights and metrics of 1 process × batch 2B; only rank 0 writes', async () => {
    const out = tmpDir('tn-ddp-');
    // No dropout: each rank has its own dropout stream, which one process cannot reproduce.
    const base = { MODEL: { DROPOUT: 0 }, TRAIN: { EPOCHS: 2 } };
    const two = writeConfig(out, smallConfig(out, { ...base, DATA: { BATCH_SIZE: 16 } }), 'two.yaml');
    const one = writeConfig(out, smallConfig(out, { ...base, DATA: { BATCH_SIZE: 32 } }), 'one.yaml');
    const port = await freePort();
    const dir2 = join(out, 'two');
    const dir1 = join(out, 'one');
    const [r0, r1, single] = await Promise.all([
      finished(rank(['train', two, '--run-dir', dir2], 0, 2, port)),
      finished(rank(['train', two, '--run-dir', dir2], 1, 2, port)),
      finished(cli(['train', one, '--run-dir', dir1])),
    ]);
    expect({ code: r0.code, stderr: r0.stderr }).toEqual({ code: 0, stderr: '' });
    expect({ code: r1.code, stderr: r1.stderr }).toEqual({ code: 0, stderr: '' });
    expect({ code: single.code, stderr: single.stderr }).toEqual({ code: 0, stderr: '' });
    // 512 training samples (validation is generated on top) in global batches of 32: 16 steps an epoch.
    const last = name(32);
    expect(checkpointNames(dir2)).toEqual([name(16), last]);
    expect(checkpointNames(dir1)).toEqual([name(16), last]);
    expect(maxRelDiff(tensors(dir2, last), tensors(dir1, last))).toBeLessThan(1e-5);
    // Rank 0 reports for both; rank 1 prints nothing.
    expect(r0.stdout).toContain('Epoch 2');
    expect(r0.stdout).toContain('done: 32/32 steps');
    expect(r1.stdout).toBe('');
    // Validation is sharded and all-reduced: the same numbers as one process's.
    const val = (d: string) => readJsonLines(join(d, 'metrics.jsonl')).filter((r) => r.split === 'val');
    const v2 = val(dir2);
    const v1 = val(dir1);
    expect(v2.map((r) => r.step)).toEqual([16, 32]);
    for (let i = 0; i < v1.length; i++) {
      expect(Math.abs((v2[i].loss as number) - (v1[i].loss as number))).toBeLessThan(1e-5 * Math.abs(v1[i].loss as number));
      expect(v2[i].accuracy).toBe(v1[i].accuracy);
    }
    // Both checkpoints record both ranks' RNG states.
    expect((trainerState(dir2, last).rng as { ranks?: string[] }).ranks).toHaveLength(2);
  }, 240000);

  (torchrunPython ? test : test.skip)("torchrun --no-python (the same torch as the addon's) starts the ranks: the torchrun contract through its agent's store", async () => {
    const out = tmpDir('tn-ddp-torchrun-');
    const file = writeConfig(out, smallConfig(out, { MODEL: { DROPOUT: 0 }, TRAIN: { EPOCHS: 1 }, DATA: { BATCH_SIZE: 16 } }));
    const runDir = join(out, 'run');
    const child = spawn(torchrunPython, ['-m', 'torch.distributed.run', '--no-python', '--nproc-per-node', '2', '--master-port', String(await freePort()), process.execPath, CLI, 'train', file, '--run-dir', runDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await finished(child);
    expect({ code: r.code, tail: r.code === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ code: 0, tail: '' });
    expect(r.stdout).toContain('on cpu × 2 processes');
    expect(checkpointNames(runDir)).toEqual([name(16)]);
  }, 240000);

  itDist('with gradient accumulation: 2 processes × batch B × A micro-batches equal 1 process × batch 2B × A', async () => {
    const out = tmpDir('tn-ddp-acc-');
    const base = { MODEL: { DROPOUT: 0 }, TRAIN: { EPOCHS: 1, ACCUMULATION_STEPS: 2 } };
    const two = writeConfig(out, smallConfig(out, { ...base, DATA: { BATCH_SIZE: 8 } }), 'two.yaml');
    const one = writeConfig(out, smallConfig(out, { ...base, DATA: { BATCH_SIZE: 16 } }), 'one.yaml');
    const port = await freePort();
    const [r0, r1, single] = await Promise.all([
      finished(rank(['train', two, '--run-dir', join(out, 'two')], 0, 2, port)),
      finished(rank(['train', two, '--run-dir', join(out, 'two')], 1, 2, port)),
      finished(cli(['train', one, '--run-dir', join(out, 'one')])),
    ]);
    expect([r0.code, r1.code, single.code]).toEqual([0, 0, 0]);
    // 512 samples, 16 a micro-batch, 2 micro-batches a step: 16 steps.
    expect(checkpointNames(join(out, 'two'))).toEqual([name(16)]);
    expect(maxRelDiff(tensors(join(out, 'two'), name(16)), tensors(join(out, 'one'), name(16)))).toBeLessThan(1e-5);
  }, 240000);

  describe('stopping, failing and restarting', () => {
    let out = '';
    let file = '';
    let refDir = '';
    beforeAll(async () => {
      out = tmpDir('tn-ddp-stop-');
      file = writeConfig(out, longConfig(out));
      refDir = join(out, 'ref');
      const ref = await finished(cli(['launch', '--nproc-per-node', '2', '--master-port', String(await freePort()), '--', 'train', file, '--run-dir', refDir]));
      expect(ref.code).toBe(0);
      expect(checkpointNames(refDir).slice(-1)[0]).toBe(name(LONG_TOTAL));
    }, 300000);

    itDist('Ctrl-C to launch stops every rank at one step with one checkpoint; --auto-resume ends bit-identical to the uninterrupted run', async () => {
      const runDir = join(out, 'stopped');
      const port = String(await freePort());
      const child = cli(['launch', '--nproc-per-node', '2', '--master-port', port, '--', 'train', file, '--run-dir', runDir]);
      const stopped = finished(child);
      let exited = false;
      child.on('exit', () => (exited = true));
      await waitFor(() => existsSync(join(runDir, 'checkpoints', 'latest')) || exited, 120000, 'the first checkpoint');
      expect(exited).toBe(false);
      child.kill('SIGINT');
      const s = await stopped;
      expect(s.code).toBe(130);
      const m = /stopped at step (\d+); continue with/.exec(s.stderr);
      expect(m).not.toBeNull();
      const step = Number((m as RegExpExecArray)[1]);
      expect(step).toBeGreaterThanOrEqual(LONG_SPE);
      expect(step).toBeLessThan(LONG_TOTAL);
      // Rank 0 reports the stop for both; the checkpoint of that step is the latest.
      expect(s.stderr.match(/stopped at step/g)).toHaveLength(1);
      expect(readFileSync(join(runDir, 'checkpoints', 'latest'), 'utf8').trim()).toBe(name(step));
      expect(trainerState(runDir, name(step)).step).toBe(step);

      const resumed = await finished(cli(['launch', '--nproc-per-node', '2', '--master-port', port, '--', 'train', file, '--run-dir', runDir, '--auto-resume']));
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toContain(`resuming from ${join(runDir, 'checkpoints', name(step))}`);
      expectSameTensors(refDir, runDir, name(LONG_TOTAL), 'model');
      expectSameTensors(refDir, runDir, name(LONG_TOTAL), 'optimizer');
    }, 300000);

    itDist('kill -9 of rank 1: rank 0 exits 1 within DIST.TIMEOUT_S naming rank 1, and every checkpoint left verifies', async () => {
      const runDir = join(out, 'killed');
      const port = await freePort();
      const args = ['train', file, '--run-dir', runDir];
      const c0 = rank(args, 0, 2, port);
      const c1 = rank(args, 1, 2, port);
      const f0 = finished(c0);
      const f1 = finished(c1);
      await waitFor(() => existsSync(join(runDir, 'checkpoints', 'latest')), 120000, 'the first checkpoint');
      const killedAt = Date.now();
      c1.kill('SIGKILL');
      const [s0, s1] = await Promise.all([f0, f1]);
      const seconds = (Date.now() - killedAt) / 1000;
      expect(s1.signal).toBe('SIGKILL');
      expect(s0.code).toBe(1);
      expect(seconds).toBeLessThan(30);
      const lines = s0.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^train-native: distributed .* failed on rank 0 of 2: rank 1 stopped responding/);
      const names = checkpointNames(runDir);
      expect(names.length).toBeGreaterThanOrEqual(1);
      for (const n of names) expect(await verifyCheckpoint(join(runDir, 'checkpoints', n))).toMatchObject({ ok: true });
    }, 300000);

    itDist('launch --max-restarts 1 survives kill -9 of a rank and ends with the uninterrupted run\'s weights', async () => {
      const runDir = join(out, 'restarted');
      const child = cli(['launch', '--nproc-per-node', '2', '--max-restarts', '1', '--master-port', String(await freePort()), '--', 'train', file, '--run-dir', runDir]);
      const done = finished(child);
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      await waitFor(() => existsSync(join(runDir, 'checkpoints', 'latest')), 120000, 'the first checkpoint');
      const pid = Number((/rank 1 \(local 1\) started, pid (\d+)/.exec(stderr) as RegExpExecArray)[1]);
      process.kill(pid, 'SIGKILL');
      const r = await done;
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`launch: rank 1 (pid ${pid}) was killed by SIGKILL; stopping the other ranks`);
      expect(r.stderr).toContain('launch: restarting all 2 local ranks with --auto-resume (restart 1 of 1)');
      expectSameTensors(refDir, runDir, name(LONG_TOTAL), 'model');
      expectSameTensors(refDir, runDir, name(LONG_TOTAL), 'optimizer');
    }, 300000);
  });

  itDist('bad launch flags, torchrun variables and DIST settings exit 2 with one line naming them', async () => {
    const out = tmpDir('tn-ddp-bad-');
    const file = writeConfig(out, smallConfig(out));
    const cases: Array<{ args: string[]; env?: NodeJS.ProcessEnv; want: RegExp }> = [
      { args: ['launch', '--nproc-per-node', 'two', '--', 'train', file], want: /^train-native: --nproc-per-node must be an integer from 1 to 1024, got 'two'$/ },
      { args: ['launch', '--nproc-per-node', '2', '--nnodes', '2', '--node-rank', '2', '--', 'train', file], want: /^train-native: --node-rank must be less than --nnodes \(2\), got 2$/ },
      { args: ['launch', '--nproc-per-node', '2', '--', 'schedule', file], want: /^train-native: launch runs `train` on every rank; got 'schedule'/ },
      { args: ['train', file], env: { WORLD_SIZE: '2', RANK: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29999' }, want: /^config error: DIST\.RANK: environment variable RANK: must be less than WORLD_SIZE \(2\), got 2$/ },
      { args: ['train', file], env: { WORLD_SIZE: 'x' }, want: /^config error: DIST\.WORLD_SIZE: environment variable WORLD_SIZE: must be an integer/ },
      { args: ['train', file, '--set', 'DIST.BACKEND=nccl'], env: { WORLD_SIZE: '2', RANK: '0', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29999' }, want: /^config error: DIST\.BACKEND: nccl runs collectives on CUDA devices/ },
      { args: ['train', file, '--set', 'DATA.DROP_LAST=false', '--set', 'DATA.BATCH_SIZE=25'], env: { WORLD_SIZE: '2', RANK: '0', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29999' }, want: /^config error: DATA\.DROP_LAST: with DIST\.WORLD_SIZE 2/ },
    ];
    for (const c of cases) {
      const r = await finished(cli(c.args, c.env));
      expect({ args: c.args.slice(0, 3), code: r.code }).toEqual({ args: c.args.slice(0, 3), code: 2 });
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(c.want);
    }
  }, 120000);
});
