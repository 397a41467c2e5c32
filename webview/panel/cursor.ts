/**
 * The cursor: the column a variant shows for the step under the mouse or keyboard (else the
 * latest), and hovering or moving over heatmap cells (tooltip, screen reader read-out).
 */
import type { Cell } from '../shared/heatmap';
import { gradientQuantity } from './color-scales';
import { live, tooltip } from './layout';
import type { ClientVariant } from './model';
import { scheduleRender } from './schedule';
import { state } from './state';
import type { HeatView } from './types';

export function cursorCol(v: ClientVariant): number {
  if (!v.store.count) return -1;
  if (state.cursor === null) return v.store.count - 1;
  return Math.max(0, v.store.columnOfStep(state.cursor.step));
}

export function fmtSteps(v: ClientVariant, c: number): string {
  const s = v.store.s;
  const a = s.stepFrom[c]!, b = s.step[c]!;
  const n = s.n[c]!;
  return a === b ? `step ${b} (epoch ${s.epoch[c]! + 1})` : `steps ${a}–${b} (epoch ${s.epoch[c]! + 1}, mean of ${n} records)`;
}

function cellText(vi: number, view: HeatView, cell: Cell): string[] {
  const v = state.run!.variants[vi]!;
  const meta = v.store.meta!;
  const c = cell.col;
  const lines = [`${v.meta.name} · ${view.kind === 'units' ? `${meta[view.layers[0]!]!.name}, unit ${cell.row}` : meta[view.layers[cell.row]!]!.name}`, fmtSteps(v, c)];
  if (view.kind === 'sat') {
    const x = v.store.layers[view.layers[cell.row]!]!.q.sat[c]!;
    lines.push(`saturation = ${Number.isFinite(x) ? x.toPrecision(6).replace(/\.?0+$/, '') : '–'}`);
  } else if (view.kind === 'grad') {
    const q = gradientQuantity();
    const x = v.store.layers[view.layers[cell.row]!]!.q[q][c]!;
    lines.push(`${q === 'delta' ? '‖δ‖' : '‖dW‖'} = ${Number.isFinite(x) ? x.toExponential(4) : String(x)}`);
  } else {
    const k = view.layers[0]!;
    const U = meta[k]!.units;
    const x = v.store.layers[k]!.units[c * U + cell.row]!;
    lines.push(`unit saturation = ${Number.isFinite(x) ? Number(x.toPrecision(6)).toString() : '–'}`);
  }
  const d = v.meta.divergence;
  if (d && c === v.store.count - 1) lines.push(`diverged at step ${d.step}: ${d.where}`);
  return lines;
}

export function onCell(vi: number, view: HeatView, cell: Cell | null, source: 'mouse' | 'keyboard'): void {
  if (!state.run || !cell) {
    tooltip.hide();
    if (state.cursor !== null) {
      state.cursor = null;
      scheduleRender();
    }
    return;
  }
  const v = state.run.variants[vi]!;
  const lines = cellText(vi, view, cell);
  const p = view.hm.cellCenter(cell);
  tooltip.show(lines, p.x, p.y);
  if (source === 'keyboard') live.textContent = lines.join(', ');
  state.cursor = { step: v.store.s.step[cell.col]!, variant: vi };
  scheduleRender();
}
