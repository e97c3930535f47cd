/**
 * DATA.SOURCE csv: one file per split with a header row (lib/data/csv.ts parses it).
 *   LABELS (default `label`): the label column; for regression a comma list gives K targets.
 *     Classification labels are integers >= 0, or, when any label cell is not a number, names:
 *     class ids are then assigned in sorted (code-unit) order of the names seen in ALL splits, so
 *     train and validation agree; the names are kept as Dataset.classNames.
 *   GROUPS: optional group column for mixup: integers (>= 0, -1 or empty = no group), or names
 *     mapped to ids in sorted order like class names.
 *   Metadata: component NAME is the column `meta_NAME` (width 1) or the columns `meta_NAME_0`,
 *     `meta_NAME_1`, ... (width = their count, in file order).
 *   FEATURES: comma list of columns (default: every column that is not a label, group or
 *     metadata column). Every feature cell must be a finite number.
 * Not supported: line breaks inside quoted fields.
 */
import * as fs from 'fs';
import type { TrainNativeConfig } from '../../config/types';
import { ArrayDataset } from '../array-dataset';
import { parseCsv, type CsvTable } from '../csv';
import { DataError } from '../errors';
import { labelKindFor, metaLayout, packMeta } from './common';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

export interface CsvFile {
  /** Absolute path to read. */
  path: string;
  /** The path as the user wrote it (messages). */
  shown: string;
}

interface LoadedTable {
  file: CsvFile;
  table: CsvTable;
}

function columnIndex(t: LoadedTable, name: string, why: string): number {
  const k = t.table.header.indexOf(name);
  if (k < 0) throw new DataError(t.file.shown, `has no column '${name}' (${why}); columns: ${t.table.header.join(', ')}`);
  return k;
}

/** Parses a numeric column; the error names file line, column and cell. */
function numbers(t: LoadedTable, col: number, out: Float32Array, stride: number, offset: number, what: string): void {
  const name = t.table.header[col];
  t.table.rows.forEach((row, r) => {
    const cell = row[col];
    if (!NUMBER.test(cell)) {
      throw new DataError(t.file.shown, `line ${t.table.lines[r]}, column '${name}': ${JSON.stringify(cell)} is not a number; ${what} must be finite numbers`);
    }
    const v = Number(cell);
    if (!Number.isFinite(v)) throw new DataError(t.file.shown, `line ${t.table.lines[r]}, column '${name}': ${cell} is not finite`);
    out[r * stride + offset] = v;
  });
}

/** Sorted distinct names over every split, so ids agree between train and validation. */
function sortedNames(tables: readonly LoadedTable[], cols: readonly number[], skipEmpty: boolean): string[] {
  const names = new Set<string>();
  tables.forEach((t, i) => t.table.rows.forEach((row) => (skipEmpty && row[cols[i]] === '' ? undefined : names.add(row[cols[i]]))));
  return [...names].sort();
}

function metaColumnsOf(header: readonly string[], name: string): number[] {
  const single = header.indexOf(`meta_${name}`);
  const numbered = header.map((h, k) => (new RegExp(`^meta_${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_\\d+$`).test(h) ? k : -1)).filter((k) => k >= 0);
  if (single >= 0 && numbered.length > 0) return [-1]; // ambiguous: reported by the caller
  return single >= 0 ? [single] : numbered;
}

/** Loads one dataset per file (train first, then validation), with shared class and group ids. */
export function loadCsvFiles(files: readonly CsvFile[], config: TrainNativeConfig): ArrayDataset[] {
  const tables: LoadedTable[] = files.map((file) => {
    let text: string;
    try {
      text = fs.readFileSync(file.path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const looked = file.path !== file.shown ? ` (looked for ${file.path})` : '';
      throw new DataError(file.shown, code === 'ENOENT' ? `file not found${looked}; DATA.SOURCE csv needs TRAIN_PATH / VAL_PATH to be a .csv file` : `cannot read the file (${code ?? String(e)})`);
    }
    return { file, table: parseCsv(text, file.shown) };
  });

  const labelKind = labelKindFor(config);
  const labelNames = labelKind === 'none' ? [] : (config.DATA.LABELS ?? 'label').split(',').map((s) => s.trim());
  if (labelKind === 'class' && labelNames.length !== 1) {
    throw new DataError('DATA.LABELS', `classification needs one label column, got ${labelNames.length} (${labelNames.join(', ')})`);
  }
  const labelCols = tables.map((t) => labelNames.map((name) => columnIndex(t, name, config.DATA.LABELS ? 'DATA.LABELS names it' : 'the default label column; DATA.LABELS names another')));
  const groupCols = tables.map((t) => (config.DATA.GROUPS ? columnIndex(t, config.DATA.GROUPS, 'DATA.GROUPS names it') : -1));
  const metaCols = tables.map((t) =>
    config.DATA.META_COMPONENTS.map((name) => {
      const cols = metaColumnsOf(t.table.header, name);
      if (cols[0] === -1) throw new DataError(t.file.shown, `has both 'meta_${name}' and numbered 'meta_${name}_<i>' columns; use one form for metadata component ${name}`);
      if (cols.length === 0) throw new DataError(t.file.shown, `has no column 'meta_${name}' (or 'meta_${name}_0', 'meta_${name}_1', ...) for DATA.META_COMPONENTS entry ${name}`);
      return cols;
    }),
  );
  const featureCols = tables.map((t, i) => {
    if (config.DATA.FEATURES) {
      return config.DATA.FEATURES.split(',').map((s) => columnIndex(t, s.trim(), 'DATA.FEATURES lists it'));
    }
    const taken = new Set<number>([...labelCols[i], groupCols[i], ...metaCols[i].flat()]);
    return t.table.header.map((_, k) => k).filter((k) => !taken.has(k));
  });

  // Splits must agree on column names (so feature i means the same thing in both).
  tables.forEach((t, i) => {
    if (featureCols[i].length === 0) throw new DataError(t.file.shown, 'has no feature columns (every column is a label, group or metadata column)');
    if (i > 0) {
      const a = featureCols[0].map((k) => tables[0].table.header[k]).join(',');
      const b = featureCols[i].map((k) => t.table.header[k]).join(',');
      if (a !== b) throw new DataError(t.file.shown, `feature columns (${b}) differ from ${tables[0].file.shown}'s (${a})`);
      metaCols[i].forEach((cols, c) => {
        if (cols.length !== metaCols[0][c].length) {
          throw new DataError(t.file.shown, `metadata component ${config.DATA.META_COMPONENTS[c]} has ${cols.length} columns but ${metaCols[0][c].length} in ${tables[0].file.shown}`);
        }
      });
    }
  });

  // Class names: string mode as soon as any label cell (in any split) is not a number.
  let classNames: string[] | undefined;
  if (labelKind === 'class') {
    const anyName = tables.some((t, i) => t.table.rows.some((row) => !NUMBER.test(row[labelCols[i][0]])));
    if (anyName) classNames = sortedNames(tables, labelCols.map((c) => c[0]), false);
    if (classNames?.includes('')) {
      const i = tables.findIndex((t, j) => t.table.rows.some((row) => row[labelCols[j][0]] === ''));
      const r = tables[i].table.rows.findIndex((row) => row[labelCols[i][0]] === '');
      throw new DataError(tables[i].file.shown, `line ${tables[i].table.lines[r]}, column '${labelNames[0]}': empty label; every sample needs a class`);
    }
  }
  // Group names: as for classes, but an empty cell means "no group" (-1).
  let groupNames: string[] | undefined;
  if (config.DATA.GROUPS) {
    const anyName = tables.some((t, i) => t.table.rows.some((row) => row[groupCols[i]] !== '' && !INTEGER.test(row[groupCols[i]])));
    if (anyName) groupNames = sortedNames(tables, groupCols, true);
  }

  return tables.map((t, i) => {
    const n = t.table.rows.length;
    const fcols = featureCols[i];
    const features = new Float32Array(n * fcols.length);
    fcols.forEach((col, j) => numbers(t, col, features, fcols.length, j, 'feature cells'));

    let labels: Int32Array | Float32Array | undefined;
    if (labelKind === 'class') {
      const col = labelCols[i][0];
      const ids = new Int32Array(n);
      const index = new Map((classNames ?? []).map((name, k) => [name, k]));
      t.table.rows.forEach((row, r) => {
        const cell = row[col];
        if (classNames) {
          ids[r] = index.get(cell) as number;
          return;
        }
        if (!INTEGER.test(cell) || Number(cell) < 0) {
          throw new DataError(t.file.shown, `line ${t.table.lines[r]}, column '${labelNames[0]}': ${JSON.stringify(cell)} is not a class id; classification labels are integers >= 0 (or class names, when any label is not a number)`);
        }
        if (Number(cell) > 2147483647) throw new DataError(t.file.shown, `line ${t.table.lines[r]}, column '${labelNames[0]}': class id ${cell} is too large`);
        ids[r] = Number(cell);
      });
      labels = ids;
    } else if (labelKind === 'regression') {
      const k = labelCols[i].length;
      const y = new Float32Array(n * k);
      labelCols[i].forEach((col, j) => numbers(t, col, y, k, j, 'regression targets'));
      labels = y;
    }

    const metaParts = config.DATA.META_COMPONENTS.map((name, c) => ({ name, width: metaCols[i][c].length }));
    const metaComponents = metaLayout(metaParts);
    const metaColumns = metaCols[i].map((cols) => {
      const m = new Float32Array(n * cols.length);
      cols.forEach((col, j) => numbers(t, col, m, cols.length, j, 'metadata cells'));
      return m;
    });
    const meta = metaComponents.length > 0 ? packMeta(n, metaComponents, metaColumns) : undefined;

    let groups: Int32Array | undefined;
    if (config.DATA.GROUPS) {
      const col = groupCols[i];
      const index = new Map((groupNames ?? []).map((name, k) => [name, k]));
      groups = new Int32Array(n);
      const g = groups;
      t.table.rows.forEach((row, r) => {
        const cell = row[col];
        if (cell === '') g[r] = -1;
        else if (groupNames) g[r] = index.get(cell) as number;
        else {
          const v = Number(cell);
          if (v < -1 || v > 2147483647) throw new DataError(t.file.shown, `line ${t.table.lines[r]}, column '${config.DATA.GROUPS}': group id ${cell} is out of range; use integers >= 0, or -1 / empty for no group`);
          g[r] = v;
        }
      });
    }

    return new ArrayDataset({
      size: n,
      kind: 'features',
      width: fcols.length,
      features,
      labelKind,
      labels,
      outputDim: labelKind === 'regression' ? labelCols[i].length : undefined,
      numClasses: classNames ? classNames.length : undefined,
      classNames,
      featureNames: fcols.map((k) => t.table.header[k]),
      metaComponents,
      meta,
      groups,
    });
  });
}
