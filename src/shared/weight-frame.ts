/**
 * A page of first-layer weight pictures as the panel receives it (WeightFrame), from the engine's
 * encoding (engine/pictures.ts): made by the worker while a run trains and by the host from a
 * run folder's model.bin.
 */
import type { WeightPictures } from '../engine/pictures';
import { toBase64 } from './columns';
import type { WeightFrame } from './protocol';

export function weightFrame(p: WeightPictures, shape: [number, number], layerUnits: number, step: number, epoch: number): WeightFrame {
  return {
    step, epoch, shape, first: p.first, count: p.count, layerUnits,
    scales: Array.from(p.scales.subarray(0, p.count)), pixels: toBase64(p.pixels.subarray(0, p.count * p.inputs)),
  };
}
