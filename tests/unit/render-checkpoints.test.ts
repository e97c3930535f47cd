/**
 * The generate-checkpoints listing (seed 001's format): one "Epoch N (start-end): [...]" line per
 * epoch, the settings used, a total of distinct steps, and the JSON form.
 */
import { checkpointPlanJson, renderCheckpointPlan, type CheckpointPlanView } from '../../lib/render';

const view: CheckpointPlanView = {
  steps_per_epoch: 333,
  total_steps: 999,
  settings: { first_epoch_checkpoints: 3, spacing: 'log', log_base: 2, linear_interval: 33, min_checkpoint_interval: 0 },
  epochs: [
    { epoch: 1, start: 0, end: 333, steps: [0, 166, 333] },
    { epoch: 2, start: 334, end: 666, steps: [334, 336, 666] },
    { epoch: 3, start: 667, end: 999, steps: [667, 999] },
  ],
};

describe('renderCheckpointPlan', () => {
  const text = renderCheckpointPlan(view);
  const lines = text.split('\n');

  it('prints one line per epoch in seed 001\'s form', () => {
    expect(lines).toContain('Epoch 1 (0-333): [0, 166, 333]');
    expect(lines).toContain('Epoch 2 (334-666): [334, 336, 666]');
    expect(lines).toContain('Epoch 3 (667-999): [667, 999]');
  });

  it('states the run shape, the settings and the total', () => {
    expect(lines[0]).toBe('Checkpoint plan: 3 epochs × 333 steps = 999 steps');
    expect(lines[1]).toBe('First epoch: 3 checkpoints; later epochs: log spacing (base 2); minimum interval 0');
    expect(lines[lines.length - 2]).toBe('Total: 8 checkpoints');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('describes linear spacing with its interval', () => {
    const t = renderCheckpointPlan({ ...view, settings: { ...view.settings, spacing: 'linear' } });
    expect(t).toContain('later epochs: linear spacing (every 33 steps)');
  });
});

describe('checkpointPlanJson', () => {
  it('adds every step once, sorted, and the count', () => {
    const j = checkpointPlanJson({ ...view, epochs: [...view.epochs, { epoch: 4, start: 1000, end: 1000, steps: [999] }] });
    expect(j.steps).toEqual([0, 166, 333, 334, 336, 666, 667, 999]);
    expect(j.count).toBe(8);
    expect(j.epochs).toHaveLength(4);
    expect(j.settings.spacing).toBe('log');
  });
});
