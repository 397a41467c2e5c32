/**
 * Colour scales for heatmaps: a domain (linear or logarithmic, [min, max]) and a ramp (a
 * 256-entry RGBA lookup table). One ColorScale object is meant to be shared by every variant's
 * heatmap of the same quantity, so equal colours mean equal numbers across variants.
 *
 * Domains are either fixed (given numbers) or windowed (taken from the most recent columns of
 * every variant, see windowDomain), never autoscaled over all time: early huge gradients would
 * otherwise make healthy later ones look vanished.
 */
import type { RGBA } from './theme';

export type ScaleKind = 'linear' | 'log';

export interface ScaleDomain {
  kind: ScaleKind;
  min: number;
  max: number;
}

/** A 256-entry colour lookup table (RGBA bytes). */
export class Ramp {
  private keyCache: string | null = null;
  constructor(readonly lut: Uint8ClampedArray) {}

  /** Identifies the colours (for redraw decisions): samples of the table. */
  get key(): string {
    if (this.keyCache === null) {
      const parts: number[] = [];
      for (let i = 0; i < 256; i += 15) parts.push(this.lut[i * 4]!, this.lut[i * 4 + 1]!, this.lut[i * 4 + 2]!, this.lut[i * 4 + 3]!);
      this.keyCache = parts.join(',');
    }
    return this.keyCache;
  }

  /** Evenly spaced stops, linearly interpolated in sRGB. */
  static fromStops(stops: readonly RGBA[]): Ramp {
    const lut = new Uint8ClampedArray(256 * 4);
    for (let i = 0; i < 256; i++) {
      const x = (i / 255) * (stops.length - 1);
      const k = Math.min(stops.length - 2, Math.floor(x));
      const f = x - k;
      const a = stops[k]!, b = stops[k + 1]!;
      for (let c = 0; c < 4; c++) lut[i * 4 + c] = a[c]! + (b[c]! - a[c]!) * f;
    }
    return new Ramp(lut);
  }

  /** Viridis (perceptually uniform, colour-blind safe, readable on light and dark backgrounds). */
  static viridis(): Ramp {
    return Ramp.fromStops(VIRIDIS);
  }

  /** From `low` (e.g. the editor background: "nothing") to `high` (a charts.* colour). */
  static between(low: RGBA, high: RGBA): Ramp {
    return Ramp.fromStops([low, high]);
  }

  /** CSS colour of position t in [0, 1]. */
  css(t: number): string {
    const i = Math.max(0, Math.min(255, Math.round(t * 255))) * 4;
    const l = this.lut;
    return `rgb(${l[i]}, ${l[i + 1]}, ${l[i + 2]})`;
  }
}

const VIRIDIS: RGBA[] = [
  [68, 1, 84, 255], [72, 40, 120, 255], [62, 74, 137, 255], [49, 104, 142, 255], [38, 130, 142, 255],
  [31, 158, 137, 255], [53, 183, 121, 255], [110, 206, 88, 255], [181, 222, 43, 255], [253, 231, 37, 255],
];

export interface Tick {
  value: number;
  /** position along the scale, 0..1 */
  t: number;
  text: string;
}

export class ColorScale {
  constructor(
    readonly domain: ScaleDomain,
    readonly ramp: Ramp,
    /** what the numbers are, e.g. "‖δ‖" */
    readonly label = '',
    /** colour of missing values (NaN, non-positive on a log scale) */
    readonly missing: RGBA = [128, 128, 128, 0],
  ) {}

  /** Position of v on the scale in [0, 1] (clamped), or null when v cannot be placed. */
  t(v: number): number | null {
    const { kind, min, max } = this.domain;
    if (!Number.isFinite(v)) return null;
    let t: number;
    if (kind === 'log') {
      if (v <= 0) return null;
      t = (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min));
    } else {
      t = (v - min) / (max - min);
    }
    if (!Number.isFinite(t)) t = 0.5; // min == max
    return t < 0 ? 0 : t > 1 ? 1 : t;
  }

  /** Write v's RGBA into out at offset. */
  write(v: number, out: Uint8ClampedArray, offset: number): void {
    const t = this.t(v);
    if (t === null) {
      out[offset] = this.missing[0];
      out[offset + 1] = this.missing[1];
      out[offset + 2] = this.missing[2];
      out[offset + 3] = this.missing[3];
      return;
    }
    const i = Math.round(t * 255) * 4;
    const l = this.ramp.lut;
    out[offset] = l[i]!;
    out[offset + 1] = l[i + 1]!;
    out[offset + 2] = l[i + 2]!;
    out[offset + 3] = l[i + 3]!;
  }

  rgba(v: number): RGBA {
    const o = new Uint8ClampedArray(4);
    this.write(v, o, 0);
    return [o[0]!, o[1]!, o[2]!, o[3]!];
  }

  /** Tick marks with their numbers: whole decades on a log scale, round numbers on a linear one. */
  ticks(maxTicks = 6): Tick[] {
    const { kind, min, max } = this.domain;
    const out: Tick[] = [];
    if (kind === 'log') {
      const lo = Math.ceil(Math.log10(min) - 1e-9), hi = Math.floor(Math.log10(max) + 1e-9);
      const step = Math.max(1, Math.ceil((hi - lo + 1) / maxTicks));
      for (let e = lo; e <= hi; e += step) {
        const value = 10 ** e;
        out.push({ value, t: this.t(value)!, text: formatDecade(e) });
      }
      if (!out.length) out.push({ value: min, t: 0, text: formatNumber(min) }, { value: max, t: 1, text: formatNumber(max) });
    } else {
      const step = niceStep((max - min) / Math.max(1, maxTicks - 1));
      for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) {
        const value = Math.abs(v) < step * 1e-9 ? 0 : v;
        out.push({ value, t: this.t(value)!, text: formatNumber(value) });
      }
    }
    return out;
  }

  /** Identifies how values map to colours: same key, same pixels. */
  get key(): string {
    const d = this.domain;
    return `${d.kind}|${d.min}|${d.max}|${this.ramp.key}|${this.missing.join(',')}`;
  }

  /** Same domain, another ramp or label. */
  with(over: { ramp?: Ramp; label?: string; missing?: RGBA; domain?: ScaleDomain }): ColorScale {
    return new ColorScale(over.domain ?? this.domain, over.ramp ?? this.ramp, over.label ?? this.label, over.missing ?? this.missing);
  }
}

function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
}

/** 10^e as text: 1e-3, 0.01, 0.1, 1, 10, 100, 1e3. */
export function formatDecade(e: number): string {
  if (e >= -2 && e <= 2) return String(10 ** e).replace(/(\.\d*?)0+$/, '$1');
  return `1e${e}`;
}

/** A number for people: 4 significant digits, exponent form when very small or large. */
export function formatNumber(v: number, digits = 4): string {
  if (v === 0) return '0';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(digits)));
}

export interface DomainOptions {
  kind: ScaleKind;
  /** round a log domain out to whole decades (default true) */
  decades?: boolean;
  /** minimum span of a log domain in decades (default 1) */
  minDecades?: number;
  /** used when no finite (positive, for log) value is given */
  fallback: [number, number];
}

/**
 * The domain spanning every finite value given (positive ones for a log scale), rounded out to
 * whole decades on a log scale. Feed it the recent window of every variant to get one windowed
 * domain shared across variants.
 */
export function domainOf(series: Iterable<ArrayLike<number>>, opts: DomainOptions): ScaleDomain {
  let lo = Infinity, hi = -Infinity;
  for (const arr of series) {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i]!;
      if (!Number.isFinite(v) || (opts.kind === 'log' && v <= 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo > hi) return { kind: opts.kind, min: opts.fallback[0], max: opts.fallback[1] };
  if (opts.kind === 'log') {
    let a = Math.log10(lo), b = Math.log10(hi);
    if (opts.decades !== false) {
      a = Math.floor(a + 1e-9);
      b = Math.ceil(b - 1e-9);
    }
    const minSpan = opts.minDecades ?? 1;
    if (b - a < minSpan) {
      const mid = (a + b) / 2;
      a = Math.floor(mid - minSpan / 2);
      b = a + Math.max(minSpan, Math.ceil(b - a));
    }
    return { kind: 'log', min: 10 ** a, max: 10 ** b };
  }
  if (lo === hi) return { kind: 'linear', min: lo - 0.5, max: hi + 0.5 };
  return { kind: 'linear', min: lo, max: hi };
}
