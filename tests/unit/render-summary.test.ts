/**
 * The human schedule summary (SPEC §7) and its text charts: resolved values with epoch
 * equivalents, warnings, one LR chart per group with scientific y labels and an epoch axis, and an
 * event timeline on the same x axis. Charts are checked cell by cell on curves whose picture is
 * known.
 */
import {
  columnOfEvent,
  listSteps,
  renderEpochAxis,
  renderEventTimeline,
  renderLrChart,
  renderScheduleSummary,
} from '../../lib/render';
import type { ResolvedValue, ScheduleJson } from '../../lib/schedule/json-types';

const GUTTER = 19;
/** The plot cells of a chart line (after "<label> |"). */
const cells = (line: string): string => line.slice(GUTTER + 2);

function json(T: number, spe: number, lr: Record<string, number[]>, over: Partial<ScheduleJson> = {}): ScheduleJson {
  return {
    total_steps: T,
    steps_per_epoch: spe,
    epochs: Math.ceil(T / spe),
    effective_batch_size: 256,
    lr,
    events: {
      validation: Array.from({ length: T / spe }, (_, e) => (e + 1) * spe),
      mask_meta_validation: [T],
      partial_mask_meta_validation: [],
      checkpoint: [0, T / 2, T],
    },
    probabilities: {
      meta_mask: Array.from({ length: T }, (_, k) => Math.max(0.05, 1 - k / T)),
      partial_meta_mask: new Array(T).fill(0),
      mixup: new Array(T).fill(0),
    },
    warnings: [],
    ...over,
  };
}

describe('renderLrChart', () => {
  it('draws a step from 1 to 0 half-way: top row left, bottom row right, one vertical stroke', () => {
    const values = Array.from({ length: 120 }, (_, k) => (k < 60 ? 1 : 0));
    const lines = renderLrChart(values, { totalSteps: 120, stepsPerEpoch: 12, width: 60, height: 12 });
    expect(lines).toHaveLength(14); // 12 rows + axis + labels
    expect(lines[0].startsWith(`${' '.repeat(GUTTER - 7)}1.00e+0 |`)).toBe(true);
    expect(lines[11].startsWith(`${' '.repeat(GUTTER - 7)}0.00e+0 |`)).toBe(true);
    expect(cells(lines[0])).toBe('*'.repeat(31));
    for (let r = 1; r < 11; r++) expect(cells(lines[r])).toBe(`${' '.repeat(30)}*`);
    expect(cells(lines[11])).toBe(`${' '.repeat(30)}${'*'.repeat(30)}`);
  });

  it('puts a linear ramp on the diagonal: column c at the row of its value', () => {
    const T = 60;
    const values = Array.from({ length: T }, (_, k) => (2e-3 * k) / (T - 1));
    const lines = renderLrChart(values, { totalSteps: T, stepsPerEpoch: 6, width: 60, height: 12 });
    expect(lines[0]).toContain('2.00e-3 |');
    expect(lines[11]).toContain('0.00e+0 |');
    for (let c = 0; c < T; c++) {
      const row = Math.round((1 - c / (T - 1)) * 11);
      expect(cells(lines[row])[c]).toBe('*');
      // nothing above the value (the stroke only reaches down to the previous column's value)
      for (let r = 0; r < row; r++) expect(cells(lines[r])[c] ?? ' ').toBe(' ');
    }
  });

  it('uses one column per step when there are fewer steps than columns', () => {
    const lines = renderLrChart([3, 2, 1], { totalSteps: 3, stepsPerEpoch: 1, width: 60, height: 3 });
    // each column reaches back to the previous column's value, so the descent is connected
    expect(lines.slice(0, 3).map(cells)).toEqual(['**', ' **', '  *']);
    expect(lines[3].trim()).toBe('+---'); // corner + 3 columns
  });

  it('labels a flat curve and keeps it on the top row', () => {
    const lines = renderLrChart(new Array(100).fill(5e-4), { totalSteps: 100, stepsPerEpoch: 10, height: 6 });
    expect(lines[0]).toContain('5.00e-4 |');
    expect(cells(lines[0])).toBe('*'.repeat(60));
    expect(lines[5]).toContain('0.00e+0 |');
  });
});

describe('renderEpochAxis', () => {
  it('ticks and labels every epoch when there are few', () => {
    const [axis, labels] = renderEpochAxis({ totalSteps: 100, stepsPerEpoch: 10, width: 60 });
    expect(axis.trim()).toMatch(/^\+(-+\+){10}$/);
    expect(labels.trim().split(/\s+/)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', 'epoch']);
  });

  it('thins labels to a nice step that never collide when there are many epochs', () => {
    const [, labels] = renderEpochAxis({ totalSteps: 100 * 37, stepsPerEpoch: 37, width: 60 });
    expect(labels.trim().split(/\s+/)).toEqual(['0', '10', '20', '30', '40', '50', '60', '70', '80', '90', '100', 'epoch']);
  });

  it('places epoch e\'s tick at the column of the step that ends it', () => {
    const [axis] = renderEpochAxis({ totalSteps: 300, stepsPerEpoch: 100, width: 30, gutter: 0 });
    // index 0 of the axis string is the corner; column c is at c + 1 after the leading space
    const plot = axis.slice(2);
    expect(plot[columnOfEvent(100, 300, 30)]).toBe('+');
    expect(plot[columnOfEvent(200, 300, 30)]).toBe('+');
    expect(plot[29]).toBe('+');
  });
});

describe('renderEventTimeline', () => {
  it('marks each event in the column of the step it follows and counts them', () => {
    const rows = renderEventTimeline(
      [
        { label: 'validation', mark: 'V', steps: [100, 200, 300] },
        { label: 'checkpoint', mark: 'C', steps: [0, 150] },
        { label: 'partial mask-meta', mark: 'P', steps: [] },
      ],
      { totalSteps: 300, stepsPerEpoch: 100, width: 30 },
    );
    const v = cells(rows[0]);
    expect([...v.slice(0, 30)].flatMap((ch, i) => (ch === 'V' ? [i] : []))).toEqual([9, 19, 29]);
    expect(rows[0].endsWith('| 3')).toBe(true);
    const c = cells(rows[1]);
    expect([...c.slice(0, 30)].flatMap((ch, i) => (ch === 'C' ? [i] : []))).toEqual([0, 14]);
    expect(rows[2]).toBe(`  partial mask-meta |${' '.repeat(30)}| 0`);
  });
});

describe('renderScheduleSummary', () => {
  const T = 1000;
  const spe = 100;
  const lr = Array.from({ length: T }, (_, k) => (k < 50 ? (1e-3 * k) / 50 : 1e-3 * 0.5 * (1 + Math.cos((Math.PI * (k - 50)) / 950))));
  const resolved: ResolvedValue[] = [
    { key: 'LR_SCHEDULER.WARMUP_FRACTION', given: 0.05, steps: 50, epochs: 0.5 },
    { key: 'SCHEDULE.VALIDATION.INTERVAL_STEPS', given: 250, steps: 250 },
    { key: 'LR_SCHEDULER.NAME', given: 'cosine' },
  ];
  const warning = 'SCHEDULE.VALIDATION.INTERVAL_STEPS (250) is not a multiple of steps_per_epoch (100): runs at the next epoch end';
  const text = renderScheduleSummary(json(T, spe, { default: lr, head: lr.map((v) => v / 10) }, { warnings: [warning] }), resolved, {
    source: 'configs/x.yaml',
    trainSamples: 25600,
    batchSize: 64,
    worldSize: 2,
    accumulationSteps: 2,
    schedulers: { default: 'cosine', head: 'cosine' },
  });
  const lines = text.split('\n');

  it('ends with one newline and names its source', () => {
    expect(text.endsWith('\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(false);
    expect(lines[0]).toBe('Training schedule — configs/x.yaml');
  });

  it('shows the run shape', () => {
    const row = (label: string) => lines.find((l) => l.trim().startsWith(label))?.trim().replace(/\s+/g, ' ');
    expect(row('training samples')).toBe('training samples 25600');
    expect(row('batch size')).toBe('batch size 64 per process × 2 processes');
    expect(row('accumulation steps')).toBe('accumulation steps 2');
    expect(row('effective batch size')).toBe('effective batch size 256');
    expect(row('steps per epoch')).toBe('steps per epoch 100');
    expect(row('epochs')).toBe('epochs 10');
    expect(row('total steps')).toBe('total steps 1000');
  });

  it('lists resolved values with steps and epoch equivalents', () => {
    const row = (key: string) => lines.find((l) => l.includes(key))?.trim().split(/\s{2,}/);
    expect(row('LR_SCHEDULER.WARMUP_FRACTION')).toEqual(['LR_SCHEDULER.WARMUP_FRACTION', '0.05', '50', '0.5']);
    // epochs are shown only where the resolved value carries them
    expect(row('SCHEDULE.VALIDATION.INTERVAL_STEPS')).toEqual(['SCHEDULE.VALIDATION.INTERVAL_STEPS', '250', '250', '-']);
    expect(row('LR_SCHEDULER.NAME')).toEqual(['LR_SCHEDULER.NAME', 'cosine', '-', '-']);
  });

  it('shows the warnings', () => {
    expect(lines).toContain(`  ! ${warning}`);
  });

  it('draws one chart per group with its peak on the y axis and an epoch axis', () => {
    expect(lines).toContain('Learning rate — group "default" (cosine)');
    expect(lines).toContain('Learning rate — group "head" (cosine)');
    expect(text).toContain('peak 1.00e-3 at step 50');
    expect(lines.filter((l) => l.includes('1.00e-3 |'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('1.00e-4 |'))).toHaveLength(1);
    const axisLabels = lines.filter((l) => l.trimEnd().endsWith('epoch') && /^\s+0\s/.test(l));
    expect(axisLabels).toHaveLength(2);
  });

  it('has an event timeline with counts and the steps listed', () => {
    expect(lines.find((l) => l.includes('validation |'))?.endsWith('| 10')).toBe(true);
    expect(lines.find((l) => l.includes('mask-meta |') && !l.includes('partial'))?.endsWith('| 1')).toBe(true);
    expect(lines.find((l) => l.includes('checkpoint |'))?.endsWith('| 3')).toBe(true);
    expect(text).toMatch(/checkpoint \(C\)\s+3\s+0, 500, 1000/);
  });

  it('summarises enabled probability schedules only', () => {
    expect(text).toContain('meta-mask');
    expect(text).toMatch(/meta-mask\s+start 1, end 0\.05/);
    expect(text).not.toMatch(/^\s+mixup/m);
  });

  it('says (none) when there are no warnings and no resolved values', () => {
    const t = renderScheduleSummary(json(100, 10, { default: new Array(100).fill(1e-3) }), []);
    expect(t).toMatch(/Warnings\n-+\n {2}\(none\)/);
    expect(t).toMatch(/Resolved values\n-+\n {2}\(none\)/);
    expect(t.split('\n')[0]).toBe('Training schedule');
  });
});

describe('listSteps', () => {
  it('elides long lists but keeps the last step', () => {
    expect(listSteps([1, 2, 3], 5)).toBe('1, 2, 3');
    expect(listSteps([1, 2, 3, 4, 5, 6, 7], 4)).toBe('1, 2, 3, …, 7');
    expect(listSteps([])).toBe('-');
  });
});
