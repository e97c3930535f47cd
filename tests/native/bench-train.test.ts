/**
 * scripts/bench-train.js in its smoke mode (tiny data, one round): the three ways run the whole job
 * (the script checks each run's checkpoints, validations, loss log and step count, and fails
 * otherwise), the table has a row per model, and every way's model has models.cc's parameters —
 * the same names and shapes, and the counts worked out by hand below. Nothing here is timed.
 * Debian's python3 torch is the reference; a pip torch (with Lightning) joins when BENCH_PIP_PYTHON
 * names its python and build-pip/ holds the addon built against it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'bench-train.js');
const PY = '/usr/bin/python3';
const hasAddon = fs.existsSync(path.join(ROOT, 'build', 'Release', 'train_native.node'));
const hasTorch = fs.existsSync(PY) && spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const pipPython = process.env.BENCH_PIP_PYTHON;
const withPip = pipPython !== undefined && fs.existsSync(path.join(ROOT, 'build-pip', 'Release', 'train_native.node'));

// By hand from native/core/models.cc: Linear(i, o) has i*o + o parameters, LayerNorm(d) 2d.
const MLP_PARAMS = 64 * 256 + 256 + (256 * 256 + 256) + (256 * 10 + 10); // 85002
const BLOCK = 2 * 128 + 4 * (128 * 128 + 128) + 2 * 128 + (128 * 512 + 512) + (512 * 128 + 128);
const TRANSFORMER_PARAMS = 1000 * 128 + 128 * 128 + 2 * BLOCK + 2 * 128 + (128 * 10 + 10); // 542474

interface BenchRow {
  setup: string;
  model: string;
  threads: number;
  expectedParams: number;
  params: Record<string, number>;
  medianMsPerStep: Record<string, number | null>;
  ways: Record<string, { perStepMs: number[]; runs: Array<Record<string, unknown>> }>;
}

function bench(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.BENCH_PIP_PYTHON;
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 300000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bench-train.js options', () => {
  it.each([
    [['--models', 'mlp,cnn'], "--models: unknown value 'cnn' (choose from mlp, transformer)"],
    [['--threads', '1,0'], "--threads: '0' is not a thread count"],
    [['--rounds', 'x'], "--rounds must be an integer >= 1, got 'x'"],
    [['--epochs', '3,2'], '--epochs must be two run lengths E1,E2 with 1 <= E1 < E2'],
    [['--libtorch', 'conda'], "--libtorch: unknown value 'conda'"],
    [['--round', '2'], 'unknown option --round'],
  ])('%j exits 2 with one line naming the option', (args, message) => {
    const r = bench(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });
});

(hasAddon && hasTorch ? describe : describe.skip)('bench-train.js --smoke', () => {
  const setups = withPip ? ['debian', 'pip'] : ['debian'];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-train-test-'));
  const jsonFile = path.join(dir, 'bench.json');
  let run: ReturnType<typeof bench>;
  let rows: BenchRow[];

  beforeAll(() => {
    const args = ['--smoke', '--threads', '1', '--models', 'mlp,transformer', '--libtorch', setups.join(','), '--json', jsonFile];
    if (withPip) args.push('--pip-python', pipPython as string);
    run = bench(args);
    rows = run.status === 0 ? (JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as { rows: BenchRow[] }).rows : [];
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('exits 0 and prints one table with a row per LibTorch setup and model', () => {
    expect(run.stderr).not.toMatch(/bench-train: /);
    expect(run.status).toBe(0);
    const tableRows = run.stdout.split('\n').filter((l) => /^\| (debian|pip) /.test(l));
    expect(tableRows).toHaveLength(setups.length * 2);
    for (const s of setups) {
      expect(tableRows.filter((l) => l.startsWith(`| ${s} `) && /\| mlp +\| 1 +\| 85002 +\|/.test(l))).toHaveLength(1);
      expect(tableRows.filter((l) => l.startsWith(`| ${s} `) && /\| transformer +\| 1 +\| 542474 +\|/.test(l))).toHaveLength(1);
    }
  });

  it('every way trains models.cc\'s models: the hand-counted parameters', () => {
    expect(MLP_PARAMS).toBe(85002);
    expect(TRANSFORMER_PARAMS).toBe(542474);
    for (const row of rows) {
      const want = row.model === 'mlp' ? MLP_PARAMS : TRANSFORMER_PARAMS;
      expect(row.expectedParams).toBe(want);
      const ways = row.setup === 'pip' ? ['train-native', 'PyTorch loop', 'Lightning'] : ['train-native', 'PyTorch loop'];
      expect(Object.keys(row.params).sort()).toEqual([...ways].sort());
      for (const w of ways) expect({ w, params: row.params[w] }).toEqual({ w, params: want });
    }
  });

  it('each way ran both lengths once: 1 and 2 epochs of the smoke data (drop_last)', () => {
    expect(rows.map((r) => `${r.setup} ${r.model}`).sort()).toEqual(setups.flatMap((s) => [`${s} mlp`, `${s} transformer`]).sort());
    for (const row of rows) {
      const perEpoch = row.model === 'mlp' ? 256 / 32 : 32 / 16;
      for (const [way, w] of Object.entries(row.ways)) {
        if (way === 'Lightning' && row.setup !== 'pip') {
          expect(w.runs).toEqual([]);
          continue;
        }
        expect({ way, runs: w.runs.length, perStep: w.perStepMs.length }).toEqual({ way, runs: 1, perStep: 1 });
        const run0 = w.runs[0] as Record<string, { steps: number }>;
        expect({ way, e1: run0['1'].steps, e2: run0['2'].steps }).toEqual({ way, e1: perEpoch, e2: 2 * perEpoch });
      }
    }
  });
});
