/** Run directory preparation and resume discovery: temp folders cleared, corrupt checkpoints skipped and reported. */
import * as fs from 'fs';
import * as path from 'path';
import { CheckpointError, CheckpointStore, findResumeCheckpoint, prepareRunDir, resolveResumePath, runDirLayout } from '../../lib/checkpoint';
import { MODEL, OPTIMIZER, ls, makeTempDir } from './helpers/checkpoint-fixtures';

const n = (step: number): string => `step-${String(step).padStart(8, '0')}`;

/** A prepared run directory with checkpoints at the given steps. */
async function runWith(steps: number[]): Promise<{ root: string; ckpts: string }> {
  const layout = await prepareRunDir(path.join(makeTempDir('resume'), 'run'));
  const store = new CheckpointStore(layout.checkpoints, { keepTopN: 0, keepLastN: 100 });
  for (const step of steps) await store.save({ step, model: MODEL, optimizer: OPTIMIZER, trainerState: { step } });
  return { root: layout.root, ckpts: layout.checkpoints };
}

function flipLastByte(file: string): void {
  const b = fs.readFileSync(file);
  b[b.length - 1] ^= 0x80;
  fs.writeFileSync(file, b);
}

describe('runDirLayout / prepareRunDir', () => {
  it('lays out the SPEC §10 paths under the absolute run directory', () => {
    const l = runDirLayout('some/run');
    const root = path.resolve('some/run');
    expect(l).toEqual({
      root,
      config: path.join(root, 'config.yaml'),
      assets: path.join(root, 'assets'),
      scheduleSummary: path.join(root, 'assets', 'schedule_summary.txt'),
      modelCard: path.join(root, 'assets', 'model.json'),
      metrics: path.join(root, 'metrics.jsonl'),
      tensorboard: path.join(root, 'tensorboard'),
      checkpoints: path.join(root, 'checkpoints'),
      latest: path.join(root, 'checkpoints', 'latest'),
      best: path.join(root, 'checkpoints', 'best'),
    });
  });

  it('creates the folders, is idempotent, and clears .tmp- folders and temp files but no complete checkpoint', async () => {
    const { root, ckpts } = await runWith([10]);
    expect(ls(root)).toEqual(['assets', 'checkpoints', 'tensorboard']);
    fs.mkdirSync(path.join(ckpts, `.tmp-${n(20)}-999`));
    fs.writeFileSync(path.join(ckpts, `.tmp-${n(20)}-999`, 'model.safetensors'), 'partial');
    fs.mkdirSync(path.join(ckpts, `.tmp-deleting-${n(5)}`));
    fs.writeFileSync(path.join(ckpts, '.latest.tmp-999-abcdef012345'), 'step-');
    fs.writeFileSync(path.join(root, '.config.yaml.tmp-999-0123456789ab'), 'x');
    fs.writeFileSync(path.join(root, 'metrics.jsonl'), '{}\n');
    // A step folder without a manifest is not ours to judge: left alone (and ignored by list()).
    fs.mkdirSync(path.join(ckpts, n(30)));
    expect((await findResumeCheckpoint(ckpts)).checkpoint?.name).toBe(n(10));

    await prepareRunDir(root);
    expect(ls(ckpts)).toEqual(['latest', n(10), n(30)]);
    expect(ls(root)).toEqual(['assets', 'checkpoints', 'metrics.jsonl', 'tensorboard']);
    expect(ls(path.join(ckpts, n(10)))).toEqual(['manifest.json', 'model.safetensors', 'optimizer.safetensors', 'trainer_state.json']);
  });

  it('restores a complete folder moved aside by an interrupted re-save of the same step', async () => {
    const { root, ckpts } = await runWith([10]);
    // Crash after "move old aside", before "rename new in": both are .tmp- folders.
    fs.renameSync(path.join(ckpts, n(10)), path.join(ckpts, `.tmp-replaced-${n(10)}-4242`));
    fs.mkdirSync(path.join(ckpts, `.tmp-${n(10)}-4242`));
    await prepareRunDir(root);
    expect(ls(ckpts)).toEqual(['latest', n(10)]);
    expect((await findResumeCheckpoint(ckpts)).checkpoint?.name).toBe(n(10));
  });
});

describe('findResumeCheckpoint', () => {
  it('takes the newest checkpoint that verifies', async () => {
    const { ckpts } = await runWith([10, 20, 30]);
    const r = await findResumeCheckpoint(ckpts);
    expect(r).toEqual({ checkpoint: { name: n(30), dir: path.join(ckpts, n(30)), step: 30 }, skipped: [] });
  });

  it('falls back past corrupt and incomplete newer ones and says why, newest first', async () => {
    const { ckpts } = await runWith([10, 20, 30]);
    flipLastByte(path.join(ckpts, n(30), 'model.safetensors'));
    fs.rmSync(path.join(ckpts, n(20), 'manifest.json'));
    const r = await findResumeCheckpoint(ckpts);
    expect(r.checkpoint?.name).toBe(n(10));
    expect(r.skipped).toEqual([
      { name: n(30), problem: expect.stringMatching(/^model\.safetensors: sha256 mismatch/) as unknown as string },
      { name: n(20), problem: 'incomplete (no manifest.json)' },
    ]);
  });

  it('ignores .tmp- folders even when they hold a manifest', async () => {
    const { ckpts } = await runWith([10]);
    fs.cpSync(path.join(ckpts, n(10)), path.join(ckpts, `.tmp-${n(99)}-1`), { recursive: true });
    expect(await findResumeCheckpoint(ckpts)).toEqual({ checkpoint: expect.objectContaining({ name: n(10) }) as unknown, skipped: [] });
  });

  it('returns null for a missing or empty folder, and null with reasons when nothing verifies', async () => {
    const base = makeTempDir('resume');
    await expect(findResumeCheckpoint(path.join(base, 'nope'))).resolves.toEqual({ checkpoint: null, skipped: [] });
    const { ckpts } = await runWith([10]);
    fs.truncateSync(path.join(ckpts, n(10), 'trainer_state.json'), 1);
    const r = await findResumeCheckpoint(ckpts);
    expect(r.checkpoint).toBeNull();
    expect(r.skipped).toEqual([{ name: n(10), problem: expect.stringMatching(/^trainer_state\.json: size mismatch \(manifest says \d+ bytes, file has 1\)$/) as unknown as string }]);
  });
});

describe('resolveResumePath', () => {
  it('accepts a checkpoint folder, a run directory and a checkpoints folder', async () => {
    const { root, ckpts } = await runWith([10, 20]);
    await expect(resolveResumePath(path.join(ckpts, n(10)))).resolves.toEqual({
      checkpoint: { name: n(10), dir: path.join(ckpts, n(10)), step: 10 },
      skipped: [],
    });
    expect((await resolveResumePath(root)).checkpoint.name).toBe(n(20));
    expect((await resolveResumePath(ckpts)).checkpoint.name).toBe(n(20));
  });

  it('reports the skipped newer checkpoint when resolving a run directory', async () => {
    const { root, ckpts } = await runWith([10, 20]);
    fs.truncateSync(path.join(ckpts, n(20), 'model.safetensors'), 3);
    const r = await resolveResumePath(root);
    expect(r.checkpoint.name).toBe(n(10));
    expect(r.skipped.map((s) => s.name)).toEqual([n(20)]);
  });

  it('gives one-line CheckpointErrors for a missing path, a file, an unrelated folder and a corrupt checkpoint', async () => {
    const base = makeTempDir('resume');
    const missing = path.join(base, 'missing');
    await expect(resolveResumePath(missing)).rejects.toThrow(
      `cannot resume from ${missing}: no such file or folder (expected a checkpoint folder (with manifest.json), a checkpoints/best or checkpoints/latest file, a checkpoints/ folder or a run directory)`,
    );
    const file = path.join(base, 'file.txt');
    fs.writeFileSync(file, 'x');
    await expect(resolveResumePath(file)).rejects.toThrow(`cannot resume from ${file}: not a folder`);
    fs.mkdirSync(path.join(base, 'empty'));
    await expect(resolveResumePath(path.join(base, 'empty'))).rejects.toThrow(
      `cannot resume from ${path.join(base, 'empty')}: no manifest.json, no checkpoints/ folder and no step-* folders`,
    );
    const { ckpts } = await runWith([10]);
    const dir = path.join(ckpts, n(10));
    flipLastByte(path.join(dir, 'optimizer.safetensors'));
    const err = await resolveResumePath(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot resume from checkpoint .*${n(10)}: optimizer\\.safetensors: sha256 mismatch \\(manifest [0-9a-f]{12}…, file [0-9a-f]{12}…\\)$`));
  });

  it('fails naming every problem when a run directory has no usable checkpoint', async () => {
    const { root, ckpts } = await runWith([10]);
    fs.rmSync(path.join(ckpts, n(10), 'model.safetensors'));
    await expect(resolveResumePath(root)).rejects.toThrow(`cannot resume from ${root}: no usable checkpoint in ${ckpts} (${n(10)}: model.safetensors: missing)`);
  });
});
