/**
 * Pictures of image data (digits 8×8, MNIST 28×28: Dataset.imageShape): test examples as
 * grey images, and first-layer units' weights as images on a diverging scale.
 *
 * Examples: each image's features scaled to 0..255 over its own range (min → 0, max → 255), so
 * raw pixels and standardized ones both show the digit.
 *
 * Weights: unit u of the first layer has one weight per input pixel (W row u, row-major over the
 * image). Each unit's weights are encoded as signed bytes on a scale symmetric around 0:
 *   byte = round(127 · w / s_u) + 128,  s_u = max |w| over the unit's weights (1 when all are 0)
 * so 128 is a zero weight, 1 is −s_u, 255 is +s_u; decodeWeight inverts it (to within s_u / 254).
 * The panel colours a byte on a diverging scale around 128; `scales` (the s_u) let it show every
 * unit on one shared scale too.
 */
import type { Network } from './network';
import type { Dataset } from './types';

/** first-layer units a live weight frame carries, at most (a page; the panel asks for others) */
export const WEIGHT_PAGE = 64;
/** units a report's weight frame carries, at most */
export const REPORT_WEIGHT_UNITS = 256;

/** The image side [height, width] of data whose features are one image's pixels, else null. */
export function imageShapeOf(data: Pick<Dataset, 'imageShape' | 'features'>): [number, number] | null {
  const s = data.imageShape;
  return s && s[0] * s[1] === data.features ? s : null;
}

/** Test examples `indices` of `data` as grey images, H·W bytes each, one after the other. */
export function exampleImages(data: Dataset, indices: readonly number[]): Uint8Array {
  const F = data.features, X = data.testX, out = new Uint8Array(indices.length * F);
  indices.forEach((idx, k) => {
    const row = X.subarray(idx * F, (idx + 1) * F);
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < F; i++) {
      const v = row[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const scale = hi > lo ? 255 / (hi - lo) : 0;
    for (let i = 0; i < F; i++) out[k * F + i] = Math.round((row[i]! - lo) * scale);
  });
  return out;
}

/** Units first..first+count of the first layer, encoded as above: `pixels` (count·inputs bytes) and `scales`. */
export interface WeightPictures {
  first: number;
  count: number;
  inputs: number;
  pixels: Uint8Array;
  scales: Float64Array;
}

/**
 * The first layer's weights of units [first, first + count) (clamped to the layer) into `into`
 * (made when absent or too small; reuse one to allocate nothing).
 */
export function weightPictures(net: Network, first: number, count: number, into?: WeightPictures): WeightPictures {
  const layer = net.layers[0]!;
  return weightRowsPictures(layer.W, layer.inSize, layer.outSize, first, count, into);
}

/**
 * weightPictures of a first layer given as `rows`: W's rows [from, from + rows.length / inputs)
 * of a layer of `units` units (all of W: from 0; a page read from disk: from its first unit).
 * Units [first, first + count) are encoded, clamped to the layer and to the rows given.
 */
export function weightRowsPictures(rows: ArrayLike<number>, inputs: number, units: number, first: number, count: number, into?: WeightPictures, from = 0): WeightPictures {
  const F = inputs, U = Math.min(units, from + Math.floor(rows.length / F));
  const f = Math.max(from, Math.min(first, U - 1)), n = Math.max(0, Math.min(count, U - f));
  const out = into && into.pixels.length >= n * F && into.scales.length >= n && into.inputs === F
    ? into
    : { first: f, count: n, inputs: F, pixels: new Uint8Array(n * F), scales: new Float64Array(n) };
  out.first = f;
  out.count = n;
  for (let u = 0; u < n; u++) {
    const off = (f - from + u) * F;
    let s = 0;
    for (let i = 0; i < F; i++) s = Math.max(s, Math.abs(rows[off + i]!));
    if (!(s > 0) || !Number.isFinite(s)) s = 1;
    out.scales[u] = s;
    const k = 127 / s;
    for (let i = 0; i < F; i++) out.pixels[u * F + i] = encodeWeight(rows[off + i]!, k);
  }
  return out;
}

/** One weight as a byte, k = 127 / s_u (non-finite weights as 128). */
export function encodeWeight(w: number, k: number): number {
  const v = Math.round(w * k);
  return Number.isFinite(v) ? Math.max(1, Math.min(255, v + 128)) : 128;
}

/** The weight a byte stands for, on scale s_u. */
export function decodeWeight(byte: number, scale: number): number {
  return ((byte - 128) * scale) / 127;
}
