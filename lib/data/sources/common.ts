/**
 * Helpers shared by the file sources: which labels the model needs, finiteness checks, and
 * packing per-component metadata columns into one [N, metaDim] matrix.
 */
import type { TrainNativeConfig } from '../../config/types';
import { DataError } from '../errors';
import type { LabelKind, MetaComponent } from '../types';

/** The label kind MODEL asks for: gpt models language (no labels), otherwise MODEL.TASK decides. */
export function labelKindFor(config: TrainNativeConfig): LabelKind {
  if (config.MODEL.TYPE === 'gpt') return 'none';
  return config.MODEL.TASK === 'classification' ? 'class' : 'regression';
}

/** Throws naming the first NaN / Inf (row and column of a [*, width] array). */
export function checkFinite(values: Float32Array, width: number, where: string, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new DataError(where, `${what} contain ${values[i]} at sample ${Math.floor(i / width)}, column ${i % width}; every value must be finite`);
    }
  }
}

/** Class ids must be >= 0 (upper bound: MODEL.NUM_CLASSES, checked once both splits are loaded). */
export function checkClassIds(labels: Int32Array, where: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0) throw new DataError(where, `class labels must be >= 0, got ${labels[i]} at sample ${i}`);
  }
}

/** Group ids are >= 0, or -1 for a sample without a group. */
export function checkGroupIds(groups: Int32Array, where: string): void {
  for (let i = 0; i < groups.length; i++) {
    if (groups[i] < -1) throw new DataError(where, `group ids must be >= 0, or -1 for no group; got ${groups[i]} at sample ${i}`);
  }
}

/** Lays out named components side by side: offsets in DATA.META_COMPONENTS order. */
export function metaLayout(parts: readonly { name: string; width: number }[]): MetaComponent[] {
  let offset = 0;
  return parts.map((p) => {
    const c = { name: p.name, offset, width: p.width };
    offset += p.width;
    return c;
  });
}

/** Packs per-component [N, width] columns into one row-major [N, metaDim] matrix. */
export function packMeta(size: number, components: readonly MetaComponent[], columns: readonly Float32Array[]): Float32Array {
  const metaDim = components.reduce((s, c) => s + c.width, 0);
  const out = new Float32Array(size * metaDim);
  components.forEach((c, k) => {
    const src = columns[k];
    for (let n = 0; n < size; n++) out.set(src.subarray(n * c.width, (n + 1) * c.width), n * metaDim + c.offset);
  });
  return out;
}
