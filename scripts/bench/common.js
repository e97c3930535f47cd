// Helpers shared by scripts/bench-attention.js and scripts/bench-step.js: loading the addon through
// the package (dist/native, the one loader), machine description, waiting for a quiet machine,
// medians, peak-RSS reading, child processes that answer with one JSON line, and plain tables.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const PYTHON = process.env.BENCH_PYTHON || '/usr/bin/python3';

/** dist/native (createSession, loadNative); explains what to build when it is missing. */
function nativeApi() {
  const distNative = path.join(ROOT, 'dist', 'native', 'index.js');
  if (!fs.existsSync(distNative)) throw new Error(`missing ${distNative}: run \`npm run build\` first`);
  const api = require(distNative);
  if (!api.isNativeAvailable()) throw api.nativeLoadError();
  return api;
}

/** Peak and current resident set of this process, KiB (/proc/self/status VmHWM / VmRSS). */
function rssKiB() {
  const s = fs.readFileSync('/proc/self/status', 'utf8');
  const get = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)[1]);
  return { hwm: get('VmHWM'), rss: get('VmRSS') };
}

function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? m[1].trim() : os.cpus()[0].model;
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
}

function nproc() {
  try {
    return Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    return os.cpus().length;
  }
}

function loadavg() {
  return os.loadavg().map((v) => v.toFixed(2)).join(' ');
}

function compilerRunning() {
  try {
    return execFileSync('pgrep', ['-f', 'cc1plus'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false; // pgrep exits 1 when nothing matches
  }
}

/** Waits (up to maxWaitS) until no C++ compiler runs, so builds do not share the cores with us. */
async function waitForQuiet(maxWaitS = 1800) {
  const t0 = Date.now();
  let said = false;
  while (compilerRunning()) {
    if (!said) {
      console.error('waiting for running compilers (cc1plus) to finish before measuring...');
      said = true;
    }
    if (Date.now() - t0 > maxWaitS * 1000) {
      console.error('still compiling after the wait; measuring anyway (see load average)');
      return false;
    }
    await new Promise((r) => setTimeout(r, 5000));
  }
  return true;
}

function machineLine() {
  return `machine: ${cpuModel()}, nproc ${nproc()}, load average ${loadavg()} (1/5/15 min), node ${process.version}`;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs a command whose last stdout line is JSON; rejects with its stderr on failure. */
function runJson(cmd, args, { env, timeoutMs = 20 * 60 * 1000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() || '';
      if (code !== 0) return reject(new Error(`${path.basename(cmd)} ${args.slice(0, 2).join(' ')} failed (${signal || code}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`no JSON from ${cmd} ${args.join(' ')}: ${out}${err}`));
      }
    });
  });
}

/** A plain fixed-width table (console.table adds an index column and quotes strings). */
function table(rows, columns) {
  const cols = columns ?? Object.keys(rows[0] ?? {});
  const cell = (v) => (v === undefined || v === null ? '' : String(v));
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals) => '| ' + vals.map((v, i) => v.padEnd(w[i])).join(' | ') + ' |';
  return [line(cols), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

/** Deterministic pseudo-random floats in [-0.5, 0.5). */
function randFloats(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
  return a;
}

function randInts(n, hi, seed) {
  const a = new Int32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s >>> 8) % hi;
  }
  return a;
}

/**
 * `--name VALUE` options of a benchmark's command line: `opt(name, default)`, `flag(name)`, and the
 * checked forms `int(name, default, min)` and `list(name, default, allowed)`. Bad input exits 2
 * with one line naming the option; `rejectUnknown()` (after every option was asked for) does the
 * same for an option the script does not know.
 */
function cliOptions(argv = process.argv.slice(2)) {
  const known = new Set();
  const fail = (msg) => {
    console.error(`${path.basename(process.argv[1] || 'bench')}: ${msg}`);
    process.exit(2);
  };
  const opt = (name, def) => {
    known.add(name);
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return def;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) fail(`--${name} needs a value`);
    return v;
  };
  const flag = (name) => {
    known.add(name);
    return argv.includes(`--${name}`);
  };
  const int = (name, def, min = 1) => {
    const v = opt(name, undefined);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}, got '${v}'`);
    return n;
  };
  /** Comma list, duplicates dropped; `allowed` (optional) names every value it may hold. */
  const list = (name, def, allowed) => {
    const vals = String(opt(name, def)).split(',').map((s) => s.trim()).filter((s, i, a) => s !== '' && a.indexOf(s) === i);
    if (vals.length === 0) fail(`--${name} needs at least one value`);
    const bad = allowed ? vals.filter((v) => !allowed.includes(v)) : [];
    if (bad.length > 0) fail(`--${name}: unknown value '${bad[0]}' (choose from ${allowed.join(', ')})`);
    return vals;
  };
  const rejectUnknown = () => {
    const unknown = argv.filter((a) => a.startsWith('--') && !known.has(a.slice(2)));
    if (unknown.length > 0) fail(`unknown option ${unknown[0]} (known: ${[...known].map((k) => `--${k}`).join(' ')})`);
  };
  return { opt, flag, int, list, rejectUnknown, fail };
}

// CPU accounting from /proc, in clock ticks (USER_HZ, 100 on Linux): how much of the machine
// was busy, and how much of that was this process and its finished children. Other agents' work
// may be invisible to `ps` here (another PID namespace) but still shows in /proc/stat.
const TICKS_PER_S = 100;

/** Busy ticks of all CPUs since boot (user + nice + system + irq + softirq + steal). */
function machineBusyTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return user + nice + system + irq + softirq + steal;
}

/** Ticks used by this process and its waited-for children (/proc/self/stat utime stime cutime cstime). */
function ownTicks() {
  const s = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ').map(Number); // fields from 3 (state) on
  return f[11] + f[12] + f[13] + f[14];
}

/** Starts a window; `.end()` gives the cores other processes kept busy during it (seconds of CPU per second). */
function othersLoadWindow() {
  const t0 = process.hrtime.bigint(), busy0 = machineBusyTicks(), own0 = ownTicks();
  return {
    end() {
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const others = machineBusyTicks() - busy0 - (ownTicks() - own0);
      return s > 0 ? Math.max(0, others / TICKS_PER_S / s) : 0;
    },
  };
}

/**
 * Waits until other processes use less than `maxCores` over a 2 s sample, for at most maxWaitS;
 * returns the last sample. Compilers of other work sharing these cores are what it waits out.
 */
async function waitForIdleCpu(maxCores = 0.3, maxWaitS = 120) {
  const t0 = Date.now();
  for (;;) {
    const w = othersLoadWindow();
    await new Promise((r) => setTimeout(r, 2000));
    const load = w.end();
    if (load < maxCores || Date.now() - t0 > maxWaitS * 1000) return load;
  }
}

/**
 * Runs a command to its end; resolves with its wall time (ms, from spawn to exit), exit code,
 * output, and `othersCores`: the CPU other processes (not this one, not the child) used meanwhile.
 */
function runTimed(cmd, args, { env, cwd = ROOT, timeoutMs = 60 * 60 * 1000 } = {}) {
  return new Promise((resolve) => {
    const window = othersLoadWindow();
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ms: NaN, code: -1, signal: null, stdout, stderr: `${stderr}${e.message}`, othersCores: window.end() });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      resolve({ ms, code, signal, stdout, stderr, othersCores: window.end() });
    });
  });
}

module.exports = { ROOT, cliOptions, runTimed, othersLoadWindow, waitForIdleCpu, PYTHON, nativeApi, rssKiB, cpuModel, nproc, loadavg, waitForQuiet, machineLine, median, runJson, table, randFloats, randInts };
