/**
 * Decision regions while a variant trains (2-feature data): when to evaluate them and the frames
 * and plane the panel gets. The worker evaluates between slices, at most REGION_MIN_INTERVAL_MS
 * apart and, after an evaluation that took t ms, not again for REGION_COST_FACTOR·t ms per variant
 * training beside it, so the evaluations take at most about 1/REGION_COST_FACTOR of the worker's
 * time whatever the network's size. The CLI makes one frame at a variant's end for its report.
 */
import { planeOf, RegionProbe } from '../engine/regions';
import type { Trainer } from '../engine/trainer';
import type { Dataset } from '../engine/types';
import { toBase64 } from '../shared/columns';
import type { PlanePoints, PlaneView, RegionFrame } from '../shared/protocol';

export const REGION_MIN_INTERVAL_MS = 250;
/** evaluation time × this = the least time to the next evaluation (2.5% of the worker at most) */
export const REGION_COST_FACTOR = 40;
/** points per split drawn on the plane, at most */
export const PLANE_MAX_POINTS = 4000;

function points(X: Float32Array, Y: Int32Array): PlanePoints {
  const n = Y.length, every = Math.max(1, Math.ceil(n / PLANE_MAX_POINTS)), count = Math.ceil(n / every);
  const xy = new Float32Array(2 * count), y = new Uint8Array(count);
  for (let i = 0, o = 0; i < n; i += every, o++) {
    xy[2 * o] = X[2 * i]!;
    xy[2 * o + 1] = X[2 * i + 1]!;
    y[o] = Math.min(255, Y[i]!);
  }
  return { count, xy: toBase64(new Uint8Array(xy.buffer)), y: toBase64(y) };
}

/** The plane of 2-feature data with its points; null for other data. */
export function planeView(data: Dataset): PlaneView | null {
  const bounds = planeOf(data);
  if (!bounds) return null;
  return {
    bounds, classes: data.classes, classNames: data.classNames.slice(0, 256), featureNames: data.featureNames.slice(0, 2),
    train: points(data.trainX, data.trainY), test: points(data.testX, data.testY),
  };
}

/** The probe's last evaluation as a frame for the panel. */
export function regionFrame(probe: RegionProbe, trainer: Trainer): RegionFrame {
  const net = trainer.net, k = probe.thumbLayer, T = probe.thumbSide;
  return {
    step: trainer.step, epoch: trainer.epoch, size: probe.size,
    grid: toBase64(probe.grid),
    layer: k, activation: k >= 0 ? net.hidden[k]! : null, layerUnits: k >= 0 ? net.sizes[k + 1]! : 0,
    units: probe.thumbUnits, side: T, range: [probe.range[0]!, probe.range[1]!],
    thumbs: toBase64(probe.thumbs.subarray(0, probe.thumbUnits * T * T)),
  };
}

/** One variant's region evaluations while it trains. */
export class RegionSampler {
  readonly probe: RegionProbe;
  /** the hidden layer whose units are pictured */
  layer = 0;
  private next = 0;
  /** ms spent evaluating and encoding, and how many frames */
  spentMs = 0;
  frames = 0;

  constructor(readonly trainer: Trainer, data: Dataset, private readonly sideBySide = 1) {
    this.probe = new RegionProbe(trainer.net, planeOf(data)!);
    if (trainer.net.layers.length < 2) this.layer = -1;
  }

  static for(trainer: Trainer, data: Dataset, sideBySide = 1): RegionSampler | null {
    return data.features === 2 ? new RegionSampler(trainer, data, sideBySide) : null;
  }

  /** Whether a frame is due (always at the end: force). */
  due(now = performance.now()): boolean {
    return now >= this.next;
  }

  /** Evaluate now and return the frame (the next is scheduled from the time this one took). */
  frame(): RegionFrame {
    const t0 = performance.now();
    this.probe.evaluate(this.layer);
    const f = regionFrame(this.probe, this.trainer);
    const t1 = performance.now(), ms = t1 - t0;
    this.spentMs += ms;
    this.frames++;
    this.next = t1 + Math.max(REGION_MIN_INTERVAL_MS, ms * REGION_COST_FACTOR * this.sideBySide);
    return f;
  }

  /** Every hidden layer's frame (the report, which shows whichever layer is chosen). */
  allLayers(): RegionFrame[] {
    const L = this.trainer.net.layers.length;
    const out: RegionFrame[] = [];
    for (let k = 0; k < Math.max(1, L - 1); k++) {
      this.probe.evaluate(L > 1 ? k : -1);
      out.push(regionFrame(this.probe, this.trainer));
    }
    return out;
  }

  dispose(): void {
    this.probe.dispose();
  }
}

