/**
 * scripts/reliability.js (the figures of docs/reliability.md) runs and reports what it measures:
 * a short storm of each kind with no corrupt checkpoint, no lost step and the uninterrupted
 * weights at the end; concurrent writers with exactly one training; hostile files never crashing.
 */
import { spawnSync } from 'child_process';
import { join } from 'path';
import { describeNative } from './helpers';
import { ROOT } from './train-helpers';

describeNative('scripts/reliability.js', () => {
  test('a short run prints the table with zero failures', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'reliability.js'), '--kills', '2', '--signals', '1', '--writers', '2', '--hostile', '20', '--no-disk', '--short'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 300000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| case'));
    const cells = (label: string) => (rows.find((l) => l.startsWith(`| ${label}`)) ?? '').split('|').map((c) => c.trim());
    // One interruption each was asked for; on a loaded machine a signal's window can close before it
    // lands (the run already ended), so 0 or 1 were delivered — never a failure either way.
    for (const label of ['kill -9 storm, MLP', 'kill -9 storm, two-stage', 'SIGTERM storm, MLP', 'SIGINT storm, two-stage']) {
      expect({ label, row: cells(label).slice(2, 7) }).toEqual({ label, row: [expect.stringMatching(/^[01] /), '0', '0', '0', 'yes'] });
    }
    expect(cells('2 writers at once').slice(2, 5)).toEqual(['1 trained', '1 refused (exit 2)', '0 other']);
    expect(cells('hostile safetensors (20 files)')[5]).toBe('0 crashes');
  });
});
