#!/usr/bin/env node
// The figures of docs/reliability.md, from the CLI as users run it (dist/cli.js; `npm run build`
// first). Prints one table:
//   kill -9 storm   — a run is killed with SIGKILL at seeded random moments and continued with
//                     --auto-resume until it finishes: corrupt checkpoints (a complete folder that
//                     fails verification), lost steps (the newest complete checkpoint going
//                     backwards), and whether the final weights and moments equal an uninterrupted
//                     run's byte for byte. An MLP run and a two-stage transformer run.
//   concurrent      — N writers started at once on one run directory with --auto-resume: how many
//                     trained, how many were refused with exit 2, how many failed otherwise.
//   disk full       — (root only: a tmpfs per size) the run on a file system of each size; every
//                     exit is 0 or 1 with an ENOSPC line (never an internal error), and after the
//                     disk is grown --auto-resume finishes with the uninterrupted weights.
//   signal storms   — the same with SIGTERM / SIGINT: each stop must be exit 143 / 130 after a save.
//   hostile files   — mutated safetensors files through the reader: refused cleanly or decoded,
//                     never a crash.
// Usage: node scripts/reliability.js [--kills N] [--signals N] [--writers N] [--hostile N] [--seed S] [--no-disk] [--short]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const checkpoint = require(path.join(ROOT, 'dist', 'checkpoint'));

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const KILLS = arg('kills', 40);
const WRITERS = arg('writers', 6);
const SIGNALS = arg('signals', 8);
const HOSTILE = arg('hostile', 500);
const SEED = arg('seed', 1);
const DISK = !process.argv.includes('--no-disk');
/** --short: the same cases on shorter runs (the smoke test); the figures use the full length. */
const SHORT = process.argv.includes('--short');

/** mulberry32: the kill moments are reproducible. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const env = { ...process.env, TRAIN_NATIVE_DEBUG: '' };
const runCli = (args) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });

function writeConfig(dir, text) {
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, text);
  return file;
}

const MLP = `EXPERIMENT: {NAME: run, SEED: 3}
DATA: {SOURCE: 'synthetic:classification', TRAIN_SAMPLES: 4096, VAL_FRACTION: 0.25, BATCH_SIZE: 32}
MODEL: {TYPE: mlp, INPUT_DIM: 32, NUM_CLASSES: 4, HIDDEN_SIZES: [128, 128], DROPOUT: 0.1}
LR_SCHEDULER: {NAME: cosine, BASE_LR: 0.003, WARMUP_STEPS: 16}
TRAIN: {EPOCHS: 24, DEVICE: cpu, THREADS: 1}
SCHEDULE: {VALIDATION: {INTERVAL_EPOCHS: 1}, CHECKPOINT: {INTERVAL_STEPS: 32, KEEP_LAST_N: 2}}
LOGGING: {PROGRESS: none}
`;
const TWO_STAGE = `EXPERIMENT: {NAME: run, SEED: 5}
DATA: {SOURCE: 'synthetic:sequence', TRAIN_SAMPLES: 1024, VAL_FRACTION: 0.25, BATCH_SIZE: 32, BLOCK_SIZE: 16}
MODEL: {TYPE: transformer, D_MODEL: 32, NUM_HEADS: 2, NUM_LAYERS: 2, TOKEN_LIMIT: 16, DROPOUT: 0.1}
LR_SCHEDULER: {NAME: cosine, BASE_LR: 0.002, WARMUP_STEPS: 8}
TRAIN: {EPOCHS: 10, DEVICE: cpu, THREADS: 1}
STAGES: {STAGE1: {ENABLED: true, EPOCHS: 4}}
SCHEDULE: {VALIDATION: {INTERVAL_EPOCHS: 1}, CHECKPOINT: {INTERVAL_STEPS: 16, KEEP_LAST_N: 2}}
LOGGING: {PROGRESS: none}
`;

/** Complete checkpoints (manifest present) of a run directory, step ascending. */
function complete(runDir) {
  const dir = path.join(runDir, 'checkpoints');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => /^step-\d{8,}$/.test(n) && fs.existsSync(path.join(dir, n, 'manifest.json')))
    .sort();
}

const stepOf = (name) => (name === undefined ? 0 : Number(name.slice('step-'.length)));

/** Model and optimizer bytes of a checkpoint, for byte comparison. */
function stateBytes(runDir, name) {
  const dir = path.join(runDir, 'checkpoints', name);
  return ['model.safetensors', 'optimizer.safetensors'].map((f) => fs.readFileSync(path.join(dir, f)));
}

function sameFinal(refDir, runDir) {
  const a = complete(refDir).pop();
  const b = complete(runDir).pop();
  if (a === undefined || a !== b) return false;
  const [x, y] = [stateBytes(refDir, a), stateBytes(runDir, b)];
  return x.every((buf, i) => buf.equals(y[i]));
}

async function corruptCount(runDir) {
  let bad = 0;
  for (const name of complete(runDir)) if (!(await checkpoint.verifyCheckpoint(path.join(runDir, 'checkpoints', name))).ok) bad++;
  return bad;
}

/** Starts the run; sends `signal` after `delayMs` unless it ends first. */
function runUntilKilled(args, delayMs, signal = 'SIGKILL') {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill(signal), delayMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/**
 * Interrupts one run `kills` times at seeded random moments (start-up, training, checkpoint
 * writes alike) with `signal`, continuing it with --auto-resume each time until it finishes.
 * SIGKILL: the process just dies. SIGINT / SIGTERM: it must stop with 130 / 143 after saving.
 */
async function killStorm(label, configText, kills, random, signal = 'SIGKILL') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-storm-'));
  const file = writeConfig(dir, configText);
  const ref = path.join(dir, 'ref');
  const t0 = Date.now();
  const r = runCli(['train', file, '--run-dir', ref]);
  if (r.status !== 0) throw new Error(`reference run failed: ${r.stderr}`);
  const refMs = Date.now() - t0;
  const total = stepOf(complete(ref).pop());
  const runDir = path.join(dir, 'storm');
  let killed = 0;
  let corrupt = 0;
  let lost = 0;
  let otherFailures = 0;
  let newest = '';
  for (;;) {
    // Kill moments spread so that the kills together cover about the whole run; the window
    // shrinks with the work left, so every kill asked for happens before the run can finish.
    const left = 1 - stepOf(complete(runDir).pop()) / total;
    const delay = killed < kills ? 150 + random() * Math.max(100, Math.min((2 * refMs) / kills, 0.9 * refMs * left)) : 1e9;
    const res = await runUntilKilled(['train', file, '--run-dir', runDir, '--auto-resume'], delay, signal);
    // Before its handlers are installed (start-up) a SIGINT / SIGTERM ends the process like a kill.
    const stoppedBySignal = res.signal === signal || (signal !== 'SIGKILL' && res.code === (signal === 'SIGINT' ? 130 : 143));
    if (stoppedBySignal) killed++;
    else if (res.code !== 0 || res.signal !== null) otherFailures++;
    corrupt += await corruptCount(runDir);
    const now = complete(runDir).pop() ?? '';
    if (now < newest) lost++;
    newest = now;
    if (res.code === 0) break;
    if (killed + otherFailures > kills * 3) break;
  }
  const equal = sameFinal(ref, runDir);
  fs.rmSync(dir, { recursive: true, force: true });
  return [label, `${killed} ${signal === 'SIGKILL' ? 'kills' : `${signal}s`}`, `${corrupt}`, `${lost}`, `${otherFailures}`, equal ? 'yes' : 'NO'];
}

async function concurrentWriters(n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-writers-'));
  const file = writeConfig(dir, MLP.replace('EPOCHS: 24', 'EPOCHS: 3'));
  const runDir = path.join(dir, 'shared');
  const results = await Promise.all(Array.from({ length: n }, () => runUntilKilled(['train', file, '--run-dir', runDir, '--auto-resume'], 1e9)));
  const trained = results.filter((r) => r.code === 0).length;
  const refused = results.filter((r) => r.code === 2 && /is in use by another training run/.test(r.stderr)).length;
  const ref = path.join(dir, 'ref');
  runCli(['train', file, '--run-dir', ref]);
  const equal = sameFinal(ref, runDir);
  fs.rmSync(dir, { recursive: true, force: true });
  return [`${n} writers at once`, `${trained} trained`, `${refused} refused (exit 2)`, `${n - trained - refused} other`, '', equal ? 'yes' : 'NO'];
}

function diskFull() {
  if (process.getuid?.() !== 0) return [['disk full', 'skipped: needs root (tmpfs mounts)', '', '', '', '']];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-disk-'));
  const file = writeConfig(dir, MLP.replace('EPOCHS: 24', 'EPOCHS: 3'));
  const ref = path.join(dir, 'ref');
  runCli(['train', file, '--run-dir', ref]);
  const rows = [];
  let enospc = 0;
  let internal = 0;
  let equal = 0;
  const sizesKiB = [64, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 4096];
  for (const kib of sizesKiB) {
    const mnt = path.join(dir, `mnt-${kib}`);
    fs.mkdirSync(mnt);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', mnt]).status !== 0) return [['disk full', 'skipped: mount failed', '', '', '', '']];
    try {
      const runDir = path.join(mnt, 'run');
      const r = runCli(['train', file, '--run-dir', runDir]);
      if (r.status === 1 && /no space left on the device \(ENOSPC\)/.test(r.stderr)) enospc++;
      if (/internal error/.test(r.stderr)) internal++;
      spawnSync('mount', ['-o', 'remount,size=64m', mnt]);
      const again = runCli(['train', file, '--run-dir', runDir, '--auto-resume']);
      if (again.status === 0 && sameFinal(ref, runDir)) equal++;
    } finally {
      spawnSync('umount', [mnt]);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  rows.push([`disk full (${sizesKiB.length} sizes, 64 KiB–4 MiB)`, `${enospc} ENOSPC exits`, '', '', `${internal} internal errors`, `${equal}/${sizesKiB.length}`]);
  return rows;
}

/**
 * Hostile safetensors: seeded mutations of a real checkpoint's model.safetensors (bytes flipped,
 * truncated, header lengths and JSON edited, offsets and shapes changed) through the reader.
 * Each must decode or be refused with a SafetensorsError; anything else is a crash.
 */
function hostileSafetensors(count, random) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-hostile-'));
  const file = writeConfig(dir, MLP.replace('EPOCHS: 24', 'EPOCHS: 1'));
  const runDir = path.join(dir, 'run');
  runCli(['train', file, '--run-dir', runDir]);
  const good = fs.readFileSync(path.join(runDir, 'checkpoints', complete(runDir).pop(), 'model.safetensors'));
  const headerLen = Number(good.readBigUInt64LE(0));
  const header = good.subarray(8, 8 + headerLen).toString('utf8');
  const int = (n) => Math.floor(random() * n);
  const mutations = [
    (b) => { const c = Buffer.from(b); for (let i = 0; i < 1 + int(8); i++) c[int(c.length)] ^= 1 << int(8); return c; },
    (b) => b.subarray(0, int(b.length)),
    (b) => { const c = Buffer.from(b); c.writeBigUInt64LE(BigInt(int(2 ** 40)), 0); return c; },
    (b) => { const c = Buffer.from(b); for (let i = 0; i < 3; i++) c[8 + int(headerLen)] = ' {}[]":,0123456789-eE'.charCodeAt(int(21)); return c; },
    () => {
      const h = JSON.parse(header);
      const names = Object.keys(h).filter((k) => k !== '__metadata__');
      const t = h[names[int(names.length)]];
      const edits = [() => (t.data_offsets = [int(1e6), int(1e6)]), () => (t.shape = [int(5000), int(5000)]), () => (t.dtype = ['F64', 'I8', 'X9', 7][int(4)]), () => (t.shape = [-1]), () => (h[`x${int(9)}`] = { dtype: 'F32', shape: [2 ** 53], data_offsets: [0, 8] })];
      edits[int(edits.length)]();
      const text = Buffer.from(JSON.stringify(h));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(text.length));
      return Buffer.concat([len, text, good.subarray(8 + headerLen)]);
    },
  ];
  let refused = 0;
  let decoded = 0;
  let crashed = 0;
  for (let i = 0; i < count; i++) {
    const bytes = mutations[i % mutations.length](good);
    try {
      checkpoint.decodeSafetensors(new Uint8Array(bytes));
      decoded++;
    } catch (e) {
      if (e instanceof checkpoint.SafetensorsError) refused++;
      else crashed++;
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return [`hostile safetensors (${count} files)`, `${refused} refused`, '', '', `${crashed} crashes`, `${decoded} decoded`];
}

function table(rows) {
  const head = ['case', 'runs', 'corrupt checkpoints', 'lost steps', 'other failures', 'final == uninterrupted'];
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const line = (r) => `| ${r.map((c, i) => String(c).padEnd(w[i])).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main() {
  if (!fs.existsSync(CLI)) throw new Error(`missing ${CLI}: run \`npm run build\` first`);
  const random = rng(SEED);
  const rows = [];
  const mlp = SHORT ? MLP.replace('EPOCHS: 24', 'EPOCHS: 4') : MLP;
  const twoStage = SHORT ? TWO_STAGE.replace('EPOCHS: 10', 'EPOCHS: 4').replace('EPOCHS: 4}}', 'EPOCHS: 2}}') : TWO_STAGE;
  rows.push(await killStorm('kill -9 storm, MLP', mlp, Math.ceil(KILLS / 2), random));
  rows.push(await killStorm('kill -9 storm, two-stage', twoStage, Math.floor(KILLS / 2), random));
  rows.push(await killStorm('SIGTERM storm, MLP', mlp, SIGNALS, random, 'SIGTERM'));
  rows.push(await killStorm('SIGINT storm, two-stage', twoStage, SIGNALS, random, 'SIGINT'));
  rows.push(await concurrentWriters(WRITERS));
  rows.push(hostileSafetensors(HOSTILE, random));
  if (DISK) rows.push(...diskFull());
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, seed ${SEED}`);
  console.log(table(rows));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
