/** The types of a variant's card and its heatmaps, shared by the panel's parts. Types only. */
import type { attachCellInteraction, Heatmap } from '../shared/heatmap';
import type { LayerMeta } from '../../src/shared/columns';
import type { ErrorsView } from './errors';
import type { RegionView } from './regions';
import type { WeightsView } from './weights';

export interface HeatView {
  hm: Heatmap;
  kind: 'sat' | 'grad' | 'units';
  /** layer index per row (sat, grad) or the layer of the units */
  layers: number[];
  axis: HTMLElement;
  interaction: ReturnType<typeof attachCellInteraction>;
  /** the first column changed since the heatmap was last drawn (Infinity: none) */
  pendingFrom: number;
}

export interface Card {
  root: HTMLElement;
  head: HTMLElement;
  info: HTMLElement;
  problem: HTMLElement;
  views: HeatView[];
  hist: HTMLCanvasElement;
  /** 2-feature data: the decision regions and unit pictures */
  regions: RegionView | null;
  /** the test set's confusion matrix (and, for image data, misclassified examples), once an epoch recorded them */
  errors?: ErrorsView;
  /** image data: the first layer's weights as pictures */
  weights?: WeightsView;
  /** the hidden layers' activation distributions over time */
  dist?: DistView;
}

/** A variant's distributions over time (distributions.ts): per hidden layer, its heatmap and bands. */
export interface DistView {
  root: HTMLElement;
  layers: {
    meta: LayerMeta;
    hm: Heatmap;
    bands: HTMLCanvasElement;
    interaction: ReturnType<typeof attachCellInteraction>;
    /** what was drawn (distributions.ts): a redraw only when it changes */
    key: string;
  }[];
  /** per layer: the weights' (w) and weight gradients' (g) percentile bands */
  params: { meta: LayerMeta; kind: 'w' | 'g'; canvas: HTMLCanvasElement; key: string }[];
}
