/**
 * Predictions as files (`train-native predict --output`): CSV (`index,label,class_id,prob_<label>…`
 * for classification, `index,value_0…` for regression), JSON Lines (one object per sample), or
 * .npy (float32 [N, C] probabilities, or [N, O] values, NumPy format 1.0).
 */
import type { Prediction } from './model';

export type OutputFormat = 'csv' | 'jsonl' | 'npy';

export function outputFormatOf(file: string): OutputFormat | undefined {
  if (file.endsWith('.csv')) return 'csv';
  if (file.endsWith('.jsonl')) return 'jsonl';
  if (file.endsWith('.npy')) return 'npy';
  return undefined;
}

/** float32 values printed with the digits that round-trip a float32. */
function num(v: number): string {
  return String(Number(v.toPrecision(9)));
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function predictionsToCsv(preds: readonly Prediction[], labels: readonly string[] | undefined): string {
  const lines: string[] = [];
  if (labels !== undefined) {
    lines.push(['index', 'label', 'class_id', ...labels.map((l) => csvField(`prob_${l}`))].join(','));
    for (const p of preds) {
      if (!('classId' in p)) continue;
      lines.push([String(p.index), csvField(p.label), String(p.classId), ...Array.from(p.probabilities, num)].join(','));
    }
  } else {
    const width = preds.length > 0 && 'values' in preds[0] ? preds[0].values.length : 0;
    lines.push(['index', ...Array.from({ length: width }, (_, i) => `value_${i}`)].join(','));
    for (const p of preds) if ('values' in p) lines.push([String(p.index), ...Array.from(p.values, num)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

export function predictionsToJsonl(preds: readonly Prediction[]): string {
  return preds
    .map((p) =>
      JSON.stringify('classId' in p ? { index: p.index, label: p.label, class_id: p.classId, probabilities: Array.from(p.probabilities, (v) => Number(num(v))) } : { index: p.index, values: Array.from(p.values, (v) => Number(num(v))) }),
    )
    .map((l) => `${l}\n`)
    .join('');
}

/** NumPy .npy (format 1.0, little-endian float32 or int32, C order). */
export function encodeNpy(values: Float32Array | Int32Array, shape: readonly number[]): Buffer {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const descr = values instanceof Float32Array ? '<f4' : '<i4';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  // magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = Buffer.alloc(10 + header.length + values.byteLength);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(out, 10 + header.length);
  return out;
}

export function predictionsToNpy(preds: readonly Prediction[]): Buffer {
  const rows = preds.map((p) => ('classId' in p ? p.probabilities : p.values));
  const width = rows.length > 0 ? rows[0].length : 0;
  const values = new Float32Array(rows.length * width);
  rows.forEach((r, i) => values.set(r, i * width));
  return encodeNpy(values, [rows.length, width]);
}
