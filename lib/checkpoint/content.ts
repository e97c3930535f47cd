/**
 * Checkpoint content against the model it is about to be loaded into. A checkpoint can match its
 * manifest (every sha256 right) and still not fit: a tensor missing or extra, a shape or dtype
 * that differs, an optimizer file with no state although steps were done, an RNG state of another
 * size. These checks run before anything is loaded or any file of the run is changed, and each
 * returns the first problem as a phrase that names the file and the tensor.
 */
import { MODEL_FILE, OPTIMIZER_FILE } from './manifest';

/** What a tensor of the model looks like (the session's own state: name, dtype, shape). */
export interface TensorSpec {
  name: string;
  dtype: string;
  shape: readonly number[];
}

/** A checkpoint tensor as decoded (data only needed for scalars). */
export interface CheckedTensor extends TensorSpec {
  data: Uint8Array;
}

/** The optimizer state each updated parameter carries (lib/native's optimizer, names `<param>.<key>`). */
export interface OptimizerSpec {
  /** 'adamw' → exp_avg + exp_avg_sq; 'sgd' with momentum → momentum_buffer; plain sgd → none. */
  moments: readonly string[];
  /** Parameters the optimizer holds (name, dtype, shape). */
  parameters: readonly TensorSpec[];
}

/** The entry that holds the session's optimizer step count. */
export const OPTIMIZER_STEP_ENTRY = '__step__';

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

function duplicates(file: string, entries: readonly TensorSpec[]): string | null {
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) return `${file}: tensor '${e.name}' appears twice`;
    seen.add(e.name);
  }
  return null;
}

/**
 * model.safetensors holds exactly the model's tensors (those under `prefix`, when given: a stage-1
 * encoder loaded into a stage-2 model), each with the model's dtype and shape.
 */
export function checkModelContent(entries: readonly TensorSpec[], model: readonly TensorSpec[], prefix = ''): string | null {
  const dup = duplicates(MODEL_FILE, entries);
  if (dup) return dup;
  const wanted = new Map(model.filter((t) => t.name.startsWith(prefix)).map((t) => [t.name, t]));
  const given = entries.filter((e) => e.name.startsWith(prefix));
  for (const e of given) {
    const m = wanted.get(e.name);
    if (m === undefined) return `${MODEL_FILE}: tensor '${e.name}' is not in the model (a checkpoint of another model?)`;
    if (e.dtype !== m.dtype) return `${MODEL_FILE}: tensor '${e.name}' is ${e.dtype}, the model's is ${m.dtype}`;
    if (!sameShape(e.shape, m.shape)) return `${MODEL_FILE}: tensor '${e.name}' has shape ${shapeText(e.shape)}, the model's is ${shapeText(m.shape)}`;
  }
  const names = new Set(given.map((e) => e.name));
  const missing = [...wanted.keys()].filter((n) => !names.has(n));
  if (missing.length > 0) return `${MODEL_FILE}: ${missing.length === 1 ? 'tensor' : `${missing.length} tensors`} missing: '${missing.slice(0, 3).join("', '")}'${missing.length > 3 ? ', …' : ''}`;
  if (prefix !== '' && given.length === 0) return `${MODEL_FILE}: no tensor under '${prefix}'`;
  return null;
}

/** A little-endian integer scalar (I64 / I32), or undefined when the entry is not one. */
function intScalar(e: CheckedTensor): number | undefined {
  if (e.shape.length !== 0 && !(e.shape.length === 1 && e.shape[0] === 1)) return undefined;
  const view = new DataView(e.data.buffer, e.data.byteOffset, e.data.byteLength);
  if (e.dtype === 'I64' && e.data.byteLength === 8) {
    const v = view.getBigInt64(0, true);
    return v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : -1;
  }
  if (e.dtype === 'I32' && e.data.byteLength === 4) return view.getInt32(0, true);
  return undefined;
}

/**
 * optimizer.safetensors holds the session step count and, for each parameter it has updated, its
 * step count and every moment of the optimizer with the parameter's dtype and shape; nothing
 * else. A parameter never updated (frozen, or a head not trained yet) has no entries, but once
 * the session has applied updates some parameter must have state; an empty file is refused.
 */
export function checkOptimizerContent(entries: readonly CheckedTensor[], spec: OptimizerSpec, stepsDone: number): string | null {
  const dup = duplicates(OPTIMIZER_FILE, entries);
  if (dup) return dup;
  const byName = new Map(entries.map((e) => [e.name, e]));
  const counter = byName.get(OPTIMIZER_STEP_ENTRY);
  if (counter === undefined) {
    return entries.length === 0
      ? `${OPTIMIZER_FILE} holds no optimizer state (no tensors at all)`
      : `${OPTIMIZER_FILE}: the step count '${OPTIMIZER_STEP_ENTRY}' is missing`;
  }
  const sessionSteps = intScalar(counter);
  if (sessionSteps === undefined || sessionSteps < 0) return `${OPTIMIZER_FILE}: '${OPTIMIZER_STEP_ENTRY}' must be one non-negative integer`;
  const used = new Set([OPTIMIZER_STEP_ENTRY]);
  let updated = 0;
  for (const p of spec.parameters) {
    const stepEntry = byName.get(`${p.name}.step`);
    const present = [`${p.name}.step`, ...spec.moments.map((m) => `${p.name}.${m}`)].filter((n) => byName.has(n));
    if (stepEntry === undefined) {
      if (present.length > 0) return `${OPTIMIZER_FILE}: '${present[0]}' without '${p.name}.step'`;
      continue;
    }
    used.add(stepEntry.name);
    const n = intScalar(stepEntry);
    if (n === undefined || n < 1) return `${OPTIMIZER_FILE}: '${stepEntry.name}' must be one positive integer`;
    for (const m of spec.moments) {
      const name = `${p.name}.${m}`;
      const e = byName.get(name);
      if (e === undefined) return `${OPTIMIZER_FILE}: tensor '${name}' missing`;
      used.add(name);
      if (e.dtype !== p.dtype) return `${OPTIMIZER_FILE}: tensor '${name}' is ${e.dtype}, the parameter is ${p.dtype}`;
      if (!sameShape(e.shape, p.shape)) return `${OPTIMIZER_FILE}: tensor '${name}' has shape ${shapeText(e.shape)}, the parameter's is ${shapeText(p.shape)}`;
    }
    updated++;
  }
  const extra = entries.find((e) => !used.has(e.name));
  if (extra) return `${OPTIMIZER_FILE}: tensor '${extra.name}' belongs to no parameter of this model and optimizer`;
  if (stepsDone > 0 && sessionSteps > 0 && updated === 0 && spec.parameters.length > 0) {
    return `${OPTIMIZER_FILE} holds no parameter's state although ${stepsDone} steps were done`;
  }
  return null;
}

/** The RNG state is exactly as long as the session's generator state. */
export function checkRngContent(bytes: number, expected: number): string | null {
  return bytes === expected ? null : `trainer_state.json: the RNG state is ${bytes} bytes, this build's generator state is ${expected}`;
}
