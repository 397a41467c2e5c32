/**
 * The colour scales both webviews use for the same quantity, in one place, so a colour means the
 * same number in the training panel and the side view:
 * - saturation: linear 0..1, from a faint tint of the background (measured, nothing saturated;
 *   the background itself means "no data") to charts.red;
 * - gradient norms (‖δ‖, ‖dW‖): logarithmic, viridis, missing values in the background colour.
 */
import { ColorScale, Ramp, type ScaleDomain } from './colorscale';
import { parseColor, type RGBA, type Theme } from './theme';

export const SATURATION_DOMAIN: ScaleDomain = { kind: 'linear', min: 0, max: 1 };

/** `background`: what the scale is drawn on (the editor, or the side bar for the side view). */
export function saturationScale(theme: Theme, background: string = theme.background): ColorScale {
  const bg = parseColor(background);
  const fg = parseColor(theme.foreground);
  const zero = [0, 1, 2].map((i) => Math.round(bg[i]! + (fg[i]! - bg[i]!) * (theme.highContrast ? 0.12 : 0.07))).concat(255) as RGBA;
  const hot = parseColor(theme.charts.red);
  return new ColorScale(SATURATION_DOMAIN, Ramp.between(zero, hot), 'saturation', bg);
}

/** A log-domain gradient-norm scale (viridis). */
export function gradientScale(domain: ScaleDomain, label: string, background: string): ColorScale {
  return new ColorScale(domain, Ramp.viridis(), label, parseColor(background));
}
