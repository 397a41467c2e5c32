/** Run records for the run-reading tests: a step record of the right shape for a config of layers [3, 2] with 4 histogram bins. */

/** A step record as the trainer writes it for `cfg` (NaNs written as null, as JSON does). */
export function goodStep(step = 1): Record<string, unknown> {
  const hidden = (k: number, n: number) => ({
    layer: k, activation: 'tanh', saturation: 0.1, mean: 0, std: 1, gradW: 0.5, gradB: 0.1, delta: 0.2, updateRatio: 0.001,
    histogram: { min: -1, max: 1, counts: [1, 2, 3, 4] }, unitSaturation: Array.from({ length: n }, () => 0.5),
  });
  return {
    kind: 'step', step, epoch: 0, loss: 1.2, accuracy: 0.4, lr: 0.1,
    layers: [hidden(0, 3), hidden(1, 2), { layer: 2, activation: 'softmax', saturation: null, mean: 0.3, std: 0.1, gradW: 1, gradB: 1, delta: 1, updateRatio: 0 }],
  };
}
