/**
 * Model sources (SPEC §12) resolved without the native layer, and the predict output formats.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveModelSource } from '../../lib/checkpoint/source';
import { encodeNpy, predictionsToCsv, predictionsToJsonl } from '../../lib/inference/output';
import { parseNpy } from '../../lib/data/npy';

function runDir(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-source-'));
  const ck = path.join(root, 'checkpoints');
  for (const name of ['step-00000010', 'step-00000020']) {
    fs.mkdirSync(path.join(ck, name), { recursive: true });
    fs.writeFileSync(path.join(ck, name, 'manifest.json'), JSON.stringify({ format: 'train-native-checkpoint', format_version: 1, step: Number(name.slice(5)), created_at: '', metric: null, files: [] }));
  }
  return root;
}

describe('resolveModelSource', () => {
  it('takes best, then latest, then the newest folder of a run directory', async () => {
    const root = runDir();
    const ck = path.join(root, 'checkpoints');
    expect(await resolveModelSource(root)).toEqual({ runDir: root, checkpointDir: path.join(ck, 'step-00000020'), chosenAs: 'newest' });
    fs.writeFileSync(path.join(ck, 'latest'), 'step-00000020\n');
    expect((await resolveModelSource(root)).chosenAs).toBe('latest');
    fs.writeFileSync(path.join(ck, 'best'), 'step-00000010\n');
    expect(await resolveModelSource(root)).toEqual({ runDir: root, checkpointDir: path.join(ck, 'step-00000010'), chosenAs: 'best' });
    expect((await resolveModelSource(root, 'latest')).checkpointDir).toBe(path.join(ck, 'step-00000020'));
    expect(await resolveModelSource(path.join(ck, 'best'))).toEqual({ runDir: root, checkpointDir: path.join(ck, 'step-00000010'), chosenAs: 'best' });
    expect((await resolveModelSource(path.join(ck, 'step-00000020'))).runDir).toBe(root);
  });

  it('names what is wrong in one line', async () => {
    const root = runDir();
    const ck = path.join(root, 'checkpoints');
    await expect(resolveModelSource(path.join(root, 'nope'))).rejects.toThrow(/nope: no such file or folder \(expected a run directory/);
    await expect(resolveModelSource(root, 'step-00000099')).rejects.toThrow(`run directory ${root} has no checkpoint step-00000099`);
    fs.writeFileSync(path.join(root, 'notes.txt'), 'x');
    await expect(resolveModelSource(path.join(root, 'notes.txt'))).rejects.toThrow(/is a file but not a checkpoints\/best or checkpoints\/latest marker/);
    fs.writeFileSync(path.join(ck, 'best'), 'garbage\n');
    await expect(resolveModelSource(path.join(ck, 'best'))).rejects.toThrow(/does not name a checkpoint folder/);
    fs.writeFileSync(path.join(ck, 'best'), 'step-00000030\n');
    await expect(resolveModelSource(root)).rejects.toThrow(/names step-00000030, but .* does not exist/);
    const loose = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-loose-'));
    fs.writeFileSync(path.join(loose, 'manifest.json'), '{}');
    await expect(resolveModelSource(loose)).rejects.toThrow(/not inside a run directory's checkpoints\/ folder/);
  });
});

describe('predict output formats', () => {
  const preds = [
    { index: 0, classId: 1, label: 'b, c', probabilities: Float32Array.of(0.25, 0.75) },
    { index: 1, classId: 0, label: 'a', probabilities: Float32Array.of(0.5, 0.5) },
  ];
  it('CSV: a header with the class names (quoted where needed), one row per sample', () => {
    expect(predictionsToCsv(preds, ['a', 'b, c'])).toBe('index,label,class_id,prob_a,"prob_b, c"\n0,"b, c",1,0.25,0.75\n1,a,0,0.5,0.5\n');
    expect(predictionsToCsv([{ index: 0, values: Float32Array.of(1.5, -2) }], undefined)).toBe('index,value_0,value_1\n0,1.5,-2\n');
  });
  it('JSON Lines: one object per sample', () => {
    expect(predictionsToJsonl(preds).split('\n')[0]).toBe('{"index":0,"label":"b, c","class_id":1,"probabilities":[0.25,0.75]}');
  });
  it('.npy: a header NumPy reads (checked by the parser of lib/data and, in tests/native, by numpy)', () => {
    const bytes = encodeNpy(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
    expect((10 + bytes.readUInt16LE(8)) % 64).toBe(0);
    const arr = parseNpy(new Uint8Array(bytes), 'x.npy');
    expect(arr.shape).toEqual([2, 3]);
    expect(arr.dtype).toBe("<f4");
    expect(Array.from(arr.values as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parseNpy(new Uint8Array(encodeNpy(Int32Array.of(7, 8), [2])), 'y.npy').shape).toEqual([2]);
  });
});
