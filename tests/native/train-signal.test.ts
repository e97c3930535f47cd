/**
 * Stopping on request: Ctrl-C (SIGINT) to `train-native train` stops after the current step, saves
 * a checkpoint at that step, tells the user how to continue and exits 130; `--auto-resume` then
 * finishes with the weights of a run that was never stopped. The library equivalent: aborting the
 * Trainer's AbortSignal mid-epoch resolves with status 'aborted' and a checkpoint at that step.
 */
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import type { ChildProcess } from 'child_process';
import { describeNative } from './helpers';
import { Trainer, train } from '../../lib/train';
import { validateConfig } from '../../lib/config';
import { checkpointNames, readJsonLines, smallConfig, spawnCli, tensors, tmpDir, trainerState, waitFor, writeConfig } from './train-helpers';

const name = (step: number): string => `step-${String(step).padStart(8, '0')}`;

function expectSameTensors(a: string, b: string, checkpoint: string, file: 'model' | 'optimizer'): void {
  const ta = tensors(a, checkpoint, file);
  const tb = tensors(b, checkpoint, file);
  expect([...tb.keys()].sort()).toEqual([...ta.keys()].sort());
  for (const [k, v] of ta) expect({ k, equal: v.equals(tb.get(k) as Buffer) }).toEqual({ k, equal: true });
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Collects a spawned CLI's output; resolves when it exits. */
function finished(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describeNative('Ctrl-C', () => {
  test('SIGINT stops with exit 130 and a checkpoint at the stopping step; --auto-resume ends with the uninterrupted weights', async () => {
    const out = tmpDir();
    // Big enough (256 steps per epoch, 4 epochs) that the run is still going after its first checkpoint.
    const cfg = smallConfig(out, {
      DATA: { TRAIN_SAMPLES: 8192 },
      MODEL: { INPUT_DIM: 64, HIDDEN_SIZES: [256, 256] },
      TRAIN: { EPOCHS: 4 },
      SCHEDULE: { CHECKPOINT: { INTERVAL_EPOCHS: 1, KEEP_LAST_N: 3 } },
    });
    const file = writeConfig(out, cfg);
    const spe = 8192 / 32;
    const total = 4 * spe;

    // The uninterrupted reference runs alongside: it only shares the CPU, not any files.
    const refDir = join(out, 'ref');
    const ref = finished(spawnCli(['train', file, '--run-dir', refDir]));

    const runDir = join(out, 'stopped');
    const child = spawnCli(['train', file, '--run-dir', runDir]);
    const stopped = finished(child);
    let exited = false;
    child.on('exit', () => (exited = true));
    await waitFor(() => existsSync(join(runDir, 'checkpoints', 'latest')) || exited, 90000, 'the first checkpoint');
    expect(exited).toBe(false);
    child.kill('SIGINT');
    const s = await stopped;

    expect({ code: s.code, signal: s.signal }).toEqual({ code: 130, signal: null });
    // stderr holds exactly the two lines of a clean stop: the acknowledgement and how to continue.
    const m = /^\nstopping after this step and saving a checkpoint \(Ctrl-C again to quit now\)\nstopped at step (\d+); continue with: train-native train (\S+) --run-dir (\S+) --resume-from (\S+)\n$/.exec(s.stderr);
    expect(m).not.toBeNull();
    const step = Number((m as RegExpExecArray)[1]);
    expect((m as RegExpExecArray)[2]).toBe(file);
    expect((m as RegExpExecArray)[3]).toBe(runDir);
    expect((m as RegExpExecArray)[4]).toBe(runDir);
    expect(step).toBeGreaterThanOrEqual(spe);
    expect(step).toBeLessThan(total);

    // The checkpoint at the stopping step is the latest, and its state says the same step.
    const latest = readFileSync(join(runDir, 'checkpoints', 'latest'), 'utf8').trim();
    expect(latest).toBe(name(step));
    expect(checkpointNames(runDir)).toContain(name(spe));
    expect(checkpointNames(runDir).slice(-1)[0]).toBe(name(step));
    expect(trainerState(runDir, latest).step).toBe(step);

    const r = await ref;
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(checkpointNames(refDir).slice(-1)[0]).toBe(name(total));

    const resumed = await finished(spawnCli(['train', file, '--run-dir', runDir, '--auto-resume']));
    expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(resumed.stdout).toContain(`resuming from`);
    expect(resumed.stdout).toContain(name(step));
    expect(checkpointNames(runDir).slice(-1)[0]).toBe(name(total));
    expectSameTensors(refDir, runDir, name(total), 'model');
    expectSameTensors(refDir, runDir, name(total), 'optimizer');
  });

  // The hint repeats the command's words (config, --run-dir, --set, flags) and adds --resume-from
  // RUN_DIR, so run literally it continues the stopped run, wherever it was written.
  test('the printed continue command, run as printed, resumes the stopped run (with --run-dir)', async () => {
    const out = tmpDir();
    const cfg = smallConfig(out, {
      DATA: { TRAIN_SAMPLES: 8192 },
      MODEL: { INPUT_DIM: 64, HIDDEN_SIZES: [256, 256] },
      TRAIN: { EPOCHS: 2 },
    });
    const file = writeConfig(out, cfg);
    const runDir = join(out, 'elsewhere');
    const child = spawnCli(['train', file, '--run-dir', runDir]);
    const stopped = finished(child);
    let exited = false;
    child.on('exit', () => (exited = true));
    await waitFor(() => existsSync(join(runDir, 'checkpoints', 'latest')) || exited, 90000, 'the first checkpoint');
    child.kill('SIGINT');
    const s = await stopped;
    expect(s.code).toBe(130);
    const hint = /continue with: train-native train (.*)\n/.exec(s.stderr);
    expect(hint).not.toBeNull();
    const latest = readFileSync(join(runDir, 'checkpoints', 'latest'), 'utf8').trim();
    // The hint's words are paths and flags without spaces (tmpdir paths have none).
    const again = await finished(spawnCli(['train', ...(hint as RegExpExecArray)[1].trim().split(/\s+/)]));
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`resuming from ${join(runDir, 'checkpoints', latest)}`);
  });
});

describeNative('aborting the library Trainer', () => {
  test('an AbortSignal aborted at mid-epoch step k resolves aborted at k with checkpoint step-k; resuming it matches an unstopped run', async () => {
    const out = tmpDir();
    const config = validateConfig(smallConfig(out, { TRAIN: { EPOCHS: 2 }, SCHEDULE: { CHECKPOINT: { INTERVAL_EPOCHS: 1, KEEP_LAST_N: 10 } } }));
    const controller = new AbortController();
    const runDir = join(out, 'aborted');
    const trainer = new Trainer({ config, runDir, signal: controller.signal });
    let spe = 0;
    let k = 0;
    const seen: number[] = [];
    trainer.on('start', (e) => {
      spe = e.stepsPerEpoch;
      k = spe + 5; // in the middle of epoch 2, away from any scheduled checkpoint or validation
    });
    trainer.on('step', (e) => {
      seen.push(e.step);
      if (e.step === k) controller.abort();
    });
    const r = await trainer.run();
    expect(spe).toBe(16); // 512 generated training samples / 32 (smallConfig)
    expect(r.status).toBe('aborted');
    expect(r.step).toBe(k);
    expect(seen[seen.length - 1]).toBe(k); // no step after the abort
    expect(checkpointNames(runDir)).toEqual([name(spe), name(k)]);
    expect(trainerState(runDir, name(k)).step).toBe(k);
    expect(readFileSync(join(runDir, 'checkpoints', 'latest'), 'utf8').trim()).toBe(name(k));

    const straight = await train({ config, runDir: join(out, 'straight') });
    const again = await train({ config: validateConfig(smallConfig(out, { TRAIN: { EPOCHS: 2, AUTO_RESUME: true }, SCHEDULE: { CHECKPOINT: { INTERVAL_EPOCHS: 1, KEEP_LAST_N: 10 } } })), runDir });
    expect(again.status).toBe('completed');
    expect(again.resumedFrom).toBe(name(k));
    expect(again.step).toBe(straight.step);
    expectSameTensors(join(out, 'straight'), runDir, name(straight.step), 'model');
    expectSameTensors(join(out, 'straight'), runDir, name(straight.step), 'optimizer');
    const lines = (d: string) => readJsonLines(join(d, 'metrics.jsonl')).map((x) => JSON.stringify(x));
    expect(lines(runDir)).toEqual(lines(join(out, 'straight')));
  });
});
