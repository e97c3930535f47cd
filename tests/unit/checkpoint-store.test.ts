/** CheckpointStore save / list / verify / load: exact round trips, manifest-last commit, markers, re-save, failed saves. */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CheckpointError, CheckpointStore, loadCheckpoint, verifyCheckpoint } from '../../lib/checkpoint';
import { decodeSafetensors } from '../../lib/checkpoint/safetensors';
import { MODEL, OPTIMIZER, comparable, f32, ls, makeTempDir } from './helpers/checkpoint-fixtures';

afterEach(() => jest.restoreAllMocks());

const STATE = { step: 420, epoch: 3, sampler: { position: 17, seed: 42 }, metrics: { val_loss: 0.25 } };

function newStore(keepTopN = 0, keepLastN = 10): { dir: string; store: CheckpointStore } {
  const dir = path.join(makeTempDir('store'), 'checkpoints');
  return { dir, store: new CheckpointStore(dir, { keepTopN, keepLastN }) };
}

const sha = (p: string): string => createHash('sha256').update(fs.readFileSync(p)).digest('hex');
const read = (p: string): string => fs.readFileSync(p, 'utf8');

describe('save → list → verify → load', () => {
  it('round-trips tensors byte for byte and the trainer state exactly', async () => {
    const { dir, store } = newStore();
    const metric = { name: 'val_loss', value: 0.25, mode: 'min' as const };
    const { info, deleted } = await store.save({ step: 420, model: MODEL, optimizer: OPTIMIZER, trainerState: STATE, metric });
    expect(info).toEqual({ name: 'step-00000420', dir: path.join(dir, 'step-00000420'), step: 420, metric });
    expect(deleted).toEqual([]);
    expect(ls(info.dir)).toEqual(['manifest.json', 'model.safetensors', 'optimizer.safetensors', 'trainer_state.json']);
    await expect(store.list()).resolves.toEqual([info]);
    await expect(verifyCheckpoint(info.dir)).resolves.toEqual({ ok: true });

    const loaded = await loadCheckpoint(info.dir);
    expect(loaded.info).toEqual(info);
    expect(comparable(loaded.model)).toEqual(comparable(MODEL));
    expect(comparable(loaded.optimizer)).toEqual(comparable(OPTIMIZER));
    expect(loaded.trainerState).toEqual(STATE);
    // The model file is a standard safetensors file with PyTorch's metadata.
    expect(decodeSafetensors(fs.readFileSync(path.join(info.dir, 'model.safetensors'))).metadata).toEqual({ format: 'pt' });
  });

  it('writes a manifest listing every file with its real size and sha256', async () => {
    const { store } = newStore();
    const before = Date.now();
    const { info } = await store.save({ step: 3, model: MODEL, optimizer: OPTIMIZER, trainerState: STATE });
    const manifest = JSON.parse(read(path.join(info.dir, 'manifest.json'))) as Record<string, unknown>;
    expect(manifest.format).toBe('train-native-checkpoint');
    expect(manifest.format_version).toBe(1);
    expect(manifest.step).toBe(3);
    expect(manifest.metric).toBeNull();
    expect(Date.parse(String(manifest.created_at))).toBeGreaterThanOrEqual(before - 1000);
    expect(manifest.files).toEqual(
      ['model.safetensors', 'optimizer.safetensors', 'trainer_state.json'].map((name) => ({
        name,
        size: fs.statSync(path.join(info.dir, name)).size,
        sha256: sha(path.join(info.dir, name)),
      })),
    );
  });

  it('writes manifest.json last, inside a .tmp- folder, and the final folder appears only at the rename', async () => {
    const { dir, store } = newStore();
    const created: string[] = [];
    const realOpen = fs.promises.open.bind(fs.promises);
    let finalExistedAtManifest: boolean | undefined;
    jest.spyOn(fs.promises, 'open').mockImplementation(async (p, flags, mode) => {
      if (flags === 'wx') {
        created.push(path.relative(dir, String(p)));
        if (path.basename(String(p)) === 'manifest.json') finalExistedAtManifest = fs.existsSync(path.join(dir, 'step-00000007'));
      }
      return realOpen(p, flags, mode);
    });
    await store.save({ step: 7, model: MODEL, optimizer: OPTIMIZER, trainerState: STATE });
    const tmp = `.tmp-step-00000007-${process.pid}`;
    expect(created.slice(0, 4)).toEqual(
      ['model.safetensors', 'optimizer.safetensors', 'trainer_state.json', 'manifest.json'].map((f) => path.join(tmp, f)),
    );
    expect(finalExistedAtManifest).toBe(false);
    expect(ls(dir)).toEqual(['latest', 'step-00000007']);
  });

  it('stores a non-finite metric and reads it back as the same number', async () => {
    const { store } = newStore();
    await store.save({ step: 1, model: MODEL, optimizer: [], trainerState: {}, metric: { name: 'val_loss', value: NaN, mode: 'min' } });
    await store.save({ step: 2, model: MODEL, optimizer: [], trainerState: {}, metric: { name: 'val_loss', value: -Infinity, mode: 'max' } });
    const listed = await store.list();
    expect(listed.map((c) => c.metric)).toEqual([
      { name: 'val_loss', value: NaN, mode: 'min' },
      { name: 'val_loss', value: -Infinity, mode: 'max' },
    ]);
  });
});

describe('verifyCheckpoint', () => {
  async function saved(): Promise<string> {
    const { store } = newStore();
    return (await store.save({ step: 5, model: MODEL, optimizer: OPTIMIZER, trainerState: STATE })).info.dir;
  }

  it('reports a flipped byte as a sha256 mismatch naming the file', async () => {
    const dir = await saved();
    const f = path.join(dir, 'model.safetensors');
    const bytes = fs.readFileSync(f);
    bytes[bytes.length - 1] ^= 0x01;
    fs.writeFileSync(f, bytes);
    const r = await verifyCheckpoint(dir);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.problem).toMatch(/^model\.safetensors: sha256 mismatch \(manifest [0-9a-f]{12}…, file [0-9a-f]{12}…\)$/);
  });

  it('reports a truncated file as a size mismatch with both sizes', async () => {
    const dir = await saved();
    const f = path.join(dir, 'optimizer.safetensors');
    const size = fs.statSync(f).size;
    fs.truncateSync(f, size - 4);
    await expect(verifyCheckpoint(dir)).resolves.toEqual({
      ok: false,
      problem: `optimizer.safetensors: size mismatch (manifest says ${size} bytes, file has ${size - 4})`,
    });
  });

  it('reports a missing file, a missing manifest and an unparseable manifest', async () => {
    const dir = await saved();
    fs.rmSync(path.join(dir, 'trainer_state.json'));
    await expect(verifyCheckpoint(dir)).resolves.toEqual({ ok: false, problem: 'trainer_state.json: missing' });
    fs.writeFileSync(path.join(dir, 'manifest.json'), '{"format": "train-native-checkpoint", ');
    const r = await verifyCheckpoint(dir);
    expect(r.ok ? '' : r.problem).toMatch(/^manifest\.json is not valid JSON \(/);
    fs.rmSync(path.join(dir, 'manifest.json'));
    await expect(verifyCheckpoint(dir)).resolves.toEqual({ ok: false, problem: 'incomplete (no manifest.json)' });
  });

  it('rejects manifests that escape the folder, omit required files, or come from a newer version', async () => {
    const dir = await saved();
    const m = path.join(dir, 'manifest.json');
    const good = JSON.parse(read(m)) as { files: Array<{ name: string }>; format_version: number };
    const write = (v: unknown): void => fs.writeFileSync(m, JSON.stringify(v));
    write({ ...good, files: [...good.files, { name: '../escape', size: 0, sha256: 'a'.repeat(64) }] });
    await expect(verifyCheckpoint(dir)).resolves.toEqual({ ok: false, problem: 'manifest.json: files[3].name must be a plain file name (got "../escape")' });
    write({ ...good, files: good.files.filter((f) => f.name !== 'optimizer.safetensors') });
    await expect(verifyCheckpoint(dir)).resolves.toEqual({ ok: false, problem: 'manifest.json does not list optimizer.safetensors' });
    write({ ...good, format_version: 2 });
    await expect(verifyCheckpoint(dir)).resolves.toEqual({
      ok: false,
      problem: 'manifest.json: format_version 2 is newer than this train-native reads (1); upgrade train-native',
    });
    write({ ...good, step: 6 });
    await expect(verifyCheckpoint(dir)).resolves.toEqual({ ok: false, problem: 'manifest.json says step 6 but the folder is named step-00000005' });
  });
});

describe('loadCheckpoint errors', () => {
  it('throws a one-line CheckpointError naming the folder and the fault', async () => {
    const { store } = newStore();
    const { info } = await store.save({ step: 9, model: MODEL, optimizer: OPTIMIZER, trainerState: STATE });
    const f = path.join(info.dir, 'model.safetensors');
    const bytes = fs.readFileSync(f);
    bytes[20] ^= 0xff;
    fs.writeFileSync(f, bytes);
    const err = await loadCheckpoint(info.dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).name).toBe('CheckpointError');
    expect((err as Error).message).toMatch(new RegExp(`^checkpoint ${info.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is unusable: model\\.safetensors: sha256 mismatch`));
    expect((err as Error).message).not.toContain('\n');
  });

  it('rejects a checksum-valid file that is not safetensors, and a trainer state that is not an object', async () => {
    const { store } = newStore();
    const { info } = await store.save({ step: 9, model: MODEL, optimizer: OPTIMIZER, trainerState: STATE });
    const m = path.join(info.dir, 'manifest.json');
    const manifest = JSON.parse(read(m)) as { files: Array<{ name: string; size: number; sha256: string }> };
    const replace = (name: string, content: Buffer): void => {
      fs.writeFileSync(path.join(info.dir, name), content);
      const entry = manifest.files.find((e) => e.name === name);
      if (entry === undefined) throw new Error('fixture');
      entry.size = content.length;
      entry.sha256 = createHash('sha256').update(content).digest('hex');
      fs.writeFileSync(m, JSON.stringify(manifest));
    };
    replace('trainer_state.json', Buffer.from('[1,2]'));
    await expect(loadCheckpoint(info.dir)).rejects.toThrow(`checkpoint ${info.dir}: trainer_state.json must hold a JSON object`);
    replace('model.safetensors', Buffer.from('not safetensors'));
    await expect(loadCheckpoint(info.dir)).rejects.toThrow(`checkpoint ${info.dir}: model.safetensors is not a valid safetensors file (safetensors `);
  });
});

describe('latest, best and re-saves', () => {
  it('latest names the newest checkpoint and best the best by metric (min and max)', async () => {
    const { dir, store } = newStore(0, 10);
    const save = (step: number, value: number, mode: 'min' | 'max'): Promise<unknown> =>
      store.save({ step, model: MODEL, optimizer: [], trainerState: { step }, metric: { name: 'm', value, mode } });
    await save(10, 0.5, 'min');
    await save(20, 0.3, 'min');
    await save(30, 0.4, 'min');
    expect(read(path.join(dir, 'latest'))).toBe('step-00000030\n');
    expect(read(path.join(dir, 'best'))).toBe('step-00000020\n');
    await save(40, 0.9, 'max');
    // The newest metric's mode decides: with "max", 0.9 at step 40 is best.
    expect(read(path.join(dir, 'best'))).toBe('step-00000040\n');
  });

  it('has no best file when no checkpoint has a finite metric, and removes a stale one', async () => {
    const { dir, store } = newStore(0, 1);
    await store.save({ step: 1, model: MODEL, optimizer: [], trainerState: {}, metric: { name: 'm', value: 1, mode: 'min' } });
    expect(read(path.join(dir, 'best'))).toBe('step-00000001\n');
    await store.save({ step: 2, model: MODEL, optimizer: [], trainerState: {}, metric: { name: 'm', value: Infinity, mode: 'min' } });
    expect(ls(dir)).toEqual(['latest', 'step-00000002']);
  });

  it('re-saving the same step replaces the folder with the new content', async () => {
    const { dir, store } = newStore();
    await store.save({ step: 8, model: MODEL, optimizer: OPTIMIZER, trainerState: { run: 1 } });
    const newModel = [f32('layer.weight', [1], [42])];
    const { info } = await store.save({ step: 8, model: newModel, optimizer: OPTIMIZER, trainerState: { run: 2 } });
    expect(ls(dir)).toEqual(['latest', 'step-00000008']);
    const loaded = await loadCheckpoint(info.dir);
    expect(loaded.trainerState).toEqual({ run: 2 });
    expect(comparable(loaded.model)).toEqual(comparable(newModel));
  });
});

describe('a failed save', () => {
  it('leaves earlier checkpoints, latest and best untouched, deletes nothing and leaves no temp folder', async () => {
    const { dir, store } = newStore(0, 1);
    await store.save({ step: 1, model: MODEL, optimizer: [], trainerState: {}, metric: { name: 'm', value: 1, mode: 'min' } });
    const realRename = fs.promises.rename.bind(fs.promises);
    jest.spyOn(fs.promises, 'rename').mockImplementation(async (from, to) => {
      if (path.basename(String(to)) === 'step-00000002') throw Object.assign(new Error('ENOSPC: simulated'), { code: 'ENOSPC' });
      return realRename(from, to);
    });
    await expect(store.save({ step: 2, model: MODEL, optimizer: [], trainerState: {} })).rejects.toThrow('ENOSPC: simulated');
    expect(ls(dir)).toEqual(['best', 'latest', 'step-00000001']);
    expect(read(path.join(dir, 'latest'))).toBe('step-00000001\n');
    await expect(verifyCheckpoint(path.join(dir, 'step-00000001'))).resolves.toEqual({ ok: true });
  });

  it('keeps the old folder when re-saving the same step fails at the commit', async () => {
    const { dir, store } = newStore();
    await store.save({ step: 4, model: MODEL, optimizer: [], trainerState: { run: 1 } });
    const realRename = fs.promises.rename.bind(fs.promises);
    jest.spyOn(fs.promises, 'rename').mockImplementation(async (from, to) => {
      if (path.basename(String(from)).startsWith('.tmp-step-')) throw new Error('EIO: simulated');
      return realRename(from, to);
    });
    await expect(store.save({ step: 4, model: MODEL, optimizer: [], trainerState: { run: 2 } })).rejects.toThrow('EIO: simulated');
    expect(ls(dir)).toEqual(['latest', 'step-00000004']);
    expect((await loadCheckpoint(path.join(dir, 'step-00000004'))).trainerState).toEqual({ run: 1 });
  });

  it('refuses tensors that cannot be encoded before touching the disk', async () => {
    const { dir, store } = newStore();
    const bad = [{ name: 'w', dtype: 'F32', shape: [2], data: new Uint8Array(4) }];
    await expect(store.save({ step: 1, model: bad, optimizer: [], trainerState: {} })).rejects.toThrow(
      "cannot save checkpoint step-00000001: model.safetensors: safetensors TensorInvalidInfo: tensor 'w': 4 bytes for F32 [2] (expected 8)",
    );
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('rejects invalid retention counts as config errors naming the key', () => {
    expect(() => new CheckpointStore('/tmp/x', { keepTopN: -1, keepLastN: 2 })).toThrow(
      'config error: SCHEDULE.CHECKPOINT.KEEP_TOP_N: must be a non-negative integer (got -1)',
    );
    expect(() => new CheckpointStore('/tmp/x', { keepTopN: 0, keepLastN: 1.5 })).toThrow('SCHEDULE.CHECKPOINT.KEEP_LAST_N');
  });
});
