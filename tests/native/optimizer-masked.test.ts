/**
 * The optimizer's masked step (Optimizer::step(lrs, apply): the update is computed and committed
 * only where a 0-dim device bool holds, for CUDA without a host sync), exercised on CPU through
 * the core's test hook TRAIN_NATIVE_TEST_OPTIMIZER_MASK in a child process
 * (optimizer-masked-child.js): "apply" must equal the unmasked step bit for bit, "skip" must leave
 * parameters and moments bit-unchanged while the per-parameter step counts still advance.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import type { NativeSessionOptions } from '../../lib/native';
import { classificationBatch, describeNative } from './helpers';

type Snapshot = Record<string, string>;
interface ChildResult {
  plain: Snapshot;
  apply: Snapshot;
  mid: Snapshot;
  skipped: Snapshot;
  freshBefore: Snapshot;
  freshAfter: Snapshot;
}

/** A little-endian int64 entry's value, from its hex bytes. */
const int64 = (hex: string): bigint => Buffer.from(hex, 'hex').readBigInt64LE(0);
const isCount = (name: string): boolean => name.endsWith('.step') || name === '__step__';

function runChild(options: NativeSessionOptions): ChildResult {
  const batches = [0, 1, 2].map((i) => classificationBatch(16, 7, 5, 30 + i)).map((b) => ({
    batchSize: b.batchSize,
    features: Array.from(b.features as Float32Array),
    labels: Array.from(b.labels as Int32Array),
  }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optmask-'));
  try {
    const file = path.join(dir, 'case.json');
    fs.writeFileSync(file, JSON.stringify({ options, batches, lrs: { head: 0.01, default: 0.02 } }));
    const r = spawnSync(process.execPath, [path.join(__dirname, 'optimizer-masked-child.js'), file], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as ChildResult;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describeNative('masked optimizer step (test hook)', () => {
  it.each([
    ['adamw', false],
    ['sgd', true],
    ['sgd', false],
  ] as Array<['adamw' | 'sgd', boolean]>)('%s (nesterov %p): apply == unmasked bit for bit; skip changes no bit but counts the step', (name, nesterov) => {
    const r = runChild({
      model: { type: 'mlp', inputDim: 7, hiddenSizes: [33, 25], numClasses: 5 },
      optimizer: { name, weightDecay: 0.01, momentum: 0.9, nesterov },
      groups: [{ name: 'head', patterns: ['head.*'], weightDecay: 0 }],
      gradClip: 1.0,
      threads: 1,
      seed: 9,
    });
    expect(Object.keys(r.apply).sort()).toEqual(Object.keys(r.plain).sort());
    for (const [k, v] of Object.entries(r.plain)) expect([k, r.apply[k]]).toEqual([k, v]);
    // the unmasked run moved every parameter (so "unchanged" below means something)
    for (const k of Object.keys(r.mid)) if (!isCount(k) && !k.includes('.exp_avg') && !k.includes('.momentum')) expect([k, r.plain[k] !== r.mid[k]]).toEqual([k, true]);

    expect(Object.keys(r.skipped).sort()).toEqual(Object.keys(r.mid).sort());
    for (const [k, v] of Object.entries(r.mid)) {
      // the per-parameter counts advance on the host either way; so does the trainer's __step__
      if (isCount(k)) expect([k, int64(r.skipped[k])]).toEqual([k, int64(v) + 2n]);
      else expect([k, r.skipped[k]]).toEqual([k, v]);
    }
  });

  it('skip from the first step: no parameter moves (SGD buffers start at zero)', () => {
    const r = runChild({
      model: { type: 'mlp', inputDim: 7, hiddenSizes: [33], numClasses: 5 },
      optimizer: { name: 'sgd', weightDecay: 0.01, momentum: 0.9, nesterov: true },
      groups: [{ name: 'head', patterns: ['head.*'], weightDecay: 0 }],
      threads: 1,
      seed: 2,
    });
    for (const [k, v] of Object.entries(r.freshBefore)) if (!isCount(k)) expect([k, r.freshAfter[k]]).toEqual([k, v]);
    const buffers = Object.keys(r.freshAfter).filter((k) => k.endsWith('.momentum_buffer'));
    expect(buffers.length).toBeGreaterThan(0);
    for (const k of buffers) expect([k, /^0*$/.test(r.freshAfter[k])]).toEqual([k, true]);
  });
});
