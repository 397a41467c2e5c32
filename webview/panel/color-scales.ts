/**
 * The panel's colour scales: saturation (shared with the side view) and the gradient quantity
 * chosen (‖δ‖ or ‖dW‖) on a log scale shared by all variants, over recent columns or fixed.
 */
import type { LayerQuantity } from '../../src/shared/columns';
import { ColorScale, domainOf, Ramp, type ScaleDomain } from '../shared/colorscale';
import { saturationScale as sharedSaturationScale } from '../shared/scales';
import { parseColor } from '../shared/theme';
import type { ClientRun } from './model';
import { state, ui } from './state';

export function gradientQuantity(): LayerQuantity {
  return ui.gradient === 'gradW' ? 'gradW' : 'delta';
}

export function scaleMode(): 'window' | 'fixed' {
  return ui.scale ?? state.run?.settings.gradientScale ?? 'window';
}

export function gradientScale(r: ClientRun): { scale: ColorScale; note: string } {
  const q = gradientQuantity();
  const label = q === 'delta' ? '‖δ‖' : '‖dW‖';
  const [lo, hi] = r.settings.gradientDomain;
  let domain: ScaleDomain;
  let note: string;
  if (scaleMode() === 'fixed') {
    domain = { kind: 'log', min: lo, max: hi };
    note = 'fixed';
  } else {
    const W = r.settings.colorWindow;
    const series: Float64Array[] = [];
    for (const v of r.variants) {
      const n = v.store.count;
      for (const L of v.store.layers) series.push(L.q[q].subarray(Math.max(0, n - W), n));
    }
    domain = domainOf(series, { kind: 'log', fallback: [lo, hi] });
    note = `all variants, last ${W} columns`;
  }
  const missing = parseColor(state.theme.background);
  return { scale: new ColorScale(domain, Ramp.viridis(), label, missing), note };
}

export function saturationScale(): ColorScale {
  // shared with the side view (zero is a faint tint of the background: recorded, nothing saturated)
  return sharedSaturationScale(state.theme);
}
