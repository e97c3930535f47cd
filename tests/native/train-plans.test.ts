/**
 * The loop writes checkpoints exactly where the plan says: a generated plan (step 0 = the
 * untrained model, evenly spaced first-epoch points, linear later points, every epoch end) and an
 * explicit STEPS list — the same steps `train-native schedule --json` reports — plus the last
 * step, which is always saved so a finished run can be used and resumed.
 */
import { join } from 'path';
import { describeNative } from './helpers';
import { validateConfig } from '../../lib/config';
import { buildSchedule } from '../../lib/schedule';
import { train } from '../../lib/train';
import { checkpointNames, smallConfig, tmpDir, trainerState } from './train-helpers';

const name = (s: number) => `step-${String(s).padStart(8, '0')}`;

describeNative('checkpoint plans in training', () => {
  test.each([
    ['generated', { GENERATE: { FIRST_EPOCH_CHECKPOINTS: 3, SUBSEQUENT_EPOCHS_SPACING: 'linear', LINEAR_INTERVAL: 5, MIN_CHECKPOINT_INTERVAL: 0 } }],
    ['explicit', { STEPS: [3, 17, 20] }],
    ['interval steps', { INTERVAL_STEPS: 10 }],
  ])('%s', async (_label, plan) => {
    const out = tmpDir();
    const runDir = join(out, 'run');
    const config = validateConfig(
      smallConfig(out, { TRAIN: { EPOCHS: 3 }, SCHEDULE: { CHECKPOINT: { INTERVAL_EPOCHS: undefined, ...plan, KEEP_LAST_N: 1000 } } }),
    );
    const planned = buildSchedule(config, { trainSamples: 512 }).eventPlan.checkpoint;
    const r = await train({ config, runDir });
    expect(r.status).toBe('completed');
    const expected = [...new Set([...planned, r.totalSteps])].sort((a, b) => a - b).map(name);
    expect(checkpointNames(runDir)).toEqual(expected);
    if (planned[0] === 0) expect((trainerState(runDir, name(0)) as { step: number }).step).toBe(0);
  });
});
