/**
 * Gaussian expectations for the init-time theory (inspect.ts): what a layer's pre-activation
 * z ~ N(mu, sigma^2) implies for E[f(z)^2], E[f'(z)^2] and the saturated fraction, per
 * activation. ReLU-like and linear units have closed forms; sigmoid and tanh are integrated
 * numerically (smooth integrands, composite Simpson over mu +- 12 sigma).
 */
import { SIGMOID_HIGH, TANH_ABS, sigmoid } from '../activations';
import type { HiddenActivation } from '../types';

/** erf(x), |error| < 1.2e-7 (Numerical Recipes' erfc with a Chebyshev fit). */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
        t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

/** Standard normal CDF. */
export const normalCdf = (x: number): number => 0.5 * (1 + erf(x / Math.SQRT2));
/** Standard normal density. */
export const normalPdf = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

/** E[g(z)] for z ~ N(mu, sigma^2), g smooth: Simpson's rule on mu +- 12 sigma. */
export function gaussianExpectation(g: (z: number) => number, mu: number, sigma: number): number {
  if (!(sigma > 0)) return g(mu);
  // Resolve both sigma and the unit-scale features of sigmoid/tanh: step <= min(sigma / 16, 1 / 16).
  let n = Math.ceil((24 * sigma) / Math.min(sigma / 16, 1 / 16));
  n = Math.min(Math.max(n + (n % 2), 64), 200_000);
  const a = mu - 12 * sigma, h = (24 * sigma) / n;
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const z = a + i * h;
    const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
    s += w * g(z) * normalPdf((z - mu) / sigma);
  }
  return (s * h) / 3 / sigma;
}

/**
 * E[f(z)^2] and E[f'(z)^2] of a sigmoid or tanh unit for z ~ N(mu, sigma^2): the two
 * gaussianExpectation integrals in one loop (f and the density computed once per point), the
 * same arithmetic term by term, so the same numbers bit for bit.
 */
function squaredMoments(kind: 'sigmoid' | 'tanh', mu: number, sigma: number): { a2: number; fp2: number } {
  const f = kind === 'sigmoid' ? sigmoid : Math.tanh;
  const g1 = (a: number) => a ** 2;
  const g2 = kind === 'sigmoid' ? (a: number) => (a * (1 - a)) ** 2 : (a: number) => (1 - a ** 2) ** 2;
  if (!(sigma > 0)) { const a = f(mu); return { a2: g1(a), fp2: g2(a) }; }
  let n = Math.ceil((24 * sigma) / Math.min(sigma / 16, 1 / 16));
  n = Math.min(Math.max(n + (n % 2), 64), 200_000);
  const a0 = mu - 12 * sigma, h = (24 * sigma) / n;
  let s1 = 0, s2 = 0;
  for (let i = 0; i <= n; i++) {
    const z = a0 + i * h;
    const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
    const a = f(z), pdf = normalPdf((z - mu) / sigma);
    s1 += w * g1(a) * pdf;
    s2 += w * g2(a) * pdf;
  }
  return { a2: (s1 * h) / 3 / sigma, fp2: (s2 * h) / 3 / sigma };
}

export interface GaussianMoments {
  /** E[f(z)^2]: the second moment the next layer's pre-activation variance is built from */
  a2: number;
  /** E[f'(z)^2]: how much of the back-propagated signal's energy the layer passes */
  fp2: number;
  /** P(the unit's output counts as saturated) under the probes' definition */
  saturation: number;
}

/** E[f(z)^2], E[f'(z)^2] and the saturated fraction for z ~ N(mu, sigma^2). */
export function gaussianMoments(kind: HiddenActivation, mu: number, sigma: number, slope = 0.01): GaussianMoments {
  const s = Math.max(sigma, 1e-300);
  const t = mu / s;
  const P = normalCdf(t), p = normalPdf(t);
  switch (kind) {
    case 'relu': {
      // E[relu(z)^2] = (mu^2 + sigma^2) Phi(t) + mu sigma phi(t); relu'(z)^2 = 1{z > 0}
      const pos = (mu * mu + s * s) * P + mu * s * p;
      return { a2: pos, fp2: P, saturation: 1 - P };
    }
    case 'leaky_relu': {
      const pos = (mu * mu + s * s) * P + mu * s * p;
      const all = mu * mu + s * s;
      return { a2: pos + slope * slope * (all - pos), fp2: P + slope * slope * (1 - P), saturation: 1 - P };
    }
    case 'linear':
      return { a2: mu * mu + s * s, fp2: 1, saturation: 0 };
    case 'sigmoid': {
      const zs = Math.log(SIGMOID_HIGH / (1 - SIGMOID_HIGH)); // |z| > ln 19 <=> a outside [0.05, 0.95]
      return { ...squaredMoments('sigmoid', mu, sigma), saturation: normalCdf((-zs - mu) / s) + 1 - normalCdf((zs - mu) / s) };
    }
    case 'tanh': {
      const zs = Math.atanh(TANH_ABS);
      return { ...squaredMoments('tanh', mu, sigma), saturation: normalCdf((-zs - mu) / s) + 1 - normalCdf((zs - mu) / s) };
    }
  }
}
