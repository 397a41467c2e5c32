/**
 * 2-D toy datasets. Every generator is deterministic in its seed (new Rng(seed)), puts the points
 * roughly in [-1, 1] x [-1, 1] (so no standardization is needed) and gives each class
 * floor(samples / classes) points (the first samples % classes classes get one more), in class
 * order. `noise` is the standard deviation of Gaussian noise added to each coordinate.
 */
import { InputError, type SyntheticKind } from '../types';
import { Rng } from '../rng';

export interface Points {
  /** row-major, 2 features per sample */
  X: Float32Array;
  /** class index per sample, in [0, classes) */
  y: Int32Array;
}

export type Generator = (samples: number, classes: number, noise: number, seed: number) => Points;

export const MAX_SYNTHETIC_SAMPLES = 1_000_000;

/** Which class counts each kind accepts: "two" = exactly 2, "many" = any integer >= 2. */
const CLASS_RULE: Record<SyntheticKind, 'two' | 'many'> = {
  spiral: 'many',
  moons: 'two',
  circles: 'two',
  xor: 'two',
  blobs: 'many',
};

export function checkSyntheticArgs(kind: SyntheticKind, samples: number, classes: number, noise: number): void {
  if (CLASS_RULE[kind] === 'two' && classes !== 2) {
    throw new InputError(
      `dataset.classes must be 2 for "${kind}" (it is a two-class dataset); got ${classes}. ` +
        `"spiral" and "blobs" take any number of classes >= 2.`,
    );
  }
  if (!Number.isInteger(classes) || classes < 2) {
    throw new InputError(`dataset.classes must be an integer >= 2 for "${kind}"; got ${classes}`);
  }
  if (!Number.isInteger(samples) || samples < 2 * classes) {
    throw new InputError(
      `dataset.samples must be an integer of at least ${2 * classes} (2 per class) for ${classes} classes; got ${samples}`,
    );
  }
  if (samples > MAX_SYNTHETIC_SAMPLES) {
    throw new InputError(`dataset.samples must be at most ${MAX_SYNTHETIC_SAMPLES}; got ${samples}`);
  }
  if (!Number.isFinite(noise) || noise < 0) {
    throw new InputError(`dataset.noise must be a number >= 0; got ${noise}`);
  }
}

/** Calls point(c, k, n_c) for the k-th of the n_c points of class c, writing what it returns. */
function generate(
  samples: number,
  classes: number,
  noise: number,
  rng: Rng,
  point: (c: number, k: number, nc: number) => [number, number],
): Points {
  const X = new Float32Array(samples * 2);
  const y = new Int32Array(samples);
  let i = 0;
  for (let c = 0; c < classes; c++) {
    const nc = Math.floor(samples / classes) + (c < samples % classes ? 1 : 0);
    for (let k = 0; k < nc; k++, i++) {
      const [a, b] = point(c, k, nc);
      X[2 * i] = a + noise * rng.normal();
      X[2 * i + 1] = b + noise * rng.normal();
      y[i] = c;
    }
  }
  return { X, y };
}

/** Interleaved arms: radius grows from 0.05 to 1 while the angle turns once around. */
export const spiral: Generator = (samples, classes, noise, seed) => {
  checkSyntheticArgs('spiral', samples, classes, noise);
  const rng = new Rng(seed);
  return generate(samples, classes, noise, rng, (c, k, nc) => {
    const r = 0.05 + (0.95 * k) / Math.max(1, nc - 1);
    const t = (2 * Math.PI * c) / classes + 2 * Math.PI * r;
    return [r * Math.cos(t), r * Math.sin(t)];
  });
};

/** Two interleaving half circles (as scikit-learn's make_moons), centred and scaled by 1/1.5. */
export const moons: Generator = (samples, classes, noise, seed) => {
  checkSyntheticArgs('moons', samples, classes, noise);
  const rng = new Rng(seed);
  return generate(samples, classes, noise, rng, (c) => {
    const t = Math.PI * rng.next();
    const [a, b] = c === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    return [(a - 0.5) / 1.5, (b - 0.25) / 1.5];
  });
};

/** Class 0 on a circle of radius 1, class 1 on a concentric circle of radius 0.5. */
export const circles: Generator = (samples, classes, noise, seed) => {
  checkSyntheticArgs('circles', samples, classes, noise);
  const rng = new Rng(seed);
  return generate(samples, classes, noise, rng, (c) => {
    const t = 2 * Math.PI * rng.next();
    const r = c === 0 ? 1 : 0.5;
    return [r * Math.cos(t), r * Math.sin(t)];
  });
};

/** Uniform in the four quadrants (0.1 away from the axes): class 0 where x*y > 0, class 1 where x*y < 0. */
export const xor: Generator = (samples, classes, noise, seed) => {
  checkSyntheticArgs('xor', samples, classes, noise);
  const rng = new Rng(seed);
  return generate(samples, classes, noise, rng, (c) => {
    const sx = rng.next() < 0.5 ? -1 : 1;
    const sy = c === 0 ? sx : -sx;
    return [sx * rng.uniform(0.1, 1), sy * rng.uniform(0.1, 1)];
  });
};

/** Gaussian clusters (std 0.15, plus the noise) centred evenly on a circle of radius 0.7. */
export const blobs: Generator = (samples, classes, noise, seed) => {
  checkSyntheticArgs('blobs', samples, classes, noise);
  const rng = new Rng(seed);
  return generate(samples, classes, noise, rng, (c) => {
    const t = (2 * Math.PI * c) / classes + Math.PI / 4;
    return [0.7 * Math.cos(t) + 0.15 * rng.normal(), 0.7 * Math.sin(t) + 0.15 * rng.normal()];
  });
};

export const SYNTHETIC: Record<SyntheticKind, Generator> = { spiral, moons, circles, xor, blobs };

export function generateSynthetic(
  kind: SyntheticKind,
  samples: number,
  classes: number,
  noise: number,
  seed: number,
): Points {
  return SYNTHETIC[kind](samples, classes, noise, seed);
}
