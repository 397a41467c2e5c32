/**
 * The Experiment panel's data model, pure (no DOM): the table's columns and their sort, and the
 * heatmap of one metric over two axes of the grid, each cell the mean over the runs that fall in
 * it (seeds and any axis not shown) of those that have the metric.
 */
import type { ExperimentAxis, ExperimentMetric, ExperimentRow } from '../../src/shared/protocol';
import { runSecondsText } from '../../src/shared/format';

export interface Column {
  key: string;
  title: string;
  /** the value sorted by: numbers, text, or null (always last) */
  value(r: ExperimentRow): number | string | null;
  text(r: ExperimentRow): string;
  numeric: boolean;
}

const fixed = (x: number | null, digits = 3) => (x === null ? '–' : x.toFixed(digits));

export const METRICS: { key: ExperimentMetric; title: string; higherIsBetter: boolean }[] = [
  { key: 'testAccuracy', title: 'test accuracy', higherIsBetter: true },
  { key: 'testLoss', title: 'test loss', higherIsBetter: false },
  { key: 'trainAccuracy', title: 'train accuracy', higherIsBetter: true },
  { key: 'trainLoss', title: 'train loss', higherIsBetter: false },
  { key: 'deltaRatio', title: '‖δ1‖/‖δL‖ at init', higherIsBetter: true },
  { key: 'saturation', title: 'saturation at init', higherIsBetter: false },
  { key: 'seconds', title: 'time (s)', higherIsBetter: false },
];

export function metricValue(r: ExperimentRow, m: ExperimentMetric): number | null {
  const v = r[m];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The table's columns: run, variant and each swept field, seed, status, then the numbers. */
export function columns(axes: readonly ExperimentAxis[]): Column[] {
  const cols: Column[] = [{ key: 'name', title: 'run', value: (r) => r.index, text: (r) => r.name, numeric: false }];
  for (const a of axes) {
    if (a.name === 'seed') continue;
    if (a.name === 'variant') cols.push({ key: 'variant', title: 'variant', value: (r) => axisValueIndex(a, r), text: (r) => r.variant, numeric: false });
    else cols.push({ key: `sweep:${a.name}`, title: a.name, value: (r) => axisValueIndex(a, r), text: (r) => r.sweep[a.name] ?? '', numeric: false });
  }
  if (axes.some((a) => a.name === 'seed')) cols.push({ key: 'seed', title: 'seed', value: (r) => r.seed, text: (r) => String(r.seed), numeric: true });
  cols.push({ key: 'status', title: 'status', value: (r) => r.status, text: (r) => r.status, numeric: false });
  cols.push({ key: 'diverged', title: 'diverged', value: (r) => (r.diverged ? 1 : 0), text: (r) => (r.diverged ? 'yes' : 'no'), numeric: false });
  for (const m of METRICS) {
    const text = m.key === 'deltaRatio' ? ratioText : m.key === 'seconds' ? secondsText : (x: number | null) => fixed(x, 3);
    cols.push({ key: m.key, title: m.title, value: (r) => metricValue(r, m.key), text: (r) => text(metricValue(r, m.key)), numeric: true });
  }
  return cols;
}

function secondsText(x: number | null): string {
  return x === null ? '–' : runSecondsText(x);
}

function ratioText(x: number | null): string {
  if (x === null) return '–';
  return x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4) ? x.toExponential(2) : x.toPrecision(3);
}

/** The value's position on an axis (its order in the grid), for sorting by a swept field. */
function axisValueIndex(a: ExperimentAxis, r: ExperimentRow): number | string | null {
  const v = axisValue(a.name, r);
  if (v === null) return null;
  const i = a.values.indexOf(v);
  return i >= 0 ? i : v;
}

/** A row's value on an axis, as text. */
export function axisValue(axis: string, r: ExperimentRow): string | null {
  if (axis === 'variant') return r.variant;
  if (axis === 'seed') return String(r.seed);
  return r.sweep[axis] ?? null;
}

/**
 * The rows sorted by a column (stable; ties keep the grid's order). Missing values go last in
 * either direction.
 */
export function sortRows(rows: readonly ExperimentRow[], col: Column, descending: boolean): ExperimentRow[] {
  const keyed = rows.map((r) => ({ r, v: col.value(r) }));
  keyed.sort((a, b) => {
    if (a.v === null || b.v === null) return a.v === null && b.v === null ? a.r.index - b.r.index : a.v === null ? 1 : -1;
    let c: number;
    if (typeof a.v === 'number' && typeof b.v === 'number') c = a.v - b.v;
    else c = String(a.v).localeCompare(String(b.v));
    if (descending) c = -c;
    return c || a.r.index - b.r.index;
  });
  return keyed.map((k) => k.r);
}

export interface HeatCell {
  x: number;
  y: number;
  /** mean over the runs with the metric; null when none has it */
  mean: number | null;
  /** runs with the metric / runs in the cell */
  n: number;
  total: number;
  min: number | null;
  max: number | null;
  rows: ExperimentRow[];
}

export interface HeatGrid {
  xAxis: ExperimentAxis;
  /** null: one row (a grid with one axis) */
  yAxis: ExperimentAxis | null;
  cells: HeatCell[];
  /** cells[y * width + x] */
  width: number;
  height: number;
  /** over the cells' means */
  min: number | null;
  max: number | null;
}

/** The heatmap of `metric` over axes x and y (y null or equal to x: one row). */
export function heatGrid(rows: readonly ExperimentRow[], axes: readonly ExperimentAxis[], metric: ExperimentMetric, x: string, y: string | null): HeatGrid | null {
  const xAxis = axes.find((a) => a.name === x);
  if (!xAxis) return null;
  const yAxis = y && y !== x ? axes.find((a) => a.name === y) ?? null : null;
  const width = xAxis.values.length, height = yAxis ? yAxis.values.length : 1;
  const cells: HeatCell[] = [];
  for (let j = 0; j < height; j++) for (let i = 0; i < width; i++) cells.push({ x: i, y: j, mean: null, n: 0, total: 0, min: null, max: null, rows: [] });
  const sums = new Float64Array(cells.length);
  for (const r of rows) {
    const i = xAxis.values.indexOf(axisValue(xAxis.name, r) ?? '');
    const j = yAxis ? yAxis.values.indexOf(axisValue(yAxis.name, r) ?? '') : 0;
    if (i < 0 || j < 0) continue;
    const c = cells[j * width + i]!;
    c.total++;
    c.rows.push(r);
    const v = metricValue(r, metric);
    if (v === null) continue;
    c.n++;
    sums[j * width + i]! += v;
    c.min = c.min === null ? v : Math.min(c.min, v);
    c.max = c.max === null ? v : Math.max(c.max, v);
  }
  let min: number | null = null, max: number | null = null;
  cells.forEach((c, k) => {
    if (!c.n) return;
    c.mean = sums[k]! / c.n;
    min = min === null ? c.mean : Math.min(min, c.mean);
    max = max === null ? c.mean : Math.max(max, c.mean);
  });
  return { xAxis, yAxis, cells, width, height, min, max };
}

/** The default heatmap axes: the first two axes that are not seeds (else whatever there is). */
export function defaultAxes(axes: readonly ExperimentAxis[]): { x: string | null; y: string | null } {
  const main = axes.filter((a) => a.name !== 'seed');
  const pool = main.length ? main : axes;
  return { x: pool[0]?.name ?? null, y: pool[1]?.name ?? null };
}

/** Progress: runs ended (any final status) of all, and the names of those running. */
export function progress(rows: readonly ExperimentRow[]): { done: number; total: number; running: string[]; completed: number } {
  const ended = (s: string) => s !== 'pending' && s !== 'running';
  return {
    done: rows.filter((r) => ended(r.status)).length,
    total: rows.length,
    completed: rows.filter((r) => r.status === 'completed').length,
    running: rows.filter((r) => r.status === 'running').map((r) => r.name),
  };
}
