/**
 * `train-native train` as a user runs it: the built-in quickstart trains to a validation accuracy
 * far above chance and leaves every file of SPEC §10; every event file parses with valid CRCs and
 * every safetensors file parses; a second run never overwrites the first; bad data files and bad
 * flags fail with one clear line and no run directory; `plot` draws the run.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { describeNative } from './helpers';
import { readEventFile } from '../../lib/logging';
import { readSafetensorsFile } from '../../lib/checkpoint/safetensors';
import { checkpointNames, readJsonLines, smallConfig, tmpDir, trainCli, writeConfig } from './train-helpers';

describeNative('train-native train (CLI)', () => {
  const out = tmpDir();
  let quick: ReturnType<typeof trainCli>;
  const runDir = join(out, 'quickstart');

  beforeAll(() => {
    quick = trainCli(['train', '--set', `EXPERIMENT.OUTPUT_DIR=${out}`]);
  });

  test('the quickstart exits 0 with epoch lines and a validation accuracy well above chance (0.25)', () => {
    expect(quick.stderr).toBe('');
    expect(quick.status).toBe(0);
    // Not a terminal: plain lines, no carriage returns.
    expect(quick.stdout).not.toContain('\r');
    expect(quick.stdout).toMatch(/^Epoch 1: Loss: \d+\.\d{4} \| val_loss: \d+\.\d{4} \| val_accuracy: \d\.\d{4} \| LR: /m);
    expect(quick.stdout).toMatch(/^Epoch 8: /m);
    expect(quick.stdout).toMatch(/done: 512\/512 steps/);
    const val = readJsonLines(join(runDir, 'metrics.jsonl')).filter((r) => r.split === 'val');
    expect(val.length).toBe(8);
    expect(val[val.length - 1].accuracy as number).toBeGreaterThan(0.6);
  });

  test('every file of SPEC §10 is there', () => {
    for (const f of ['config.yaml', 'assets/schedule_summary.txt', 'metrics.jsonl', 'checkpoints/latest', 'checkpoints/best']) {
      expect({ f, exists: existsSync(join(runDir, f)) }).toEqual({ f, exists: true });
    }
    const names = checkpointNames(runDir);
    expect(names).toEqual(['step-00000448', 'step-00000512']); // KEEP_LAST_N: 2 of the 8 epoch ends
    for (const n of names) {
      for (const f of ['model.safetensors', 'optimizer.safetensors', 'trainer_state.json', 'manifest.json']) {
        expect(existsSync(join(runDir, 'checkpoints', n, f))).toBe(true);
      }
    }
    expect(readFileSync(join(runDir, 'checkpoints', 'latest'), 'utf8').trim()).toBe('step-00000512');
    expect(names).toContain(readFileSync(join(runDir, 'checkpoints', 'best'), 'utf8').trim());
    expect(readFileSync(join(runDir, 'assets', 'schedule_summary.txt'), 'utf8')).toContain('total steps');
    expect(readFileSync(join(runDir, 'config.yaml'), 'utf8')).toContain('NAME: quickstart');
  });

  test('every TensorBoard event file parses with valid CRCs and holds losses, metrics, LRs and histograms', () => {
    const files = readdirSync(join(runDir, 'tensorboard')).filter((f) => f.includes('tfevents'));
    expect(files.length).toBe(1);
    const { events, truncated } = readEventFile(join(runDir, 'tensorboard', files[0]));
    expect(truncated).toBe(false);
    expect(events[0].fileVersion).toBe('brain.Event:2');
    const tags = new Set(events.flatMap((e) => [...(e.scalars ?? []).map((s) => s.tag), ...(e.histograms ?? []).map((h) => h.tag)]));
    for (const t of ['train/loss', 'val/loss', 'val/accuracy', 'lr/default']) expect(tags).toContain(t);
    expect([...tags].some((t) => t.startsWith('weights/'))).toBe(true);
    expect([...tags].some((t) => t.startsWith('gradients/'))).toBe(true);
  });

  test('every safetensors file parses and the model holds every parameter', () => {
    for (const n of checkpointNames(runDir)) {
      const model = readSafetensorsFile(join(runDir, 'checkpoints', n, 'model.safetensors'));
      expect(model.tensors.map((t) => t.name).sort()).toEqual(['layers.0.bias', 'layers.0.weight', 'layers.1.bias', 'layers.1.weight', 'head.bias', 'head.weight'].sort());
      const opt = readSafetensorsFile(join(runDir, 'checkpoints', n, 'optimizer.safetensors'));
      expect(opt.tensors.length).toBeGreaterThan(0);
    }
  });

  test('a second run of the same config writes NAME-2 and leaves the first untouched', () => {
    const before = readFileSync(join(runDir, 'checkpoints', 'step-00000512', 'model.safetensors'));
    const again = trainCli(['train', '--set', `EXPERIMENT.OUTPUT_DIR=${out}`, '--epochs', '1']);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`${runDir}-2`);
    expect(checkpointNames(`${runDir}-2`)).toEqual(['step-00000064']);
    expect(readFileSync(join(runDir, 'checkpoints', 'step-00000512', 'model.safetensors')).equals(before)).toBe(true);
  });

  test('--run-dir into an earlier run without resuming is refused, and the run is left alone', () => {
    const r = trainCli(['train', '--run-dir', runDir, '--epochs', '1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/holds an earlier run: continue it with --auto-resume/);
    expect(checkpointNames(runDir)).toEqual(['step-00000448', 'step-00000512']);
  });

  test.each([
    [['--set', 'DATA.SOURCE=synthetic:regression', '--set', 'MODEL.TASK=regression', '--set', 'SCHEDULE.MIXUP.PROB.ENABLED=true', '--set', 'SCHEDULE.MIXUP.PROB.START_PROB=1', '--set', 'SCHEDULE.MIXUP.PROB.END_PROB=1'], /SCHEDULE\.MIXUP\.PROB\.ENABLED: mixup mixes samples within groups, but the training data has none/],
    [['--set', 'DATA.META_COMPONENTS=[A]'], /DATA\.META_COMPONENTS: metadata components feed the transformer/],
    [['--set', 'MODEL.TYPE=transformer'], /MODEL\.TYPE: transformer needs token sequences/],
  ])('config combinations training cannot run fail before anything is written: %j', (args, pattern) => {
    const dir = tmpDir('tn-combo-');
    const r = trainCli(['train', '--set', `EXPERIMENT.OUTPUT_DIR=${dir}`, ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('train-native plot draws the run', () => {
    const r = trainCli(['plot', runDir]);
    expect(r.status).toBe(0);
    const svg = readFileSync(join(runDir, 'plots', 'training_curves.svg'), 'utf8');
    expect(svg).toMatch(/^<svg|<\?xml/);
  });
});

describeNative('bad data files give one clear line and no run directory', () => {
  const out = tmpDir();
  const cases: Array<[string, (dir: string) => Record<string, unknown>, RegExp]> = [
    ['a missing npy folder', (d) => ({ DATA: { SOURCE: 'npy', TRAIN_PATH: join(d, 'nope'), VAL_FRACTION: 0.2, TRAIN_SAMPLES: null } }), /nope/],
    [
      'labels out of range',
      (d) => {
        const dir = join(d, 'npy');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'features.npy'), npy('<f4', [8, 16], Buffer.alloc(8 * 16 * 4)));
        const labels = Buffer.alloc(8 * 8);
        labels.writeBigInt64LE(9n, 0);
        writeFileSync(join(dir, 'labels.npy'), npy('<i8', [8], labels));
        return { DATA: { SOURCE: 'npy', TRAIN_PATH: dir, VAL_FRACTION: 0.25, TRAIN_SAMPLES: null, BATCH_SIZE: 2 } };
      },
      /label/i,
    ],
    [
      'a csv with a bad cell',
      (d) => {
        const f = join(d, 'bad.csv');
        writeFileSync(f, 'a,b,label\n1,2,0\n3,x,1\n');
        return { DATA: { SOURCE: 'csv', TRAIN_PATH: f, VAL_FRACTION: 0.5, TRAIN_SAMPLES: null, BATCH_SIZE: 1 }, MODEL: { INPUT_DIM: 2 } };
      },
      /bad\.csv.*(row|line)/i,
    ],
    [
      'a token file whose size is not a multiple of uint16',
      (d) => {
        const f = join(d, 'odd.bin');
        writeFileSync(f, Buffer.alloc(1001));
        return { DATA: { SOURCE: 'tokens', TRAIN_PATH: f, VAL_FRACTION: 0.2, TRAIN_SAMPLES: null, BLOCK_SIZE: 8 }, MODEL: { TYPE: 'gpt' } };
      },
      /odd\.bin/,
    ],
  ];
  test.each(cases)('%s', (_name, make, pattern) => {
    const dir = tmpDir('tn-bad-');
    const cfg = smallConfig(out, make(dir));
    const data = cfg.DATA as Record<string, unknown>;
    if (data.TRAIN_SAMPLES === null) delete data.TRAIN_SAMPLES;
    const file = writeConfig(dir, cfg);
    const r = trainCli(['train', file]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\s+at .*\.js:\d+/);
    expect(existsSync(join(out, 'run'))).toBe(false);
  });
});

/** A version 1.0 .npy file. */
function npy(descr: string, shape: number[], data: Buffer): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), data]);
}
