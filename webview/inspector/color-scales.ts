/** The inspector's colour scales, one per quantity shared by every variant, and the swatch that shows a value's colour. */
import type { VariantInspection } from '../../src/engine/inspect/inspect';
import { ColorScale, domainOf, Ramp, type ScaleDomain } from '../shared/colorscale';
import { gradientScale, saturationScale } from '../shared/scales';
import { parseColor, type RGBA } from '../shared/theme';
import { el } from './dom';
import { state, surface } from './state';

export interface Scales {
  sat: ColorScale;
  delta: ColorScale;
  gain: ColorScale;
}

export function scales(variants: VariantInspection[]): Scales {
  const { theme } = state;
  // the training panel's scales (webview/shared/scales.ts): a colour means the same number in both
  const bg = parseColor(surface());
  const sat = saturationScale(theme, surface());
  const deltas = variants.flatMap((v) => (v.layers ?? []).map((l) => l.delta));
  const dd: ScaleDomain = domainOf([deltas], { kind: 'log', fallback: [1e-4, 1] });
  const delta = gradientScale(dd, '‖δ‖', surface());
  // gain below 1: the signal shrinks (blue), above: it grows (red); 1 is "nothing happens"
  const mid: RGBA = parseColor(surface());
  const gain = new ColorScale({ kind: 'log', min: 1 / 16, max: 16 }, Ramp.fromStops([parseColor(theme.charts.blue), mid, parseColor(theme.charts.red)]), 'gain', bg);
  return { sat, delta, gain };
}

export function swatch(scale: ColorScale, v: number): HTMLElement {
  const s = el('span', 'swatch');
  const [r, g, b] = scale.rgba(v);
  s.style.backgroundColor = `rgb(${r}, ${g}, ${b})`;
  s.setAttribute('aria-hidden', 'true');
  return s;
}
