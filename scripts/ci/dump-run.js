#!/usr/bin/env node
// node scripts/ci/dump-run.js RUN_DIR > run.json: a run directory's checkpoints and event files as
// this library's own readers return them (dist/checkpoint/safetensors, dist/logging), for
// scripts/ci/check_formats.py to compare with the reference implementations' view. Tensor bytes
// go as SHA-256 (little-endian, row-major: the bytes safetensors stores).
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { readSafetensorsFile } = require('../../dist/checkpoint/safetensors');
const { readEventFile } = require('../../dist/logging');

const runDir = path.resolve(process.argv[2]);
const checkpoints = {};
const ckRoot = path.join(runDir, 'checkpoints');
for (const name of fs.readdirSync(ckRoot).sort()) {
  const dir = path.join(ckRoot, name);
  if (!fs.statSync(dir).isDirectory()) continue;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort()) {
    const st = readSafetensorsFile(path.join(dir, file));
    const tensors = {};
    for (const t of st.tensors) {
      tensors[t.name] = { dtype: t.dtype, shape: t.shape, sha256: crypto.createHash('sha256').update(t.data).digest('hex') };
    }
    checkpoints[`${name}/${file}`] = { metadata: st.metadata ?? {}, tensors };
  }
}
const tbDir = path.join(runDir, 'tensorboard');
const eventFiles = fs.readdirSync(tbDir).filter((f) => f.includes('tfevents')).sort().map((f) => {
  const { events, truncated } = readEventFile(path.join(tbDir, f));
  return { file: f, truncated, events };
});
process.stdout.write(JSON.stringify({ runDir, checkpoints, eventFiles }) + '\n');
