/**
 * Checkpoint content against the model (lib/checkpoint/content.ts) and trainer_state.json fields
 * (lib/train/state.ts): each case gives its exact problem, and a checkpoint as train-native writes
 * it passes.
 */
import { checkModelContent, checkOptimizerContent, checkRngContent, type CheckedTensor, type OptimizerSpec } from '../../lib/checkpoint/content';
import { trainerStateFitsSchedule, trainerStateProblem, type TrainerState } from '../../lib/train/state';
import { describeIoError, atPath } from '../../lib/checkpoint/io-error';

const f32 = (name: string, shape: readonly number[]): CheckedTensor => ({ name, dtype: 'F32', shape, data: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)) });
const i64 = (name: string, v: number): CheckedTensor => {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setBigInt64(0, BigInt(v), true);
  return { name, dtype: 'I64', shape: [], data };
};
const MODEL = [f32('layers.0.weight', [8, 4]), f32('layers.0.bias', [8]), f32('head.weight', [3, 8]), f32('head.bias', [3])];
const ADAMW: OptimizerSpec = { moments: ['exp_avg', 'exp_avg_sq'], parameters: MODEL };
const stateOf = (names: string[], steps = 5): CheckedTensor[] => [
  i64('__step__', steps),
  ...MODEL.filter((p) => names.includes(p.name)).flatMap((p) => [i64(`${p.name}.step`, steps), f32(`${p.name}.exp_avg`, p.shape), f32(`${p.name}.exp_avg_sq`, p.shape)]),
];

describe('checkModelContent', () => {
  test('the model itself passes; a missing, extra, mis-shaped, mis-typed or doubled tensor is named', () => {
    expect(checkModelContent(MODEL, MODEL)).toBeNull();
    expect(checkModelContent(MODEL.filter((t) => t.name !== 'head.bias'), MODEL)).toBe("model.safetensors: tensor missing: 'head.bias'");
    expect(checkModelContent(MODEL.slice(2), MODEL)).toBe("model.safetensors: 2 tensors missing: 'layers.0.weight', 'layers.0.bias'");
    expect(checkModelContent([...MODEL, f32('mlm_head.bias', [9])], MODEL)).toBe("model.safetensors: tensor 'mlm_head.bias' is not in the model (a checkpoint of another model?)");
    expect(checkModelContent([f32('layers.0.weight', [8, 5]), ...MODEL.slice(1)], MODEL)).toBe("model.safetensors: tensor 'layers.0.weight' has shape [8, 5], the model's is [8, 4]");
    expect(checkModelContent([{ ...MODEL[0], dtype: 'F16' }, ...MODEL.slice(1)], MODEL)).toBe("model.safetensors: tensor 'layers.0.weight' is F16, the model's is F32");
    expect(checkModelContent([...MODEL, MODEL[1]], MODEL)).toBe("model.safetensors: tensor 'layers.0.bias' appears twice");
  });

  test('with a prefix only the tensors under it count (a stage-1 encoder into a stage-2 model)', () => {
    const enc = [f32('encoder.embed.weight', [10, 4]), f32('mlm_head.weight', [10, 4])];
    const model = [f32('encoder.embed.weight', [10, 4]), f32('head.weight', [2, 4])];
    expect(checkModelContent(enc, model, 'encoder.')).toBeNull();
    expect(checkModelContent([f32('encoder.embed.weight', [11, 4])], model, 'encoder.')).toBe("model.safetensors: tensor 'encoder.embed.weight' has shape [11, 4], the model's is [10, 4]");
    expect(checkModelContent([f32('mlm_head.weight', [10, 4])], model, 'encoder.')).toBe("model.safetensors: tensor missing: 'encoder.embed.weight'");
  });
});

describe('checkOptimizerContent', () => {
  test('full state passes, and so does state for only the parameters updated so far', () => {
    expect(checkOptimizerContent(stateOf(MODEL.map((p) => p.name)), ADAMW, 5)).toBeNull();
    expect(checkOptimizerContent(stateOf(['head.weight', 'head.bias']), ADAMW, 5)).toBeNull();
    expect(checkOptimizerContent([i64('__step__', 0)], ADAMW, 0)).toBeNull();
  });

  test('an empty file, a missing counter, a missing moment, a bad shape or an unknown entry is refused', () => {
    const all = MODEL.map((p) => p.name);
    expect(checkOptimizerContent([], ADAMW, 5)).toBe('optimizer.safetensors holds no optimizer state (no tensors at all)');
    expect(checkOptimizerContent(stateOf(all).slice(1), ADAMW, 5)).toBe("optimizer.safetensors: the step count '__step__' is missing");
    expect(checkOptimizerContent([i64('__step__', 5)], ADAMW, 5)).toBe("optimizer.safetensors holds no parameter's state although 5 steps were done");
    expect(checkOptimizerContent(stateOf(all).filter((t) => t.name !== 'head.bias.exp_avg_sq'), ADAMW, 5)).toBe("optimizer.safetensors: tensor 'head.bias.exp_avg_sq' missing");
    expect(checkOptimizerContent(stateOf(all).filter((t) => t.name !== 'head.bias.step'), ADAMW, 5)).toBe("optimizer.safetensors: 'head.bias.exp_avg' without 'head.bias.step'");
    const misShaped = stateOf(all).map((t) => (t.name === 'head.weight.exp_avg' ? f32(t.name, [8, 3]) : t));
    expect(checkOptimizerContent(misShaped, ADAMW, 5)).toBe("optimizer.safetensors: tensor 'head.weight.exp_avg' has shape [8, 3], the parameter's is [3, 8]");
    expect(checkOptimizerContent([...stateOf(all), f32('head.weight.momentum_buffer', [3, 8])], ADAMW, 5)).toBe(
      "optimizer.safetensors: tensor 'head.weight.momentum_buffer' belongs to no parameter of this model and optimizer",
    );
    const badCount = stateOf(all).map((t) => (t.name === 'head.bias.step' ? f32(t.name, [2]) : t));
    expect(checkOptimizerContent(badCount, ADAMW, 5)).toBe("optimizer.safetensors: 'head.bias.step' must be one positive integer");
  });
});

test('checkRngContent: the generator state must have the session size', () => {
  expect(checkRngContent(5056, 5056)).toBeNull();
  expect(checkRngContent(100, 5056)).toBe("trainer_state.json: the RNG state is 100 bytes, this build's generator state is 5056");
});

/** A trainer state as LoopState.toTrainerState writes it. */
function goodState(): Record<string, unknown> {
  return {
    format: 1, step: 128, nextStep: 128, epoch: 3, stage: 'main', stageIndex: 0, totalSteps: 512,
    sampler: { epoch: 2, batch: 0 }, rng: { native: Buffer.alloc(16, 7).toString('base64') },
    plateau: null, plateauStage: -1,
    earlyStop: { best: 0.5, bestStep: 128, stopped: false, reason: null, code: null },
    logLoss: { sum: 1.5, count: 3 }, epochLoss: { sum: 10, count: 64 }, lastGradNorm: 0.7,
    metrics: { val_loss: 0.5, val_accuracy: null }, monitored: { name: 'val_loss', value: 0.5 },
    lrs: { default: 0.001 }, configHash: 'abc', stopReason: null, savedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('trainerStateProblem', () => {
  test('a written state passes', () => expect(trainerStateProblem(goodState())).toBeNull());

  test.each<[string, Record<string, unknown>, string]>([
    ['nextStep 1e300', { nextStep: 1e300 }, 'nextStep must be an integer from step 128 to totalSteps 512 (got 1e+300)'],
    ['nextStep behind step', { nextStep: 3 }, 'nextStep must be an integer from step 128 to totalSteps 512 (got 3)'],
    ['step a string', { step: '128' }, 'step must be an integer from 0 to totalSteps 512 (got "128")'],
    ['step fractional', { step: 1.5 }, 'step must be an integer from 0 to totalSteps 512 (got 1.5)'],
    ['totalSteps 0', { totalSteps: 0 }, 'totalSteps must be a positive integer (got 0)'],
    ['another format', { format: 2 }, 'format is 2, expected 1'],
    ['epoch 0', { epoch: 0 }, 'epoch must be a positive integer (got 0)'],
    ['rng not base64', { rng: { native: '***' } }, 'rng.native (the RNG state) must be base64 text'],
    ['rng missing', { rng: undefined }, 'rng.native (the RNG state) must be base64 text'],
    ['loss count negative', { logLoss: { sum: 0, count: -1 } }, 'logLoss.count must be a non-negative integer'],
    ['earlyStop missing', { earlyStop: undefined }, 'earlyStop is missing'],
    ['plateau lrs not numbers', { plateau: { best: null, numBadValidations: 0, cooldownCounter: 0, lrs: ['x'], validations: 0, reductions: 0 } }, 'plateau.lrs must be a list of learning rates'],
    ['metrics with a string', { metrics: { val_loss: 'low' } }, 'metrics must map names to numbers or null'],
  ])('%s', (_name, change, problem) => {
    expect(trainerStateProblem({ ...goodState(), ...change })).toBe(problem);
  });

  test('a valid state must also fit the schedule (stages, LR groups)', () => {
    const st = { ...goodState(), stageIndex: 1, plateauStage: 0, plateau: { best: null, numBadValidations: 0, cooldownCounter: 0, lrs: [0.1, 0.2], validations: 0, reductions: 0 } } as unknown as TrainerState;
    expect(trainerStateFitsSchedule(st, 2, 2)).toBeNull();
    expect(trainerStateFitsSchedule(st, 1, 2)).toBe("stageIndex 1 is past this schedule's 1 stage(s)");
    expect(trainerStateFitsSchedule(st, 2, 1)).toBe('the plateau state has 2 LR groups, this schedule has 1');
  });
});

describe('describeIoError', () => {
  const errno = (code: string, syscall: string, extra: Record<string, string> = {}) => Object.assign(new Error(`${code}: x`), { code, syscall, ...extra });
  test.each([
    [errno('ENOSPC', 'write'), '/r/metrics.jsonl', 'cannot write /r/metrics.jsonl: no space left on the device (ENOSPC)'],
    [errno('EACCES', 'open', { path: '/r/train.lock' }), undefined, 'cannot open /r/train.lock: permission denied (EACCES)'],
    [errno('ENOTDIR', 'mkdir', { path: '/etc/passwd/runs' }), undefined, 'cannot create the folder /etc/passwd/runs: a part of the path is a file, not a folder (ENOTDIR)'],
    [errno('EROFS', 'rename', { path: '/r/a', dest: '/r/b' }), undefined, 'cannot rename /r/a to /r/b: read-only file system (EROFS)'],
  ])('%#', (err, attach, text) => {
    if (attach) atPath(err, attach);
    expect(describeIoError(err)).toBe(text);
  });
  test('errors that are not the file system are not described', () => {
    expect(describeIoError(new Error('boom'))).toBeNull();
    expect(describeIoError(Object.assign(new Error('x'), { code: 'ERR_NATIVE_TORCH' }))).toBeNull();
  });
});
