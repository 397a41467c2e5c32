/**
 * Pictures of image data while a variant trains (digits, MNIST): the first layer's weights of a
 * page of units, at most every PICTURE_INTERVAL_MS (and, after one that took t ms, not again for
 * PICTURE_COST_FACTOR·t ms per variant training beside it: at most about 2.5% of the worker's
 * time), and the newest epoch's misclassified test examples, posted at most as often. Only the units the panel shows are encoded (a page of WEIGHT_PAGE; the panel asks
 * for another page). The CLI makes one of each at a variant's end for its report.
 */
import { imageShapeOf, exampleImages, REPORT_WEIGHT_UNITS, WEIGHT_PAGE, weightPictures, type WeightPictures } from '../engine/pictures';
import type { EpochRecord, Trainer } from '../engine/trainer';
import type { Dataset } from '../engine/types';
import { toBase64 } from '../shared/columns';
import type { ErrorStrip, VariantPictures, WeightFrame } from '../shared/protocol';
import { weightFrame } from '../shared/weight-frame';

export const PICTURE_INTERVAL_MS = 300;
/** encoding time × this = the least time to the next weight frame */
export const PICTURE_COST_FACTOR = 40;

/** An epoch record's misclassified test examples with their pixels; null without them. */
export function errorStrip(data: Dataset, rec: EpochRecord): ErrorStrip | null {
  const shape = imageShapeOf(data), mis = rec.errors?.misclassified;
  if (!shape || !mis) return null;
  const index = mis.map((m) => m[0]).filter((i) => i < data.testY.length);
  return {
    epoch: rec.epoch, step: rec.step, shape,
    index, truth: index.map((i) => data.testY[i]!), predicted: mis.slice(0, index.length).map((m) => m[1]),
    pixels: toBase64(exampleImages(data, index)),
  };
}

/** One variant's pictures while it trains. */
export class PictureSampler {
  /** the first unit of the page of weights posted */
  first = 0;
  private next = 0;
  private buf: WeightPictures | undefined;
  private readonly shape: [number, number];
  private pendingErrors: EpochRecord | null = null;
  private nextErrors = 0;

  private constructor(readonly trainer: Trainer, private readonly data: Dataset, private readonly sideBySide: number) {
    this.shape = imageShapeOf(data)!;
  }

  /** `sideBySide`: the variants training in the same worker (they share its time). */
  static for(trainer: Trainer, data: Dataset, sideBySide = 1): PictureSampler | null {
    return imageShapeOf(data) ? new PictureSampler(trainer, data, sideBySide) : null;
  }

  /** The first layer's weights of `count` units from `first` as a frame. */
  weightFrame(count = WEIGHT_PAGE, first = this.first): WeightFrame {
    const t = this.trainer, net = t.net;
    const p = (this.buf = weightPictures(net, first, count, this.buf));
    return weightFrame(p, this.shape, net.sizes[1]!, t.step, t.epoch);
  }

  /** An epoch ended: its strip goes out with the next due() frame. */
  epoch(rec: EpochRecord): void {
    if (rec.errors) this.pendingErrors = rec;
  }

  /** The pictures due now (empty when nothing is); `force`: everything there is (the end). */
  due(now = performance.now(), force = false): Partial<VariantPictures> | null {
    const out: Partial<VariantPictures> = {};
    if (force || now >= this.next) {
      const t0 = performance.now();
      out.weights = this.weightFrame();
      const ms = performance.now() - t0;
      this.next = t0 + ms + Math.max(PICTURE_INTERVAL_MS, ms * PICTURE_COST_FACTOR * this.sideBySide);
    }
    if (this.pendingErrors && (force || now >= this.nextErrors)) {
      out.errors = errorStrip(this.data, this.pendingErrors);
      this.pendingErrors = null;
      this.nextErrors = now + PICTURE_INTERVAL_MS;
    }
    return out.weights || out.errors ? out : null;
  }

  /** What the HTML report shows: up to REPORT_WEIGHT_UNITS units and the last epoch's strip. */
  report(): VariantPictures {
    const last = this.trainer.lastEpoch;
    return { weights: this.weightFrame(REPORT_WEIGHT_UNITS, 0), errors: last ? errorStrip(this.data, last) : null };
  }
}
