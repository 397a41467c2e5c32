/** Numbers and settings as the inspector writes them: percentages, counts, sizes, gains, a variant's init and activation. */
import type { VariantInspection } from '../../src/engine/inspect/inspect';
import { formatNumber } from '../shared/colorscale';

export const pct = (x: number | null | undefined): string => (x == null || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(x > 0 && x < 0.01 ? 1 : 0)}%`);
export const num = (x: number | null | undefined, digits = 3): string => (x == null || !Number.isFinite(x) ? '–' : formatNumber(x, digits));
/** 13130 -> "13,130" (toLocaleString is slow enough to show in a profile) */
export const int = (x: number): string => String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 2 : 1)} MB`;
}

/** a layer's gain: 0.219 -> "1/4.6", 0.05147 -> "1/19", 1.3 -> "×1.30" */
export function gainText(g: number): string {
  if (!Number.isFinite(g)) return '–';
  if (g >= 1) return `×${g < 10 ? g.toFixed(2) : g.toFixed(0)}`;
  const inv = 1 / g;
  return inv < 1.25 ? `×${g.toFixed(2)}` : `1/${inv < 10 ? inv.toFixed(1) : inv.toFixed(0)}`;
}

export function initText(v: VariantInspection): string {
  const i = v.init;
  const scheme = i.scheme === 'normal' ? `normal(${i.std})` : i.scheme === 'uniform' ? `uniform(±${i.limit})` : i.scheme;
  return i.bias ? `${scheme}, bias ${i.bias}` : scheme;
}

export function activationText(v: VariantInspection): string {
  const a = v.activation;
  return a.every((x) => x === a[0]) ? (a[0] ?? '') : a.join('/');
}
