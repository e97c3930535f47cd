#!/usr/bin/env node
/**
 * End-to-end timing of `train-native schedule` (what a user waits for): runs the compiled CLI on
 * tests/fixtures/long-run.yaml (two parameter groups, every event kind) at several run lengths and
 * prints a table. Run `npm run build` first.
 *
 *   node scripts/bench-schedule-cli.js [repeats]
 */
'use strict';
const { spawnSync } = require('child_process');
const { join } = require('path');

const root = join(__dirname, '..');
const cli = join(root, 'dist', 'cli.js');
const repeats = Number(process.argv[2] ?? 3);
// long-run.yaml: batch 32, 10 epochs; TRAIN_SAMPLES = 32 * steps_per_epoch.
const lengths = [10_000, 100_000, 1_000_000];
const modes = [
  ['--json', ['--json']],
  ['summary', []],
  ['--json --plot', ['--json', '--plot', join(require('os').tmpdir(), 'train-native-bench.svg')]],
];

function time(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return { ms, bytes: r.stdout.length };
}

const rows = [['total steps', 'mode', 'median ms', 'stdout bytes']];
for (const steps of lengths) {
  const samples = String(32 * (steps / 10));
  for (const [name, extra] of modes) {
    const runs = [];
    for (let i = 0; i < repeats; i++) runs.push(time(['schedule', 'tests/fixtures/long-run.yaml', '--set', `DATA.TRAIN_SAMPLES=${samples}`, ...extra]));
    runs.sort((a, b) => a.ms - b.ms);
    const med = runs[Math.floor(runs.length / 2)];
    rows.push([String(steps), name, med.ms.toFixed(0), String(med.bytes)]);
  }
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
