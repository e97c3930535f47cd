/**
 * A small CSV parser: comma-separated, first row is the header, fields may be double-quoted
 * ("" inside quotes is a literal quote; quoted fields may hold commas but not line breaks).
 * Blank lines are skipped. Each row keeps its 1-based file line for error messages.
 */
import { DataError } from './errors';

export interface CsvTable {
  header: string[];
  rows: string[][];
  /** rows[i] came from file line lines[i] (1-based; the header is line 1 unless blank lines precede it). */
  lines: number[];
}

function splitLine(line: string, where: string, lineNo: number): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new DataError(where, `line ${lineNo}: unterminated double-quoted field`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') throw new DataError(where, `line ${lineNo}: unexpected text after a closing double quote`);
    } else {
      const end = line.indexOf(',', i);
      field = end < 0 ? line.slice(i) : line.slice(i, end);
      i = end < 0 ? line.length : end;
    }
    fields.push(field.trim());
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

export function parseCsv(text: string, where: string): CsvTable {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // strip a UTF-8 byte-order mark
  const rawLines = body.split(/\r?\n/);
  let header: string[] | null = null;
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let k = 0; k < rawLines.length; k++) {
    if (rawLines[k].trim() === '') continue;
    const fields = splitLine(rawLines[k], where, k + 1);
    if (header === null) {
      header = fields;
      const seen = new Set<string>();
      for (const name of header) {
        if (name === '') throw new DataError(where, `line ${k + 1}: the header has an empty column name`);
        if (seen.has(name)) throw new DataError(where, `line ${k + 1}: column '${name}' appears twice in the header`);
        seen.add(name);
      }
      continue;
    }
    if (fields.length !== header.length) {
      throw new DataError(where, `line ${k + 1}: ${fields.length} fields but the header has ${header.length} columns`);
    }
    rows.push(fields);
    lines.push(k + 1);
  }
  if (header === null) throw new DataError(where, 'the file is empty; a csv source needs a header row and at least one data row');
  if (rows.length === 0) throw new DataError(where, 'the file has a header but no data rows');
  return { header, rows, lines };
}
