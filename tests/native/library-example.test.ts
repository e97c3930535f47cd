/**
 * The README's library examples (examples/library.js, examples/train.js) run as a user runs it, against the compiled
 * package, and learns: the accuracy it prints is well above chance.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { describeNative } from './helpers';

describeNative('examples/library.js', () => {
  it('trains the quickstart MLP through the schedule and the native trainer', () => {
    const root = join(__dirname, '..', '..');
    const r = spawnSync(process.execPath, [join(root, 'examples', 'library.js')], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^128 steps, 64 per epoch, groups: default$/m);
    const m = /eval: loss ([\d.]+), accuracy ([\d.]+) \(chance 0\.250\)/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(0.5);
  });
});

describeNative('examples/train.js', () => {
  it('trains the quickstart through train-native\'s Trainer with events, into runs/ under the working directory', () => {
    const root = join(__dirname, '..', '..');
    const cwd = mkdtempSync(join(tmpdir(), 'tn-example-'));
    const r = spawnSync(process.execPath, [join(root, 'examples', 'train.js')], { cwd, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`→ ${join(cwd, 'runs', 'library-example')}`);
    const acc = [...r.stdout.matchAll(/step (\d+) val: loss [\d.]+, accuracy ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(acc.map((a) => a[0])).toEqual([64, 128]);
    expect(acc[1][1]).toBeGreaterThan(0.5);
    expect(r.stdout).toMatch(/^checkpoint step-00000128$/m);
    expect(r.stdout).toMatch(/^completed after 128 steps; best: \{"checkpoint":"step-\d{8}","metric":"val_loss"/m);
  });
});
