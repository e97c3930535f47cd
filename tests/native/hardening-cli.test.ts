/**
 * Issue 10, every row, run as a user runs the CLI: two writers on one run directory, checkpoints
 * that match their manifest but not the model, a failed resume that must change nothing on disk,
 * config edges, sizes that cannot fit, out of memory, and file-system failures (disk full,
 * read-only, a path through a file, an unwritable folder) after which the run still resumes.
 */
import { createHash } from 'crypto';
import { execFileSync, spawnSync } from 'child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { hostname } from 'os';
import { join } from 'path';
import { describeNative } from './helpers';
import { decodeSafetensors, encodeSafetensors } from '../../lib/checkpoint/safetensors';
import { LOCK_FILE } from '../../lib/checkpoint/lock';
import { checkpointNames, readJsonLines, smallConfig, spawnCli, tmpDir, trainCli, waitFor, writeConfig } from './train-helpers';

/** Every file under `dir` with its sha256: what "changes nothing on disk" compares. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p.slice(dir.length + 1)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** Replaces one file of a checkpoint and updates its manifest entry, so only the content is wrong. */
function rewriteCheckpointFile(ckDir: string, file: string, bytes: Uint8Array): void {
  writeFileSync(join(ckDir, file), bytes);
  const manifestPath = join(ckDir, 'manifest.json');
  const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files: Array<{ name: string; size: number; sha256: string }> };
  const entry = m.files.find((f) => f.name === file);
  if (!entry) throw new Error(`${file} not in the manifest`);
  entry.size = bytes.byteLength;
  entry.sha256 = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(manifestPath, JSON.stringify(m, null, 2));
}

type Tamper = (ckDir: string) => void;
const tensorsOf = (ckDir: string, file: string) => decodeSafetensors(readFileSync(join(ckDir, file))).tensors;
const encode = (tensors: ReturnType<typeof tensorsOf>) => encodeSafetensors({ tensors, metadata: { format: 'pt' } });
const editState = (ckDir: string, edit: (s: Record<string, unknown>) => void) => {
  const s = JSON.parse(readFileSync(join(ckDir, 'trainer_state.json'), 'utf8')) as Record<string, unknown>;
  edit(s);
  rewriteCheckpointFile(ckDir, 'trainer_state.json', Buffer.from(JSON.stringify(s, null, 2)));
};

const CONTENT_CASES: Array<[string, Tamper, string]> = [
  ['a model tensor missing', (d) => rewriteCheckpointFile(d, 'model.safetensors', encode(tensorsOf(d, 'model.safetensors').filter((t) => t.name !== 'head.bias'))), "model.safetensors: tensor missing: 'head.bias'"],
  [
    'a model tensor of another shape',
    (d) => rewriteCheckpointFile(d, 'model.safetensors', encode(tensorsOf(d, 'model.safetensors').map((t) => (t.name === 'head.bias' ? { ...t, shape: [2, 2] } : t)))),
    "model.safetensors: tensor 'head.bias' has shape [2, 2], the model's is [4]",
  ],
  ['an extra model tensor', (d) => rewriteCheckpointFile(d, 'model.safetensors', encode([...tensorsOf(d, 'model.safetensors'), { name: 'mlm_head.bias', dtype: 'F32', shape: [1], data: new Uint8Array(4) }])), "model.safetensors: tensor 'mlm_head.bias' is not in the model"],
  ['an empty optimizer file', (d) => rewriteCheckpointFile(d, 'optimizer.safetensors', encode([])), 'optimizer.safetensors holds no optimizer state (no tensors at all)'],
  ['an optimizer moment missing', (d) => rewriteCheckpointFile(d, 'optimizer.safetensors', encode(tensorsOf(d, 'optimizer.safetensors').filter((t) => t.name !== 'head.weight.exp_avg'))), "optimizer.safetensors: tensor 'head.weight.exp_avg' missing"],
  ['nextStep 1e300', (d) => editState(d, (s) => (s.nextStep = 1e300)), 'trainer_state.json: nextStep must be an integer from step 32 to totalSteps 32 (got 1e+300)'],
  ['step of the wrong type', (d) => editState(d, (s) => (s.step = 'thirty-two')), 'trainer_state.json: step must be an integer from 0 to totalSteps 32 (got "thirty-two")'],
  ['an RNG state of the wrong size', (d) => editState(d, (s) => (s.rng = { native: Buffer.alloc(100).toString('base64') })), "trainer_state.json: the RNG state is 100 bytes, this build's generator state is"],
];

/** One line on stderr, with the CLI's prefix. */
function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  return lines[0];
}

describeNative('issue 10 hardening (CLI)', () => {
  describe('checkpoint content is checked against the model before use', () => {
    const out = tmpDir('tn-content-');
    const file = writeConfig(out, smallConfig(out));
    const base = join(out, 'base');
    beforeAll(() => {
      const r = trainCli(['train', file, '--run-dir', base]);
      expect(r.status).toBe(0);
      expect(checkpointNames(base)).toEqual(['step-00000016', 'step-00000032']);
    });

    test.each(CONTENT_CASES)('%s: --resume-from exits 1 naming the checkpoint and the problem, and changes nothing on disk', (_name, tamper, problem) => {
      const runDir = join(out, `explicit-${_name.replace(/\W+/g, '-')}`);
      cpSync(base, runDir, { recursive: true });
      const victim = join(runDir, 'checkpoints', 'step-00000032');
      tamper(victim);
      const before = snapshot(runDir);
      const r = trainCli(['train', file, '--resume-from', victim, '--epochs', '3']);
      expect(r.status).toBe(1);
      expect(oneLine(r.stderr)).toContain(`train-native: cannot resume from checkpoint ${victim}: ${problem}`);
      expect(snapshot(runDir)).toEqual(before);
    });

    test.each(CONTENT_CASES)('%s: --auto-resume passes it over with a message and continues from the previous checkpoint', (_name, tamper, problem) => {
      const runDir = join(out, `auto-${_name.replace(/\W+/g, '-')}`);
      cpSync(base, runDir, { recursive: true });
      tamper(join(runDir, 'checkpoints', 'step-00000032'));
      const goodBefore = snapshot(join(runDir, 'checkpoints', 'step-00000016'));
      const r = trainCli(['train', file, '--run-dir', runDir, '--auto-resume', '--epochs', '3']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`warning: checkpoint step-00000032 is unusable (${problem}`);
      expect(r.stdout).toMatch(/resuming from \S*step-00000016/);
      expect(r.stdout).toContain('done: 48/48 steps');
      expect(snapshot(join(runDir, 'checkpoints', 'step-00000016'))).toEqual(goodBefore);
      // Every line of metrics.jsonl parses and the steps never go backwards.
      const steps = readJsonLines(join(runDir, 'metrics.jsonl')).map((l) => l.step as number);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
    });
  });

  describe('one writer per run directory', () => {
    const out = tmpDir('tn-lock-');
    // Long enough that the second writer arrives mid-run.
    const file = writeConfig(out, smallConfig(out, { TRAIN: { EPOCHS: 400 }, SCHEDULE: { CHECKPOINT: { INTERVAL_EPOCHS: 5, KEEP_LAST_N: 2 } } }));
    const runDir = join(out, 'shared');

    test('a second writer (--auto-resume, or another seed) exits 2 naming the holder; a kill -9 leaves a stale lock that the next run takes over', async () => {
      const first = spawnCli(['train', file, '--run-dir', runDir]);
      let exited = false;
      first.on('exit', () => (exited = true));
      await waitFor(() => existsSync(join(runDir, 'checkpoints', 'latest')) || exited, 60000, 'the first checkpoint');
      expect(exited).toBe(false);
      const lock = JSON.parse(readFileSync(join(runDir, LOCK_FILE), 'utf8')) as { pid: number };
      expect(lock.pid).toBe(first.pid);

      for (const extra of [['--auto-resume'], ['--auto-resume', '--set', 'EXPERIMENT.SEED=8']]) {
        const second = trainCli(['train', file, '--run-dir', runDir, ...extra]);
        expect(second.status).toBe(2);
        expect(oneLine(second.stderr)).toMatch(new RegExp(`^train-native: ${runDir} is in use by another training run: process ${first.pid} on \\S+, started \\S+ holds ${runDir}/${LOCK_FILE}$`));
      }
      first.kill('SIGKILL');
      await waitFor(() => exited, 10000, 'the killed process');
      expect(existsSync(join(runDir, LOCK_FILE))).toBe(true);

      const next = trainCli(['train', file, '--run-dir', runDir, '--auto-resume', '--epochs', '1']);
      expect(next.status).toBe(0);
      expect(next.stdout).toContain(`note: took over the stale lock of process ${first.pid} on`);
      expect(existsSync(join(runDir, LOCK_FILE))).toBe(false);
      // metrics.jsonl was written by one writer at a time: every line parses.
      expect(readJsonLines(join(runDir, 'metrics.jsonl')).length).toBeGreaterThan(0);
    });

    test('readers need no lock: plot and schedule work while a live writer holds the directory', () => {
      const held = join(out, 'held');
      expect(trainCli(['train', file, '--run-dir', held, '--epochs', '1']).status).toBe(0);
      // This test's own process is the live holder.
      writeFileSync(join(held, LOCK_FILE), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: 'now' }));
      expect(trainCli(['train', file, '--run-dir', held, '--auto-resume']).status).toBe(2);
      const plot = trainCli(['plot', held, '--output', join(out, 'held.svg')]);
      expect(plot.status).toBe(0);
      expect(readFileSync(join(out, 'held.svg'), 'utf8')).toContain('<svg');
      expect(trainCli(['schedule', file]).status).toBe(0);
    });
  });

  describe('config edges and sizes exit 2 with one line, before any run directory exists', () => {
    const out = tmpDir('tn-edges-');
    const cases: Array<[string, string[], RegExp]> = [
      ['EPOCHS 1e20', ['--set', 'TRAIN.EPOCHS=1e20'], /^config error: TRAIN\.EPOCHS: must be in \[0, 1000000\], got 100000000000000000000 \(from --set TRAIN\.EPOCHS=1e20\)$/],
      ['EPOCHS null', ['--set', 'TRAIN.EPOCHS=null'], /^config error: TRAIN\.EPOCHS: null has no meaning here: the key cannot be unset \(its default is 10\); give a value/],
      ['NAME ../../escape', ['--set', 'EXPERIMENT.NAME=../../escape'], /^config error: EXPERIMENT\.NAME: must be a plain folder name/],
      ['HIDDEN_SIZES [1e8, 1e8]', ['--set', 'MODEL.HIDDEN_SIZES=[100000000, 100000000]'], /^config error: MODEL\.HIDDEN_SIZES: the model has about 1\.00e\+16 parameters; training them needs about 142 PiB \(weights, gradients and optimizer state\), more than this machine's .* of memory: lower it, or pass --force to try anyway$/],
      [
        'a synthetic VOCAB_SIZE too large to allocate',
        ['--set', 'DATA.SOURCE=synthetic:language', '--set', 'MODEL.TYPE=gpt', '--set', 'MODEL.VOCAB_SIZE=2000000'],
        /^config error: MODEL\.VOCAB_SIZE: synthetic:language data would need about 29\.1 TiB, more than this machine's .* of memory: lower it, or pass --force to try anyway$/,
      ],
    ];
    test.each(cases)('%s', (_name, args, message) => {
      const r = trainCli(['train', '--set', `EXPERIMENT.OUTPUT_DIR=${join(out, 'runs')}`, ...args]);
      expect(r.status).toBe(2);
      expect(oneLine(r.stderr)).toMatch(message);
      expect(existsSync(join(out, 'runs'))).toBe(false);
    });

    test.each([
      ['empty', ''],
      ['comment-only', '# TRAIN:\n#   EPOCHS: 3\n'],
      ['null', '~\n'],
    ])('a config file that is %s exits 2: "has no settings"', (name, text) => {
      const f = join(out, `${name}.yaml`);
      writeFileSync(f, text);
      const r = trainCli(['train', f], out);
      expect(r.status).toBe(2);
      expect(oneLine(r.stderr)).toBe(`config error: ${f}:1: the config file has no settings (it is empty, only comments, or null); give at least one section, e.g. TRAIN: {EPOCHS: 5}`);
      expect(existsSync(join(out, 'runs'))).toBe(false);
    });
  });

  test('out of memory (--force past the size check): one line with the native suggestions, exit 1, no run directory', () => {
    const out = tmpDir('tn-oom-');
    const r = trainCli(['train', '--set', `EXPERIMENT.OUTPUT_DIR=${out}/runs`, '--set', 'MODEL.HIDDEN_SIZES=[2000000000]', '--force']);
    expect(r.status).toBe(1);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/^train-native: out of memory: .*can't allocate memory.*\. Suggestions: lower DATA\.BATCH_SIZE \(and raise TRAIN\.ACCUMULATION_STEPS/);
    expect(line).not.toContain('out of memory: out of memory');
    expect(existsSync(join(out, 'runs'))).toBe(false);
  });

  describe('file-system failures exit 1 naming the operation and path; the run stays resumable', () => {
    const out = tmpDir('tn-io-');
    const file = writeConfig(out, smallConfig(out, { TRAIN: { EPOCHS: 1 } }));

    test('an output path through a file (ENOTDIR)', () => {
      const blocker = join(out, 'not-a-folder');
      writeFileSync(blocker, 'x');
      const r = trainCli(['train', file, '--set', `EXPERIMENT.OUTPUT_DIR=${blocker}/runs`]);
      expect(r.status).toBe(1);
      expect(oneLine(r.stderr)).toMatch(new RegExp(`^train-native: cannot create the folder ${blocker}/runs/run: a part of the path is a file, not a folder \\(ENOTDIR\\)`));
    });

    const root = process.getuid?.() === 0;
    (root ? test.skip : test)('an unwritable folder (EACCES; skipped as root, who can write anywhere)', () => {
      const locked = join(out, 'locked');
      mkdirSync(locked);
      execFileSync('chmod', ['555', locked]);
      const r = trainCli(['train', file, '--set', `EXPERIMENT.OUTPUT_DIR=${locked}`]);
      expect(r.status).toBe(1);
      expect(oneLine(r.stderr)).toMatch(/permission denied \(EACCES\)/);
    });

    /** A small tmpfs: needs root (mount); skipped where one cannot be mounted (probed, then unmounted). */
    const mnt = join(out, 'mnt');
    mkdirSync(mnt);
    const mountTmpfs = () => spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]).status === 0;
    const mounted = mountTmpfs() && spawnSync('umount', [mnt]).status === 0;
    beforeAll(() => {
      if (mounted) expect(mountTmpfs()).toBe(true);
    });
    afterAll(() => {
      if (mounted) spawnSync('umount', [mnt]);
    });

    (mounted ? test : test.skip)('disk full (ENOSPC) and a read-only file system (EROFS), then resumed to the end', () => {
      const runDir = join(mnt, 'run');
      const first = trainCli(['train', file, '--run-dir', runDir]);
      expect(first.status).toBe(0);
      expect(checkpointNames(runDir)).toEqual(['step-00000016']);
      // Fill the disk: the continued run cannot write its config, logs or next checkpoint.
      const filler = join(mnt, 'filler');
      try {
        for (;;) appendFileSync(filler, Buffer.alloc(64 * 1024));
      } catch {
        // full
      }
      const full = trainCli(['train', file, '--run-dir', runDir, '--auto-resume', '--epochs', '2']);
      expect(full.status).toBe(1);
      expect(oneLine(full.stderr)).toMatch(new RegExp(`^train-native: cannot \\w+( the folder)? ${mnt}/\\S+: no space left on the device \\(ENOSPC\\); complete checkpoints are untouched: fix this and continue with --auto-resume$`));
      rmSync(filler);

      spawnSync('mount', ['-o', 'remount,ro', mnt]);
      const readOnly = trainCli(['train', file, '--run-dir', runDir, '--auto-resume', '--epochs', '2']);
      spawnSync('mount', ['-o', 'remount,rw', mnt]);
      expect(readOnly.status).toBe(1);
      expect(oneLine(readOnly.stderr)).toMatch(new RegExp(`^train-native: cannot open ${runDir}/${LOCK_FILE}: read-only file system \\(EROFS\\)`));

      const resumed = trainCli(['train', file, '--run-dir', runDir, '--auto-resume', '--epochs', '2']);
      expect(resumed.stderr).toBe('');
      expect(resumed.status).toBe(0);
      expect(resumed.stdout).toMatch(/resuming from \S*step-00000016/);
      expect(resumed.stdout).toContain('done: 32/32 steps');
    });
  });
});
