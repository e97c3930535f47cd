/**
 * Exact resume (SPEC §10): a CPU run interrupted and resumed ends with the same bytes as one that
 * never stopped — weights, optimizer moments and the logged metrics — whether it was stopped
 * cleanly (AbortSignal, as Ctrl-C does) or killed with SIGKILL mid-training.
 */
import { join } from 'path';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { describeNative } from './helpers';
import { train, Trainer } from '../../lib/train';
import { loadConfig } from '../../lib/config';
import { checkpointNames, readJsonLines, smallConfig, spawnCli, tensors, tmpDir, trainCli, waitFor, writeConfig } from './train-helpers';

/** Dropout, mixup, meta-masking and a plateau scheduler: every kind of state a resume must restore. */
function richConfig(out: string): Record<string, unknown> {
  return smallConfig(out, {
    DATA: { SOURCE: 'synthetic:sequence', BLOCK_SIZE: 8, META_COMPONENTS: ['TEMPORAL', 'SPATIAL'] },
    MODEL: { TYPE: 'transformer', D_MODEL: 16, NUM_HEADS: 2, NUM_LAYERS: 1, TOKEN_LIMIT: 8, DROPOUT: 0.2 },
    LR_SCHEDULER: { NAME: 'plateau', PATIENCE: 0, FACTOR: 0.5 },
    TRAIN: { EPOCHS: 2, EARLY_STOP: { ACTIVE: true, PATIENCE_EPOCHS: 5 } },
    SCHEDULE: {
      MIXUP: { GROUP_LEVELS: ['class'], PROB: { ENABLED: true, START_PROB: 1.0, END_PROB: 0.2, END_FRACTION: 0.5 } },
      META_MASKING: { ENABLED: true, START_PROB: 0.5, END_PROB: 0.1, END_FRACTION: 0.8 },
    },
  });
}

function expectSameCheckpoint(a: string, b: string, name: string): void {
  for (const file of ['model', 'optimizer'] as const) {
    const ta = tensors(a, name, file);
    const tb = tensors(b, name, file);
    expect([...tb.keys()].sort()).toEqual([...ta.keys()].sort());
    for (const [k, v] of ta) expect({ k, equal: v.equals(tb.get(k) as Buffer) }).toEqual({ k, equal: true });
  }
}

describeNative('resume equivalence', () => {
  test('2 epochs straight == 1 epoch, abort, resume, 1 epoch (bytes of weights, optimizer and metrics.jsonl)', async () => {
    const out = tmpDir();
    const cfg = richConfig(out);
    const file = writeConfig(out, cfg);
    const { config } = loadConfig({ file });
    const straight = await train({ config, runDir: join(out, 'straight') });
    expect(straight.status).toBe('completed');

    const controller = new AbortController();
    const first = new Trainer({ config, runDir: join(out, 'resumed'), signal: controller.signal });
    let stepsPerEpoch = 0;
    first.on('start', (e) => (stepsPerEpoch = e.stepsPerEpoch));
    first.on('step', (e) => {
      if (e.step === stepsPerEpoch) controller.abort();
    });
    const r1 = await first.run();
    expect(r1.status).toBe('aborted');
    expect(r1.step).toBe(stepsPerEpoch);

    const { config: again } = loadConfig({ file, sets: ['TRAIN.AUTO_RESUME=true'] });
    const r2 = await train({ config: again, runDir: join(out, 'resumed') });
    expect(r2.status).toBe('completed');
    expect(r2.resumedFrom).toBe(`step-${String(stepsPerEpoch).padStart(8, '0')}`);
    expect(r2.step).toBe(straight.step);

    const last = `step-${String(straight.step).padStart(8, '0')}`;
    expectSameCheckpoint(join(out, 'straight'), join(out, 'resumed'), last);
    expect(r2.metrics).toEqual(straight.metrics);
    // The resumed metrics.jsonl equals the uninterrupted one line for line.
    const strip = (rows: Array<Record<string, unknown>>) => rows.map((r) => JSON.stringify(r));
    expect(strip(readJsonLines(join(out, 'resumed', 'metrics.jsonl')))).toEqual(strip(readJsonLines(join(out, 'straight', 'metrics.jsonl'))));
  });

  test('kill -9 during training, then --auto-resume finishes with the uninterrupted weights', async () => {
    const out = tmpDir();
    const cfg = smallConfig(out, {
      // Big enough that the run is still going when the first checkpoint appears.
      DATA: { TRAIN_SAMPLES: 8192 },
      MODEL: { INPUT_DIM: 64, HIDDEN_SIZES: [256, 256] },
      TRAIN: { EPOCHS: 6 },
      SCHEDULE: { CHECKPOINT: { INTERVAL_EPOCHS: 1, KEEP_LAST_N: 2 } },
    });
    const file = writeConfig(out, cfg);
    const ref = trainCli(['train', file, '--run-dir', join(out, 'ref')]);
    expect(ref.stderr).toBe('');
    expect(ref.status).toBe(0);

    const runDir = join(out, 'killed');
    const child = spawnCli(['train', file, '--run-dir', runDir]);
    let exited = false;
    child.on('exit', () => (exited = true));
    await waitFor(() => existsSync(join(runDir, 'checkpoints', 'latest')) || exited, 60000, 'the first checkpoint');
    expect(exited).toBe(false);
    child.kill('SIGKILL');
    await waitFor(() => exited, 10000, 'the killed process');
    const before = checkpointNames(runDir);
    expect(before.length).toBeGreaterThan(0);
    const finalName = checkpointNames(join(out, 'ref')).slice(-1)[0];
    expect(before).not.toContain(finalName);

    const resumed = trainCli(['train', file, '--run-dir', runDir, '--auto-resume']);
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toMatch(/resuming from .*step-\d{8}/);
    expect(checkpointNames(runDir).slice(-1)[0]).toBe(finalName);
    expectSameCheckpoint(join(out, 'ref'), runDir, finalName);
    expect(readFileSync(join(runDir, 'checkpoints', 'latest'), 'utf8').trim()).toBe(finalName);
  });

  test('a corrupt newest checkpoint is detected by its checksum; --auto-resume falls back to the previous one and says so', () => {
    const out = tmpDir();
    const file = writeConfig(out, smallConfig(out, { TRAIN: { EPOCHS: 3 } }));
    const ref = trainCli(['train', file, '--run-dir', join(out, 'ref')]);
    expect(ref.status).toBe(0);
    const runDir = join(out, 'run');
    const first = trainCli(['train', file, '--run-dir', runDir]);
    expect(first.status).toBe(0);
    expect(checkpointNames(runDir)).toEqual(['step-00000016', 'step-00000032', 'step-00000048']);
    // Flip one byte in the middle of the newest checkpoint's weights.
    const victim = join(runDir, 'checkpoints', 'step-00000048', 'model.safetensors');
    const bytes = readFileSync(victim);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(victim, bytes);

    const resumed = trainCli(['train', file, '--run-dir', runDir, '--auto-resume']);
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toMatch(/warning: checkpoint step-00000048 is unusable \(model\.safetensors: sha256 mismatch/);
    expect(resumed.stdout).toMatch(/resuming from \S*step-00000032/);
    // The run finished again from step 32 and replaced the corrupt folder with a sound one.
    expectSameCheckpoint(join(out, 'ref'), runDir, 'step-00000048');
  });
});
