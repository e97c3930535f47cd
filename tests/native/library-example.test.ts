/**
 * The README's library example (examples/library.js) runs as a user runs it, against the compiled
 * package, and learns: the accuracy it prints is well above chance.
 */
import { spawnSync } from 'child_process';
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
