// Cross-check with TensorBoard itself: its Python EventFileLoader and EventAccumulator read our
// files, and a SessionLog START after a resume purges the stale steps. Runs only where the Python
// in TENSORBOARD_PYTHON (default /usr/bin/python3) can `import tensorboard`; skipped otherwise.
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { TensorBoardWriter } from '../../lib/logging/tensorboard';

const python = process.env.TENSORBOARD_PYTHON ?? '/usr/bin/python3';
const available = spawnSync(python, ['-c', 'import tensorboard'], { stdio: 'ignore' }).status === 0;
const maybe = available ? it : it.skip;

const SCRIPT = `
import json, sys
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
import glob
files = sorted(glob.glob(sys.argv[1] + '/*tfevents*'))
counts = [sum(1 for _ in EventFileLoader(f).Load()) for f in files]
acc = event_accumulator.EventAccumulator(sys.argv[1], size_guidance={'scalars': 0, 'histograms': 0})
acc.Reload()
h = acc.Histograms('w')
print(json.dumps({
  'counts': counts,
  'loss': [[s.step, s.value] for s in acc.Scalars('loss')],
  'hist': [[x.step, x.histogram_value.num, x.histogram_value.min, x.histogram_value.max] for x in h],
}))
`;

describe('TensorBoard reads our event files', () => {
  maybe('loads scalars and histograms and purges stale steps after a SessionLog START', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-python-'));
    try {
      let t = 1_700_000_000_000;
      const now = (): number => (t += 1000);
      const a = TensorBoardWriter.open(dir, { now });
      for (const s of [0, 10, 20, 30]) a.addScalar('loss', s / 10, s);
      a.addHistogram('w', Float32Array.from([-1, 0.5, 2]), 10);
      a.addHistogram('w', Float32Array.from([1, 2]), 30);
      a.close();
      const b = TensorBoardWriter.open(dir, { now }); // resumed from the checkpoint at step 20
      b.addSessionStart(20);
      b.addScalar('loss', 0.25, 20);
      b.close();
      const r = spawnSync(python, ['-c', SCRIPT, dir], { encoding: 'utf8' });
      expect(r.stderr).not.toMatch(/Traceback/);
      const out = JSON.parse(r.stdout) as { counts: number[]; loss: number[][]; hist: number[][] };
      expect(out.counts).toEqual([7, 3]);
      expect(out.loss).toEqual([
        [0, 0],
        [10, 1],
        [20, 0.25],
      ]);
      expect(out.hist).toEqual([[10, 3, -1, 2]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
