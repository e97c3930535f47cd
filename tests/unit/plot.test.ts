// `train-native plot`: curves from metrics.jsonl and checkpoints rendered to one SVG; clear errors.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { completeCheckpointSteps, curvesFromMetrics, plotCommand, runPlot } from '../../lib/commands/plot';
import { CliError } from '../../lib/commands/errors';
import { manifestToJson, MANIFEST_FORMAT, MANIFEST_VERSION } from '../../lib/checkpoint/manifest';
import { CliIO } from '../../lib/commands/io';
import { downsamplePoints, renderCurvesSvg } from '../../lib/render/curves-svg';
import type { MetricsRecord } from '../../lib/logging';

let root: string;
let runDir: string;
let stderr: string[];
const io: CliIO = { stdout: () => undefined, stderr: (t) => void stderr.push(t) };

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'plot-test-'));
  runDir = join(root, 'my-run');
  stderr = [];
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const lines = (records: object[]): string => records.map((r) => JSON.stringify(r) + '\n').join('');

function fakeRun(): void {
  mkdirSync(runDir, { recursive: true });
  const records: object[] = [];
  for (let step = 10; step <= 200; step += 10) {
    const lr = step <= 100 ? 1e-3 : 1e-4; // a plateau drop at step 110
    records.push({ step, epoch: Math.ceil(step / 50), split: 'train', loss: 2 / step, lr });
    if (step % 50 === 0) {
      records.push({ step, epoch: step / 50, split: 'val', loss: 3 / step, accuracy: step / 250, f1: 0.1 });
      records.push({ step, epoch: step / 50, split: 'val_mask_meta', loss: 9 });
    }
  }
  records.push({ step: 210, epoch: 5, split: 'train', loss: null, lr: 1e-4 }); // non-finite loss
  writeFileSync(join(runDir, 'metrics.jsonl'), lines(records) + '{"step":220,"ep'); // torn tail
  for (const [name, complete] of [
    ['step-00000050', true],
    ['step-00000100', true],
    ['step-00000150', false], // no manifest: incomplete, not marked
    ['step-00000200', true],
  ] as const) {
    mkdirSync(join(runDir, 'checkpoints', name), { recursive: true });
    const step = Number(name.slice('step-'.length));
    const manifest = manifestToJson({ format: MANIFEST_FORMAT, format_version: MANIFEST_VERSION, step, created_at: '', metric: null, files: [] });
    if (complete) writeFileSync(join(runDir, 'checkpoints', name, 'manifest.json'), manifest);
  }
  writeFileSync(join(runDir, 'checkpoints', 'latest'), 'step-00000200');
}

function count(text: string, re: RegExp): number {
  return (text.match(re) ?? []).length;
}

describe('curvesFromMetrics', () => {
  it('takes train loss, val loss, the first val metric and the LR, skipping nulls', () => {
    const records: MetricsRecord[] = [
      { step: 1, epoch: 0, split: 'train', loss: 1, lr: 0.1 },
      { step: 2, epoch: 0, split: 'train', loss: null, lr: 0.05 },
      { step: 2, epoch: 0, split: 'val', loss: 0.8, accuracy: null, f1: 0.3 },
      { step: 4, epoch: 1, split: 'val', loss: 0.6, accuracy: 0.75 },
      { step: 4, epoch: 1, split: 'val_mask_meta', loss: 5 },
    ];
    const c = curvesFromMetrics(records, [2], 'r');
    expect(c.trainLoss).toEqual([{ step: 1, value: 1 }]);
    expect(c.valLoss).toEqual([
      { step: 2, value: 0.8 },
      { step: 4, value: 0.6 },
    ]);
    expect(c.valMetric).toEqual({ name: 'accuracy', points: [{ step: 4, value: 0.75 }] });
    expect(c.lr).toEqual([
      { step: 1, value: 0.1 },
      { step: 2, value: 0.05 },
    ]);
    expect(c.checkpointSteps).toEqual([2]);
  });
});

describe('runPlot', () => {
  it('writes the SVG with two panels, every series and one marker per complete checkpoint', async () => {
    fakeRun();
    expect(await completeCheckpointSteps(runDir)).toEqual([50, 100, 200]);
    const out = await runPlot(runDir, {}, io);
    expect(out).toBe(join(runDir, 'plots', 'training_curves.svg'));
    expect(stderr).toEqual([`wrote ${out}\n`]);
    const svg = readFileSync(out, 'utf8');
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Training curves — my-run');
    // Every opened element is closed (a cheap well-formedness check).
    expect(count(svg, /<g[\s>]/g)).toBe(count(svg, /<\/g>/g));
    expect(count(svg, /data-panel="linear"/g)).toBe(1);
    expect(count(svg, /data-panel="log"/g)).toBe(1);
    for (const series of ['train_loss', 'val_loss', 'val_metric', 'lr']) {
      expect(count(svg, new RegExp(`data-series="${series}"><polyline`, 'g'))).toBe(2);
    }
    expect(svg).toContain('val accuracy');
    expect(count(svg, /class="checkpoint"/g)).toBe(2 * 3);
    expect(svg).toContain('checkpoint (3)');
    expect(svg).toContain('stroke-dasharray="6,4"');
    expect(svg).toContain('loss (log)');
    expect(svg).toContain('global step');
    expect(svg).not.toContain('NaN');
  });

  it('draws the LR as a staircase: a plateau drop is a vertical segment', async () => {
    fakeRun();
    const svg = readFileSync(await runPlot(runDir, {}, io), 'utf8');
    const lr = /data-series="lr"><polyline[^>]*points="([^"]+)"/.exec(svg);
    const pts = (lr?.[1] ?? '').split(' ').map((p) => p.split(',').map(Number));
    // 21 logged LR points + 1 corner at the drop.
    expect(pts.length).toBe(22);
    const drop = pts.findIndex((p, i) => i > 0 && p[1] !== pts[i - 1][1]);
    expect(pts[drop][0]).toBe(pts[drop - 1][0]);
    expect(pts[drop][1]).toBeGreaterThan(pts[drop - 1][1]); // lower LR = further down
  });

  it('honours --output', async () => {
    fakeRun();
    const target = join(root, 'out', 'curves.svg');
    expect(await runPlot(runDir, { output: target }, io)).toBe(target);
    expect(readFileSync(target, 'utf8')).toContain('<svg');
  });

  it('fails clearly without metrics.jsonl or run directory', async () => {
    mkdirSync(runDir);
    await expect(runPlot(runDir, {}, io)).rejects.toThrow(new CliError(`plot: ${runDir} has no metrics.jsonl — is it a run directory?`, 2));
    const missing = join(root, 'nope');
    await expect(runPlot(missing, {}, io)).rejects.toThrow(`plot: ${missing} is not a directory`);
    try {
      await runPlot(missing, {}, io);
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(2);
    }
  });

  it('reports a corrupt metrics line as a CliError', async () => {
    mkdirSync(runDir);
    writeFileSync(join(runDir, 'metrics.jsonl'), 'garbage\n{"step":1,"epoch":0,"split":"train"}\n');
    await expect(runPlot(runDir, {}, io)).rejects.toThrow(CliError);
    await expect(runPlot(runDir, {}, io)).rejects.toThrow('metrics.jsonl line 1: not a metrics record');
  });

  it('runs through the commander command', async () => {
    fakeRun();
    const target = join(root, 'cmd.svg');
    await plotCommand(io).parseAsync([runDir, '-o', target], { from: 'user' });
    expect(readFileSync(target, 'utf8')).toContain('data-panel="log"');
  });
});

describe('renderCurvesSvg', () => {
  it('skips non-positive values on the log panel and escapes the run name', () => {
    const svg = renderCurvesSvg({
      runName: 'a<b>&c',
      trainLoss: [
        { step: 0, value: 0 },
        { step: 1, value: -1 },
        { step: 2, value: 0.5 },
        { step: 3, value: 0.25 },
      ],
      valLoss: [],
      lr: [],
      checkpointSteps: [],
    });
    expect(svg).toContain('Training curves — a&lt;b&gt;&amp;c');
    const polylines = [...svg.matchAll(/data-series="train_loss"><polyline[^>]*points="([^"]+)"/g)].map((m) => m[1].split(' ').length);
    expect(polylines).toEqual([4, 2]);
    expect(svg).not.toContain('data-series="lr"');
  });

  it('downsamples long series keeping the extremes', () => {
    const pts = Array.from({ length: 10000 }, (_, i) => ({ step: i, value: i === 5000 ? 100 : i === 7000 ? -100 : Math.sin(i) }));
    const d = downsamplePoints(pts, 200);
    expect(d.length).toBeLessThanOrEqual(200);
    expect(d[0]).toBe(pts[0]);
    expect(d[d.length - 1]).toBe(pts[9999]);
    expect(d.map((p) => p.value)).toEqual(expect.arrayContaining([100, -100]));
    for (let i = 1; i < d.length; i++) expect(d[i].step).toBeGreaterThan(d[i - 1].step);
  });
});
