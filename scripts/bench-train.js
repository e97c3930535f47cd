#!/usr/bin/env node
// bench-train: one training job run three ways, side by side, as their users run them:
//   train-native   `node dist/cli.js train CONFIG --set ...` (the CLI, a YAML config)
//   PyTorch loop   scripts/bench/train_reference.py (DataLoader, AdamW, LambdaLR, clip_grad_norm_)
//   Lightning      scripts/bench/train_lightning.py (LightningModule + Trainer), where it imports
// The job: npy folders on disk, AdamW, warmup + cosine LR, grad clip 1.0, validation and a
// checkpoint every epoch, train loss to TensorBoard every 16 steps. Per-step time comes from two
// run lengths, (t(E2) - t(E1)) / (steps(E2) - steps(E1)), so start-up (imports, LibTorch loading,
// data loading) cancels; medians over rounds whose order of the three ways rotates.
//
// LibTorch setups (--libtorch):
//   debian  build/Release/train_native.node (the default build) and Debian's python3 torch
//   pip     build-pip/Release/train_native.node (TRAIN_NATIVE_ADDON) and a pip torch's python
//
// Usage: node scripts/bench-train.js [--threads 1,2] [--models mlp,transformer] [--rounds 3]
//          [--libtorch debian,pip] [--pip-python PATH] [--build] [--epochs E1,E2] [--smoke]
//          [--json FILE] [--keep] [--no-wait]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const C = require('./bench/common');
const { JOB, LOG_EVERY, MODELS, expectedParams, writeJob } = require('./bench/train-job');

const ROOT = C.ROOT;
const CLI = path.join(ROOT, 'dist', 'cli.js');
const REFERENCE = path.join(ROOT, 'scripts', 'bench', 'train_reference.py');
const LIGHTNING = path.join(ROOT, 'scripts', 'bench', 'train_lightning.py');
const PIP_BUILD_DIR = path.join(ROOT, 'build-pip');
// Other processes' load (cores) above which a measured pair of runs counts as disturbed.
const DISTURBED = 0.5;
const RETRIES = 2;

const WAYS = ['train-native', 'PyTorch loop', 'Lightning'];

// ---- options ------------------------------------------------------------------------------------
const cli = C.cliOptions();
const smoke = cli.flag('smoke');
const threadList = cli.list('threads', '1,2').map((v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) cli.fail(`--threads: '${v}' is not a thread count (integers >= 1, comma-separated)`);
  return n;
});
const modelList = cli.list('models', 'mlp,transformer', Object.keys(MODELS));
const setupList = cli.list('libtorch', 'debian,pip', ['debian', 'pip']);
const rounds = cli.int('rounds', smoke ? 1 : 3);
const epochsOpt = cli.opt('epochs', null);
const pipPythonOpt = cli.opt('pip-python', process.env.BENCH_PIP_PYTHON || null);
const build = cli.flag('build');
const jsonOut = cli.opt('json', null);
const keep = cli.flag('keep');
const noWait = cli.flag('no-wait') || smoke;
cli.rejectUnknown();

let epochsOverride = null;
if (epochsOpt !== null) {
  const e = epochsOpt.split(',').map(Number);
  if (e.length !== 2 || !e.every((v) => Number.isInteger(v) && v >= 1) || e[1] <= e[0]) {
    cli.fail(`--epochs must be two run lengths E1,E2 with 1 <= E1 < E2, got '${epochsOpt}'`);
  }
  epochsOverride = e;
}
const epochsOf = (m) => epochsOverride ?? (smoke ? MODELS[m].smoke.epochs : MODELS[m].epochs);
const samplesOf = (m) => (smoke ? MODELS[m].smoke.samples : MODELS[m].samples);
const seqOf = (m) => (smoke ? MODELS[m].smoke.seq : MODELS[m].seq);

// ---- setups: which addon and which python -------------------------------------------------------
function pythonTorch(py) {
  const r = spawnSync(py, ['-c', 'import torch, os; print(torch.__version__); print(os.path.dirname(torch.__file__))'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const [version, dir] = r.stdout.trim().split('\n');
  return { version, dir };
}

function imports(py, module) {
  const r = spawnSync(py, ['-c', `import ${module}; print(${module}.__version__)`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The command that builds the pip addon into build-pip/ (printed, or run by --build). */
function pipBuildCommand(py) {
  return `LIBTORCH=$(${py} -c 'import torch,os;print(os.path.dirname(torch.__file__))') TRAIN_NATIVE_BUILD_DIR=build-pip TRAIN_NATIVE_REQUIRE_NATIVE=1 npm run build:native`;
}

function findPipPython() {
  if (pipPythonOpt !== null) {
    if (pythonTorch(pipPythonOpt) === null) cli.fail(`--pip-python ${pipPythonOpt}: cannot import torch with it`);
    return pipPythonOpt;
  }
  // python3 on PATH, when its torch is not Debian's (that one is the debian setup).
  const t = pythonTorch('python3');
  if (t !== null && !t.dir.startsWith('/usr/lib/')) return 'python3';
  cli.fail('--libtorch pip needs a python with pip torch: pass --pip-python PATH (a venv\'s bin/python) or set BENCH_PIP_PYTHON');
}

/** LibTorch version the addon reports through `train-native doctor` ('?' when it does not say). */
function addonLibTorch(env) {
  const r = spawnSync(process.execPath, [CLI, 'doctor'], { cwd: ROOT, env, encoding: 'utf8' });
  const m = /LibTorch (\S+)/.exec(`${r.stdout}${r.stderr}`);
  if (r.status !== 0 && !m) throw new Error(`train-native doctor failed with this addon: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`);
  return m ? m[1].replace(/[,;:.]+$/, '') : '?';
}

function makeSetup(name) {
  const env = { ...process.env };
  delete env.TRAIN_NATIVE_ADDON;
  let python, addon;
  if (name === 'debian') {
    python = C.PYTHON;
    addon = path.join(ROOT, 'build', 'Release', 'train_native.node');
    if (!fs.existsSync(addon)) cli.fail(`missing ${path.relative(ROOT, addon)}: build it with \`npm run build:native\``);
    if (pythonTorch(python) === null) cli.fail(`--libtorch debian: ${python} cannot import torch (Debian: apt install python3-torch; or set BENCH_PYTHON)`);
  } else {
    python = findPipPython();
    addon = path.join(PIP_BUILD_DIR, 'Release', 'train_native.node');
    if (build) {
      console.error(`building the pip addon: ${pipBuildCommand(python)}`);
      const r = spawnSync('bash', ['-c', pipBuildCommand(python)], { cwd: ROOT, stdio: ['ignore', 2, 2] });
      if (r.status !== 0) {
        console.error('bench-train: building the pip addon failed (messages above)');
        process.exit(1);
      }
    } else if (!fs.existsSync(addon)) {
      cli.fail(`missing ${path.relative(ROOT, addon)} (the addon against ${python}'s torch); build it with --build, or:\n  ${pipBuildCommand(python)}`);
    }
    env.TRAIN_NATIVE_ADDON = addon;
  }
  const torch = pythonTorch(python);
  const libtorch = addonLibTorch(env);
  const lightning = imports(python, 'lightning');
  const majorMinor = (v) => v.split('.').slice(0, 2).join('.');
  if (libtorch !== '?' && majorMinor(libtorch) !== majorMinor(torch.version)) {
    console.error(`warning: ${name}: the addon's LibTorch ${libtorch} differs from ${python}'s torch ${torch.version}`);
  }
  return { name, env, python, addon, torch: torch.version, libtorch, lightning };
}

// ---- data and configs, written once ---------------------------------------------------------------
function writeData(dir, m) {
  return writeJob(dir, m, { samples: samplesOf(m), seq: seqOf(m) });
}

// ---- one run of one way ---------------------------------------------------------------------------
function tail(text, n = 3) {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** {name: shape} and the step of train-native's newest checkpoint (the model it trained). */
function checkpointFacts(runDir) {
  const ckpts = path.join(runDir, 'checkpoints');
  const latest = fs.readFileSync(path.join(ckpts, 'latest'), 'utf8').trim();
  const raw = fs.readFileSync(path.join(ckpts, latest, 'model.safetensors'));
  const header = JSON.parse(raw.subarray(8, 8 + Number(raw.readBigUInt64LE(0))).toString('utf8'));
  const shapes = {};
  for (const [k, v] of Object.entries(header)) if (k !== '__metadata__') shapes[k] = v.shape;
  return { shapes, steps: Number(/^step-(\d+)$/.exec(latest)[1]) };
}

/** Throws unless the run left what the job asks for: a checkpoint per epoch, validation, the loss log. */
function checkJobDone(way, out, epochs, steps) {
  const files = (d) => (fs.existsSync(d) ? fs.readdirSync(d) : []);
  const fail = (what) => {
    throw new Error(`${way} (${epochs} epochs, ${steps} steps) did not do the whole job: ${what}`);
  };
  const logged = Math.floor(steps / LOG_EVERY);
  if (way === 'train-native') {
    // KEEP_LAST_N retires older checkpoints; the newest is the last epoch's (checked by the caller).
    const lines = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const val = lines.filter((l) => l.split === 'val').length, train = lines.filter((l) => l.split === 'train').length;
    if (val !== epochs) fail(`${val} validations in metrics.jsonl`);
    if (train !== logged) fail(`${train} train-loss records in metrics.jsonl, expected ${logged}`);
    if (!files(path.join(out, 'tensorboard')).some((f) => f.startsWith('events.out.tfevents'))) fail('no TensorBoard event file');
    return;
  }
  const ext = way === 'Lightning' ? '.ckpt' : '.pt';
  const ckpts = files(path.join(out, 'checkpoints')).filter((f) => f.endsWith(ext)).length;
  if (ckpts !== epochs) fail(`${ckpts} checkpoints`);
  const tb = way === 'Lightning' ? path.join(out, 'tensorboard', 'version_0') : path.join(out, 'tensorboard');
  const csv = path.join(tb, 'train.csv');
  if (fs.existsSync(csv)) {
    const rows = fs.readFileSync(csv, 'utf8').split('\n');
    const losses = rows.filter((r) => r.includes(',train/loss,')).length, vals = rows.filter((r) => r.includes(',val/loss,')).length;
    if (losses !== logged || vals !== epochs) fail(`train.csv has ${losses} train losses and ${vals} validations, expected ${logged} and ${epochs}`);
  } else if (!files(tb).some((f) => f.startsWith('events.out.tfevents'))) {
    fail('no TensorBoard event file');
  }
}

async function runOnce(setup, way, m, threads, epochs, ctx) {
  const id = `${setup.name}-${m}-t${threads}-e${epochs}-${way.replace(/\W/g, '')}-${ctx.counter++}`;
  const out = path.join(ctx.dir, 'runs', id);
  // Other work on these cores shows as noise; wait (a while) for it to go, and record what was left.
  if (!noWait) await C.waitForIdleCpu(0.3, 30);
  let r;
  if (way === 'train-native') {
    const sets = [`TRAIN.EPOCHS=${epochs}`, `TRAIN.THREADS=${threads}`, `EXPERIMENT.NAME=${id}`];
    r = await C.runTimed(process.execPath, [CLI, 'train', ctx.configs[m], ...sets.flatMap((s) => ['--set', s])], { env: setup.env });
    if (r.code !== 0) throw new Error(`train-native (${setup.name}, ${m}, ${threads} threads, ${epochs} epochs) exited ${r.signal || r.code}: ${tail(r.stderr || r.stdout)}`);
    const facts = checkpointFacts(out);
    Object.assign(r, { steps: facts.steps, shapes: facts.shapes, threads, logger: 'tensorboard' });
    if (facts.steps !== epochs * ctx.stepsPerEpoch[m]) throw new Error(`train-native's last checkpoint is at step ${facts.steps}, expected ${epochs * ctx.stepsPerEpoch[m]}`);
  } else {
    const spec = { model: MODELS[m].spec, batchSize: MODELS[m].batch, ...JOB };
    const script = way === 'Lightning' ? LIGHTNING : REFERENCE;
    const args = [script, '--spec', JSON.stringify(spec), '--data', path.join(ctx.dir, m), '--out', out, '--epochs', String(epochs), '--threads', String(threads)];
    r = await C.runTimed(setup.python, args, { env: setup.env });
    if (r.code !== 0) throw new Error(`${way} (${setup.name}, ${m}, ${threads} threads, ${epochs} epochs) exited ${r.signal || r.code}: ${tail(r.stderr || r.stdout)}`);
    const res = JSON.parse(r.stdout.trim().split('\n').pop());
    Object.assign(r, res);
    if (r.steps !== epochs * ctx.stepsPerEpoch[m]) throw new Error(`${way} ran ${r.steps} steps, expected ${epochs * ctx.stepsPerEpoch[m]}`);
  }
  checkJobDone(way, out, epochs, r.steps);
  fs.rmSync(out, { recursive: true, force: true });
  if (r.threads !== threads) throw new Error(`${way} (${setup.name}, ${m}) ran with ${r.threads} intra-op threads, asked for ${threads}`);
  return { ms: r.ms, steps: r.steps, shapes: r.shapes, logger: r.logger, othersCores: r.othersCores };
}

// ---- the table ------------------------------------------------------------------------------------
const fmtMs = (v) => (v === null ? 'n/a' : v >= 100 ? `${v.toFixed(0)} ms` : v >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`);
const fmtRatio = (other, tn) => (other === null || tn === null ? 'n/a' : `${(other / tn).toFixed(2)}×`);
const spread = (xs) => (xs.length < 2 ? '' : `±${(((Math.max(...xs) - Math.min(...xs)) / 2 / C.median(xs)) * 100).toFixed(0)}%`);

function sameShapes(a, b) {
  const ka = Object.keys(a).sort(), kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

async function main() {
  if (!fs.existsSync(CLI)) cli.fail(`missing ${path.relative(ROOT, CLI)}: run \`npm run build\` first`);
  const setups = setupList.map(makeSetup);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-train-'));
  const ctx = { dir, counter: 0, configs: {}, stepsPerEpoch: {} };
  for (const m of modelList) {
    ctx.configs[m] = writeData(dir, m);
    ctx.stepsPerEpoch[m] = Math.floor(samplesOf(m).train / MODELS[m].batch); // drop_last in all three
  }

  console.log(`# bench-train: the same training job through train-native, a plain PyTorch loop and Lightning${smoke ? ' (SMOKE: tiny data, timings meaningless)' : ''}`);
  console.log(C.machineLine());
  for (const s of setups) {
    console.log(`${s.name}: train-native ${path.relative(ROOT, s.addon)} (LibTorch ${s.libtorch}); PyTorch ${s.python} (torch ${s.torch}); Lightning ${s.lightning ?? 'n/a (does not import)'}`);
  }
  for (const m of modelList) {
    const n = samplesOf(m), e = epochsOf(m);
    const seqNote = smoke && MODELS[m].smoke.seq ? ` (smoke: seq ${seqOf(m)})` : '';
    console.log(`${m}: ${MODELS[m].label}${seqNote}; ${n.train} training / ${n.val} validation samples (${n.train / MODELS[m].batch} steps an epoch); runs of ${e[0]} and ${e[1]} epochs`);
  }
  console.log(`job: npy folders, AdamW (wd ${JOB.weightDecay}), warmup ${JOB.warmupFraction * 100}% + cosine ${JOB.baseLr} → ${JOB.minLr}, clip ${JOB.gradClip}, validation + checkpoint every epoch, train loss every ${LOG_EVERY} steps; ${rounds} round(s), the order of the three ways rotating${noWait ? '' : `; before each run waits (<= 30 s) for other load < 0.3 cores, and reruns a pair that saw > ${DISTURBED} (at most ${RETRIES}x)`}`);

  // cells[setup][model][threads][way] = { perStep: [], params, shapes, logger }
  const cells = [];
  for (const s of setups) for (const m of modelList) for (const t of threadList) {
    cells.push({ setup: s, model: m, threads: t, othersCores: [], retries: 0, ways: Object.fromEntries(WAYS.map((w) => [w, { perStep: [], runs: [] }])) });
  }
  for (let r = 0; r < rounds; r++) {
    const order = WAYS.map((_, i) => WAYS[(i + r) % WAYS.length]);
    for (const cell of cells) {
      for (const way of order) {
        if (way === 'Lightning' && cell.setup.lightning === null) continue;
        const [e1, e2] = epochsOf(cell.model);
        // Alternate which length runs first, so a drift of the machine does not favour one.
        const lengths = r % 2 === 0 ? [e1, e2] : [e2, e1];
        // A pair during which other processes kept more than DISTURBED cores busy is run again
        // (at most RETRIES times) after waiting for the machine to calm down.
        let res;
        for (let attempt = 0; ; attempt++) {
          res = {};
          for (const e of lengths) res[e] = await runOnce(cell.setup, way, cell.model, cell.threads, e, ctx);
          const load = Math.max(res[e1].othersCores, res[e2].othersCores);
          if (noWait || load <= DISTURBED || attempt >= RETRIES) break;
          console.error(`round ${r + 1}/${rounds} ${cell.setup.name} ${cell.model} ${cell.threads}t ${way}: other load ${load.toFixed(2)} cores, running it again`);
          cell.retries++;
        }
        const a = res[e1], b = res[e2];
        if (b.steps <= a.steps) throw new Error(`${way}: ${e2} epochs ran ${b.steps} steps, ${e1} epochs ${a.steps}`);
        const w = cell.ways[way];
        const perStep = (b.ms - a.ms) / (b.steps - a.steps);
        w.perStep.push(perStep);
        w.runs.push({ round: r, [e1]: { ms: a.ms, steps: a.steps, othersCores: a.othersCores }, [e2]: { ms: b.ms, steps: b.steps, othersCores: b.othersCores } });
        cell.othersCores.push(a.othersCores, b.othersCores);
        w.shapes = b.shapes;
        w.logger = b.logger;
        console.error(`round ${r + 1}/${rounds} ${cell.setup.name} ${cell.model} ${cell.threads}t ${way}: ${perStep.toFixed(3)} ms/step (${(a.ms / 1000).toFixed(1)} s / ${(b.ms / 1000).toFixed(1)} s; other load ${a.othersCores.toFixed(2)} / ${b.othersCores.toFixed(2)} cores)`);
      }
    }
  }

  const rows = [];
  const json = [];
  for (const cell of cells) {
    const med = (w) => (cell.ways[w].perStep.length ? C.median(cell.ways[w].perStep) : null);
    const tn = med('train-native'), loop = med('PyTorch loop'), light = med('Lightning');
    const expected = expectedParams(MODELS[cell.model].spec);
    const counts = {};
    for (const w of WAYS) {
      const sh = cell.ways[w].shapes;
      if (!sh) continue;
      counts[w] = Object.values(sh).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
      if (!sameShapes(sh, cell.ways['train-native'].shapes)) {
        throw new Error(`${cell.model}: ${w}'s parameters (names and shapes) differ from train-native's: ${JSON.stringify(sh)} vs ${JSON.stringify(cell.ways['train-native'].shapes)}`);
      }
      if (counts[w] !== expected) throw new Error(`${cell.model}: ${w} has ${counts[w]} parameters, models.cc builds ${expected}`);
    }
    const others = [loop, light].filter((v) => v !== null);
    const best = others.length ? Math.min(...others) : null;
    const loggers = WAYS.filter((w) => cell.ways[w].logger && cell.ways[w].logger !== 'tensorboard').map((w) => `${w}: ${cell.ways[w].logger}`);
    rows.push({
      LibTorch: `${cell.setup.name} ${cell.setup.libtorch}`,
      model: cell.model,
      threads: cell.threads,
      params: expected,
      'train-native': fmtMs(tn),
      'PyTorch loop': fmtMs(loop),
      Lightning: fmtMs(light),
      'vs loop': fmtRatio(loop, tn),
      'vs Lightning': fmtRatio(light, tn),
      'vs best': fmtRatio(best, tn),
      'spread tn / loop / L': WAYS.map((w) => spread(cell.ways[w].perStep) || '-').join(' / '),
      'other load': `${C.median(cell.othersCores).toFixed(2)} (max ${Math.max(...cell.othersCores).toFixed(2)})${cell.retries ? `, ${cell.retries} rerun` : ''}`,
      notes: loggers.join('; '),
    });
    json.push({
      setup: cell.setup.name, libtorch: cell.setup.libtorch, torch: cell.setup.torch, lightning: cell.setup.lightning,
      model: cell.model, threads: cell.threads, expectedParams: expected, params: counts, othersCores: cell.othersCores, reruns: cell.retries,
      medianMsPerStep: { 'train-native': tn, 'PyTorch loop': loop, Lightning: light },
      ways: Object.fromEntries(WAYS.map((w) => [w, { perStepMs: cell.ways[w].perStep, runs: cell.ways[w].runs, logger: cell.ways[w].logger ?? null }])),
    });
  }
  console.log('\nPer-step time, median over rounds; "vs" = the other way\'s time / train-native\'s (> 1: train-native is faster); params: the same names and shapes in all three, checked; spread: half the range over rounds / median; other load: cores other processes kept busy during the runs, median (max):');
  console.log(C.table(rows));
  console.log(`load average at end: ${C.loadavg()}`);
  if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify({ smoke, rounds, threads: threadList, models: modelList, rows: json }, null, 2));
  if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  else console.error(`kept ${dir}`);
}

main().catch((e) => {
  console.error(`bench-train: ${e.message}`);
  process.exit(1);
});
