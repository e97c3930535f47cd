#!/usr/bin/env node
/**
 * Full vs query-chunked attention, forward + backward, at sequence 1k / 2k / 4k: peak memory and
 * time, one table from one run. Target at 4k: chunked uses <= 1/8 of full attention's memory
 * within 1.3x its time.
 *
 * Memory on CPU = peak RSS growth of a fresh child process per configuration: VmHWM after the
 * first long forward + backward minus VmRSS just before it (the child has already loaded LibTorch
 * and run a 16-token call; that is the "doing nothing" baseline).
 *
 * addon columns: attention alone through the addon's attentionBench (the models' attention() code
 *   path, forward + backward on random q, k, v; scripts/bench/attention-child.js).
 * PyTorch columns: scripts/bench/attention_reference.py runs the same two algorithms op for op in
 *   PyTorch 1.13 (the addon's LibTorch) on q, k, v alone.
 * Runs alternate full / chunked (each chunk size) per length, for --rounds rounds; medians are shown.
 * The target is judged for every chunk size at 4k (the user picks MODEL.ATTENTION_CHUNK_SIZE).
 *
 *   npm run build && npm run build:native
 *   node scripts/bench-attention.js [--quick] [--rounds N] [--chunks 64,128,256] [--threads 1] [--lengths 1024,2048,4096]
 *                                   [--heads 4] [--head-dim 32] [--batch 1] [--no-python] [--json FILE]
 */
'use strict';
const fs = require('fs');
const path = require('path');
const C = require('./bench/common');

const { opt, flag } = C.cliOptions();
const quick = flag('quick');
const rounds = Number(opt('rounds', quick ? 1 : 2));
const chunks = opt('chunks', quick ? '128' : '64,128,256').split(',').map(Number);
const threads = Number(opt('threads', 1));
const lengths = opt('lengths', quick ? '1024,2048' : '1024,2048,4096').split(',').map(Number);
const heads = Number(opt('heads', 4)), headDim = Number(opt('head-dim', 32)), batch = Number(opt('batch', 1));
const steps = Number(opt('steps', 3));
const withPython = !flag('no-python');
const jsonOut = opt('json', null);
const TARGET = { memory: 1 / 8, time: 1.3, at: 4096 };

const CHILD = path.join(__dirname, 'bench', 'attention-child.js');
const PY = path.join(__dirname, 'bench', 'attention_reference.py');
const mib = (kib) => kib / 1024;

async function measure(seqLen, ch) {
  const cfg = { seqLen, chunk: ch, recompute: true, batch, heads, headDim, threads, steps };
  const a = await C.runJson(process.execPath, [CHILD, JSON.stringify(cfg)]);
  const p = withPython ? await C.runJson(C.PYTHON, [PY, JSON.stringify(cfg)]) : null;
  return { a, p };
}

async function main() {
  await C.waitForQuiet();
  C.nativeApi(); // fail early with the loader's explanation
  const d = heads * headDim;
  const header = [
    '# bench-attention: full vs query-chunked attention (recompute in backward), forward + backward',
    C.machineLine(),
    `batch ${batch}, heads ${heads}, head dim ${headDim} (dModel ${d}), chunks ${chunks.join('/')}, threads ${threads}, fp32, CPU; ` +
      `${rounds} round(s) x ${steps} forward+backward iterations per configuration, medians`,
    'addon = attention alone (forward + backward on random q, k, v) through the addon\'s attentionBench; ' +
      'PyTorch = the same attention algorithms op for op in PyTorch 1.13 (same LibTorch)',
  ];
  console.log(header.join('\n'));
  const res = {};
  for (const n of lengths) {
    for (let r = 0; r < rounds; r++) {
      for (const ch of [0, ...chunks]) {
        const key = `${n}/${ch}`;
        const m = await measure(n, ch);
        (res[key] ??= []).push(m);
        process.stderr.write(`  N ${n} ${ch ? `chunk ${ch}` : 'full'} round ${r + 1}: addon ${mib(m.a.peakKiB).toFixed(1)} MiB ` +
          `${m.a.ms.map((v) => v.toFixed(0)).join('/')} ms` + (m.p ? `; PyTorch ${mib(m.p.peakKiB).toFixed(1)} MiB ${m.p.ms.map((v) => v.toFixed(0)).join('/')} ms` : '') +
          ` (load ${C.loadavg()})\n`);
      }
    }
  }
  const agg = (key, side) => {
    const ms = res[key].map((m) => m[side]).filter(Boolean);
    if (!ms.length) return null;
    return { mem: C.median(ms.map((m) => mib(m.peakKiB))), ms: C.median(ms.map((m) => C.median(m.ms))) };
  };
  const rows = [];
  for (const n of lengths) {
    for (const ch of [0, ...chunks]) {
      const a = agg(`${n}/${ch}`, 'a'), af = agg(`${n}/0`, 'a');
      const p = agg(`${n}/${ch}`, 'p'), pf = agg(`${n}/0`, 'p');
      const row = {
        N: n, attention: ch ? `chunked ${ch}` : 'full', 'B*H*N*N*4 MiB': ((batch * heads * n * n * 4) / 2 ** 20).toFixed(0),
        'addon peak MiB': a.mem.toFixed(1), 'addon fwd+bwd ms': a.ms.toFixed(0),
      };
      if (ch) {
        const memR = a.mem / af.mem, timeR = a.ms / af.ms;
        row['addon mem vs full'] = memR.toFixed(3);
        row['addon time vs full'] = timeR.toFixed(2) + 'x';
        if (n === TARGET.at) {
          row.target = 'mem <= 0.125, time <= 1.3x';
          row.result = memR <= TARGET.memory && timeR <= TARGET.time ? 'pass' : 'FAIL';
        }
      }
      if (p) {
        row['PyTorch peak MiB'] = p.mem.toFixed(1);
        row['PyTorch fwd+bwd ms'] = p.ms.toFixed(0);
        if (ch) {
          row['PyTorch mem vs full'] = (p.mem / pf.mem).toFixed(3);
          row['PyTorch time vs full'] = (p.ms / pf.ms).toFixed(2) + 'x';
        }
      }
      rows.push(row);
    }
  }
  const cols = ['N', 'attention', 'B*H*N*N*4 MiB', 'addon peak MiB', 'addon fwd+bwd ms', 'addon mem vs full', 'addon time vs full', 'target', 'result'];
  if (withPython) cols.push('PyTorch peak MiB', 'PyTorch fwd+bwd ms', 'PyTorch mem vs full', 'PyTorch time vs full');
  console.log('');
  console.log(C.table(rows, cols));
  console.log(`\nload average at end: ${C.loadavg()}`);
  if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify({ header, rows, raw: res }, null, 2));
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
