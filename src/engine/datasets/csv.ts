/**
 * The user's CSV: a header row, one label column chosen by name, every other column a numeric
 * feature. Labels (class names or integers) become class indices in sorted order of the distinct
 * values (numbers numerically, strings by code unit). Accepts CRLF, quoted fields ("" escapes a
 * quote) and blank lines. Every problem throws an InputError carrying the file, the 1-based line
 * and column where it is; the message names the CSV column.
 */
import { InputError, quote } from '../types';

/** More distinct labels than this and the label column does not look categorical. */
export const MAX_CSV_CLASSES = 100;

export interface ParsedCsv {
  rows: number;
  features: number;
  /** row-major, rows * features */
  X: Float32Array;
  y: Int32Array;
  classes: number;
  classNames: string[];
  featureNames: string[];
}

/** A number as written in a CSV cell: 12, -3.5, .5, 1e-3 (no NaN, Infinity, hex or blanks). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/** One record: its fields (trimmed unless quoted) and where each field starts. */
interface Row {
  fields: string[];
  lines: number[];
  cols: number[];
}

/**
 * Calls onRow for every record that is not a blank line. `row` is reused between calls.
 * Line numbers count every line of the text, blank or not, 1-based.
 */
function forEachRow(text: string, file: string, onRow: (row: Row) => void): void {
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = i;
  const row: Row = { fields: [], lines: [], cols: [] };
  while (i < n) {
    row.fields.length = 0;
    row.lines.length = 0;
    row.cols.length = 0;
    let quoted = false;
    for (;;) {
      let j = i;
      while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
      if (j < n && text.charCodeAt(j) === 34) {
        quoted = true;
        row.lines.push(line);
        row.cols.push(j - lineStart + 1);
        const openLine = line;
        const openCol = j - lineStart + 1;
        let value = '';
        let seg = ++j;
        for (;;) {
          if (j >= n) throw new InputError('a quoted field is never closed (missing ")', file, openLine, openCol);
          const c = text.charCodeAt(j);
          if (c === 34) {
            value += text.slice(seg, j);
            if (text.charCodeAt(j + 1) === 34) {
              value += '"';
              j += 2;
              seg = j;
              continue;
            }
            j++;
            break;
          }
          if (c === 10) {
            line++;
            lineStart = j + 1;
          }
          j++;
        }
        while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
        row.fields.push(value);
        i = j;
      } else {
        row.lines.push(line);
        row.cols.push(i - lineStart + 1);
        let k = i;
        while (k < n) {
          const c = text.charCodeAt(k);
          if (c === 44 || c === 10 || c === 13) break;
          k++;
        }
        row.fields.push(text.slice(i, k).trim());
        i = k;
      }
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === 44) {
        i++;
        continue;
      }
      if (c === 13 || c === 10) {
        i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
        line++;
        lineStart = i;
        break;
      }
      throw new InputError(`unexpected ${quote(text[i]!)} after a closing quote (expected , or the end of the line)`, file, line, i - lineStart + 1);
    }
    if (row.fields.length === 1 && row.fields[0] === '' && !quoted) continue; // blank line
    onRow(row);
  }
}

/** Parses the CSV text of `file` (the path as the user wrote it, for messages). */
export function parseCsv(text: string, labelColumn: string, file: string): ParsedCsv {
  let header: string[] | undefined;
  let labelIndex = -1;
  let labelAt: [number, number] = [1, 1]; // line, column of the label's header cell
  let features = 0;
  let rows = 0;
  let X = new Float32Array(1024);
  const labels: string[] = [];
  const labelLines: number[] = [];

  forEachRow(text, file, (row) => {
    const f = row.fields;
    if (!header) {
      header = f.slice();
      const seen = new Set<string>();
      header.forEach((name, c) => {
        if (name === '') throw new InputError(`the header names no column ${c + 1}`, file, row.lines[c], row.cols[c]);
        if (seen.has(name)) throw new InputError(`the header names column ${quote(name)} twice`, file, row.lines[c], row.cols[c]);
        seen.add(name);
      });
      labelIndex = header.indexOf(labelColumn);
      if (labelIndex < 0) {
        const near = header.find((h) => h.toLowerCase() === labelColumn.toLowerCase());
        throw new InputError(
          `no column named ${quote(labelColumn)} for the label (dataset.label)` +
            (near ? `; did you mean ${quote(near)}?` : '') +
            ` The columns are: ${header.slice(0, 20).map((h) => quote(h)).join(', ')}${header.length > 20 ? ` and ${header.length - 20} more` : ''}`,
          file,
          row.lines[0],
          1,
        );
      }
      labelAt = [row.lines[labelIndex]!, row.cols[labelIndex]!];
      features = header.length - 1;
      if (features === 0) {
        throw new InputError(`there are no feature columns: only the label column ${quote(labelColumn)}`, file, row.lines[0], 1);
      }
      return;
    }
    if (f.length !== header.length) {
      throw new InputError(
        `expected ${header.length} fields as in the header, found ${f.length}`,
        file,
        row.lines[0],
        1,
      );
    }
    if ((rows + 1) * features > X.length) {
      const bigger = new Float32Array(X.length * 2);
      bigger.set(X);
      X = bigger;
    }
    let o = rows * features;
    for (let c = 0; c < f.length; c++) {
      const cell = f[c]!;
      const name = header[c]!;
      if (cell === '') throw new InputError(`column ${quote(name)} is empty`, file, row.lines[c], row.cols[c]);
      if (c === labelIndex) {
        labels.push(cell);
        labelLines.push(row.lines[c]!);
        continue;
      }
      if (!NUMBER.test(cell)) {
        const why = NON_FINITE.test(cell)
          ? 'is not a finite number (NaN and Infinity are not allowed)'
          : `is not a number (every column except the label ${quote(labelColumn)} must be numeric)`;
        throw new InputError(`column ${quote(name)}: ${quote(cell)} ${why}`, file, row.lines[c], row.cols[c]);
      }
      const v = Math.fround(Number(cell));
      if (!Number.isFinite(v)) {
        throw new InputError(`column ${quote(name)}: ${quote(cell)} is too large for a 32-bit float`, file, row.lines[c], row.cols[c]);
      }
      X[o++] = v;
    }
    rows++;
  });

  if (!header) throw new InputError('the CSV file is empty', file);
  if (rows === 0) throw new InputError('the CSV file has a header but no data rows', file, labelAt[0], 1);

  const { y, classNames } = labelsToClasses(labels, labelLines, labelColumn, file, labelAt);
  return {
    rows,
    features,
    X: X.slice(0, rows * features),
    y,
    classes: classNames.length,
    classNames,
    featureNames: header.filter((_, c) => c !== labelIndex),
  };
}

/** Distinct label values -> class indices in sorted order (numbers numerically). */
function labelsToClasses(
  labels: string[],
  lines: number[],
  column: string,
  file: string,
  at: [number, number],
): { y: Int32Array; classNames: string[] } {
  const distinct = new Map<string, number>(); // value -> first row index
  labels.forEach((v, i) => {
    if (!distinct.has(v)) distinct.set(v, i);
  });
  const values = [...distinct.keys()];
  const numeric = values.every((v) => NUMBER.test(v));
  let key: (v: string) => string = (v) => v;
  let names: string[];
  if (numeric) {
    const fractional = values.find((v) => !Number.isInteger(Number(v)));
    if (fractional !== undefined) {
      throw new InputError(
        `label column ${quote(column)} does not look categorical: ${quote(fractional)} is not an integer. ` +
          `Labels must be class names or integer class numbers.`,
        file,
        lines[distinct.get(fractional)!],
      );
    }
    key = (v) => String(Number(v)); // "01", "1" and "1.0" are one class
    names = [...new Set(values.map(key))].sort((a, b) => Number(a) - Number(b));
  } else {
    names = values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  if (names.length > MAX_CSV_CLASSES) {
    throw new InputError(
      `label column ${quote(column)} has ${names.length} distinct values; it does not look categorical ` +
        `(at most ${MAX_CSV_CLASSES} classes are allowed)`,
      file,
      ...at,
    );
  }
  if (names.length < 2) {
    throw new InputError(
      `label column ${quote(column)} has only one distinct value (${quote(names[0]!)}); a classifier needs at least 2 classes`,
      file,
      ...at,
    );
  }
  const index = new Map(names.map((name, c) => [name, c]));
  const y = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) y[i] = index.get(key(labels[i]!))!;
  return { y, classNames: names };
}
