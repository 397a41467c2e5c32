/**
 * Decision regions of a classifier on 2-feature data: the predicted class and its confidence over
 * a G×G grid of the data's plane, and, for one hidden layer, each unit's activation over a coarser
 * grid of the same plane (TensorFlow Playground's neuron pictures). Evaluated with the engine's own
 * forward pass on a network of its own (the same shape and kernels as the trained one, its
 * parameters copied in before each evaluation), so evaluating never touches the training
 * network's buffers and changes nothing of a run. Every buffer is sized once: an evaluation
 * allocates nothing.
 *
 * Grid cell (i, j), column i from the left and row j from the top, is the point
 * x = x0 + (i + ½)(x1 − x0)/G, y = y1 − (j + ½)(y1 − y0)/G (pointOf). A thumbnail of size T = G/s
 * samples every s-th cell: thumbnail pixel (ti, tj) is grid cell (ti·s + s/2, tj·s + s/2).
 */
import { isSaturated } from './activations';
import { Network } from './network';
import type { Dataset, HiddenActivation } from './types';

/** The plane shown: the data's feature ranges, padded. */
export interface PlaneBounds {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

export const REGION_GRID = 128;
/** the most units a thumbnail strip shows (the first of a wider layer) */
export const MAX_THUMB_UNITS = 128;
/** rows of the grid per forward pass */
const CHUNK_ROWS = 4;

/** The data's plane: its two features' ranges over the training and test splits, padded by 8%. */
export function planeOf(data: Dataset): PlaneBounds | null {
  if (data.features !== 2) return null;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const X of [data.trainX, data.testX]) {
    for (let i = 0; i + 1 < X.length; i += 2) {
      const x = X[i]!, y = X[i + 1]!;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (!Number.isFinite(x0) || !Number.isFinite(y0)) return { x0: -1, x1: 1, y0: -1, y1: 1 };
  const px = Math.max((x1 - x0) * 0.08, 1e-3), py = Math.max((y1 - y0) * 0.08, 1e-3);
  return { x0: x0 - px, x1: x1 + px, y0: y0 - py, y1: y1 + py };
}

/** Thumbnail side for a layer of `units` units: 32 px up to 32 units, else 16. */
export function thumbSize(units: number, grid = REGION_GRID): number {
  return Math.min(grid, units <= 32 ? 32 : 16);
}

export class RegionProbe {
  /** per cell (row-major from the top left): [class, confidence 0..255] */
  readonly grid: Uint8Array;
  /** per thumbnail unit, T×T activations quantized over [lo, hi] to 0..255 (the first units·T·T bytes) */
  readonly thumbs: Uint8Array;
  /** the layer of the last thumbnails (-1: none), their units, side, and the activation range they are quantized over */
  thumbLayer = -1;
  thumbUnits = 0;
  thumbSide = 0;
  readonly range = new Float64Array(2);
  /** how many evaluations ran */
  evaluations = 0;
  readonly classes: number;
  private readonly net: Network;
  private readonly raw: Float32Array;
  private readonly xs: Float64Array;
  private readonly ys: Float64Array;

  constructor(private readonly source: Network, readonly bounds: PlaneBounds, readonly size = REGION_GRID) {
    if (source.sizes[0] !== 2) throw new Error('decision regions need 2 input features');
    if (size % 32 !== 0) throw new Error('the region grid is a multiple of 32 cells');
    const spec = { sizes: source.sizes, hidden: source.hidden, output: source.output, leakyReluSlope: source.slope };
    const kernel = source.kernelPath === 'typescript-f64' ? undefined : source.kernelPath;
    this.net = new Network(spec, size * CHUNK_ROWS, source.dtype, kernel, { threads: 1, split: false, optimizer: 'sgd' });
    const L = source.sizes.length - 1;
    this.classes = source.output === 'sigmoid' ? 2 : source.sizes[L]!;
    this.grid = new Uint8Array(size * size * 2);
    let widest = 0;
    for (let k = 1; k < L; k++) widest = Math.max(widest, Math.min(source.sizes[k]!, MAX_THUMB_UNITS));
    const T = thumbSize(1, size);
    this.raw = new Float32Array(widest * T * T);
    this.thumbs = new Uint8Array(widest * T * T);
    this.xs = new Float64Array(size);
    this.ys = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      this.xs[i] = bounds.x0 + ((i + 0.5) * (bounds.x1 - bounds.x0)) / size;
      this.ys[i] = bounds.y1 - ((i + 0.5) * (bounds.y1 - bounds.y0)) / size;
    }
  }

  /** The plane point of grid cell (i, j) as the evaluation feeds it (float32 rounding aside). */
  pointOf(i: number, j: number): [number, number] {
    return [this.xs[i]!, this.ys[j]!];
  }

  /** The grid cell a plane point falls in (clamped to the grid). */
  cellOf(x: number, y: number): [number, number] {
    const b = this.bounds, G = this.size;
    const i = Math.min(G - 1, Math.max(0, Math.floor(((x - b.x0) / (b.x1 - b.x0)) * G)));
    const j = Math.min(G - 1, Math.max(0, Math.floor(((b.y1 - y) / (b.y1 - b.y0)) * G)));
    return [i, j];
  }

  /**
   * Evaluate the source network's current weights over the grid; with layer ≥ 0 (a hidden layer)
   * also its units' thumbnails. Allocates nothing.
   */
  evaluate(layer: number): void {
    const net = this.net, G = this.size, src = this.source;
    net.params.set(src.params);
    const L = net.layers.length;
    const hidden = layer >= 0 && layer < L - 1 ? layer : -1;
    const U = hidden >= 0 ? Math.min(net.sizes[hidden + 1]!, MAX_THUMB_UNITS) : 0;
    const width = hidden >= 0 ? net.sizes[hidden + 1]! : 0;
    const T = thumbSize(width, G), s = G / T, half = s >> 1;
    const n = this.classes, sigmoid = net.output === 'sigmoid';
    const probs = net.acts[L - 1]!, input = net.inputBuffer, grid = this.grid, raw = this.raw;
    const inv = n > 1 ? 1 / (1 - 1 / n) : 1;
    for (let j0 = 0; j0 < G; j0 += CHUNK_ROWS) {
      const rows = Math.min(CHUNK_ROWS, G - j0), M = rows * G;
      for (let r = 0; r < rows; r++) {
        const y = this.ys[j0 + r]!;
        for (let i = 0; i < G; i++) {
          const m = (r * G + i) * 2;
          input[m] = this.xs[i]!;
          input[m + 1] = y;
        }
      }
      net.forward(input, M);
      for (let m = 0; m < M; m++) {
        let cls = 0, p = 0;
        if (sigmoid) {
          const q = probs[m]!;
          cls = q > 0.5 ? 1 : 0;
          p = cls === 1 ? q : 1 - q;
        } else {
          p = probs[m * n]!;
          for (let c = 1; c < n; c++) if (probs[m * n + c]! > p) { p = probs[m * n + c]!; cls = c; }
        }
        const conf = (p - 1 / n) * inv; // 0 at chance, 1 at certainty
        const cell = (j0 * G + m) * 2;
        grid[cell] = cls;
        grid[cell + 1] = Math.round(255 * Math.min(1, Math.max(0, conf)));
      }
      if (hidden >= 0) {
        const acts = net.acts[hidden]!;
        for (let r = 0; r < rows; r++) {
          const j = j0 + r;
          if (j % s !== half) continue;
          const tj = (j - half) / s;
          for (let ti = 0; ti < T; ti++) {
            const m = r * G + ti * s + half;
            for (let u = 0; u < U; u++) raw[(u * T + tj) * T + ti] = acts[m * width + u]!;
          }
        }
      }
    }
    if (hidden >= 0) this.quantize(net.hidden[hidden]!, U * T * T);
    this.thumbLayer = hidden;
    this.thumbUnits = U;
    this.thumbSide = hidden >= 0 ? T : 0;
    this.evaluations++;
  }

  private quantize(kind: HiddenActivation, count: number): void {
    const raw = this.raw, out = this.thumbs;
    let lo = 0, hi = 1;
    if (kind === 'tanh') lo = -1;
    else if (kind !== 'sigmoid') {
      lo = 0;
      hi = 0;
      for (let i = 0; i < count; i++) {
        const a = raw[i]!;
        if (a < lo) lo = a;
        if (a > hi) hi = a;
      }
      if (hi - lo < 1e-6) hi = lo + 1e-6;
    }
    this.range[0] = lo;
    this.range[1] = hi;
    const scale = 255 / (hi - lo);
    for (let i = 0; i < count; i++) out[i] = Math.round(Math.min(255, Math.max(0, (raw[i]! - lo) * scale)));
  }

  /** Whether thumbnail byte v of the current layer decodes to a saturated activation (the panel's colouring). */
  static saturatedByte(kind: HiddenActivation, v: number, lo: number, hi: number): boolean {
    return isSaturated(kind, v === 0 && lo === 0 ? 0 : lo + (v * (hi - lo)) / 255);
  }

  /** Release the evaluation network. */
  dispose(): void {
    this.net.dispose();
  }
}
