/**
 * StepPipeline (lib/train/pipeline.ts) against a recording session: steps are queued without
 * waiting, carry the step's indices and LRs, read the loss back only where a decision needs it
 * (the CUDA policy), come back in order, and a failed step is reported by next(), not as an
 * unhandled rejection.
 */
import { ArrayDataset } from '../../lib/data/array-dataset';
import { EpochSampler } from '../../lib/data/sampler';
import type { NativeSession, SessionBatch, StepOptions, StepResult } from '../../lib/native/types';
import { buildSchedule, EVENT } from '../../lib/schedule';
import { StepPipeline } from '../../lib/train/pipeline';
import { stepsConfig } from './helpers/make-config';

interface Call {
  batches: SessionBatch[];
  opts: StepOptions;
  settle: (r: StepResult | Error) => void;
}

function recordingSession(): { session: NativeSession; calls: Call[] } {
  const calls: Call[] = [];
  const session = {
    device: 'cuda:0',
    step: (batches: SessionBatch | SessionBatch[], opts: StepOptions) =>
      new Promise<StepResult>((resolve, reject) => {
        calls.push({ batches: Array.isArray(batches) ? batches : [batches], opts, settle: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
      }),
  } as unknown as NativeSession;
  return { session, calls };
}

const result = (step: number): StepResult => ({ loss: step / 10, gradNorm: 1, nonFinite: false, halted: false, stopAgreed: false, stopSkipped: false, step, timing: { unpackMs: 0, prepareMs: 0, computeMs: 0 } });

function setUp() {
  // 4 steps per epoch, 2 epochs; a LOG_STEP every 3 steps; validation and checkpoint at each epoch end.
  const config = stepsConfig(4, 2, { SCHEDULE: { METRICS: { STEP_INTERVAL: 3 } } });
  const schedule = buildSchedule(config);
  const data = new ArrayDataset({ size: 4, kind: 'features', width: 1, features: new Float32Array([0, 1, 2, 3]), labelKind: 'class', labels: new Int32Array(4), metaComponents: [] });
  const sampler = new EpochSampler({ size: 4, batchSize: 1, dropLast: true, seed: 42 });
  const { session, calls } = recordingSession();
  const pipeline = new StepPipeline({
    session,
    schedule,
    batchPlan: { config, schedule, data, sampler, maskTokenId: null },
    onNonFinite: 'halt',
    readEveryStep: false,
    readFlags: EVENT.LOG_STEP,
  });
  return { schedule, sampler, pipeline, calls };
}

describe('StepPipeline', () => {
  test('queues without waiting: indices, LRs and readbacks as the schedule says; results in order', async () => {
    const { schedule, sampler, pipeline, calls } = setUp();
    for (let k = 0; k < 4; k++) pipeline.queue(k, 'main', null, k === 3);
    expect(calls).toHaveLength(4); // all four submitted, none settled yet
    expect(pipeline.held).toBe(true);
    calls.forEach((c, k) => {
      expect(c.batches).toEqual([{ split: 'train', indices: sampler.batchIndices(0, k), objective: 'supervised' }]);
      expect(c.opts.lrs).toEqual({ default: schedule.lr(k) });
      expect(c.opts.onNonFinite).toBe('halt');
    });
    // Read back: step 3 (k = 2) logs; step 4 (k = 3) holds (the epoch's validation and checkpoint).
    expect(calls.map((c) => c.opts.readLoss)).toEqual([false, false, true, true]);
    calls.forEach((c, k) => c.settle(result(k + 1)));
    const done = [];
    while (pipeline.size > 0) done.push(await pipeline.next());
    expect(done.map((d) => [d.k, d.step, d.epoch, d.result.step])).toEqual([
      [0, 1, 1, 1],
      [1, 2, 1, 2],
      [2, 3, 1, 3],
      [3, 4, 1, 4],
    ]);
    expect(done[3].flags & (EVENT.VALIDATION | EVENT.CHECKPOINT | EVENT.EPOCH_END)).toBe(EVENT.VALIDATION | EVENT.CHECKPOINT | EVENT.EPOCH_END);
  });

  test('a failed step rejects next() and nothing else; discard waits for the rest', async () => {
    const { pipeline, calls } = setUp();
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      pipeline.queue(0, 'main', null, false);
      pipeline.queue(1, 'main', null, false);
      pipeline.queue(2, 'main', null, false);
      calls[0].settle(result(1));
      calls[1].settle(new Error('ERR_NATIVE_TORCH'));
      calls[2].settle(new Error('later'));
      await new Promise((r) => setImmediate(r));
      expect((await pipeline.next()).step).toBe(1);
      await expect(pipeline.next()).rejects.toThrow('ERR_NATIVE_TORCH');
      await pipeline.discard();
      expect(pipeline.size).toBe(0);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
