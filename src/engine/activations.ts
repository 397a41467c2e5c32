/**
 * Hidden-layer activations, each with its derivative beside it.
 *
 * The derivative is written in terms of the activation's OUTPUT a = f(z), which is all the
 * backward pass keeps (z is overwritten by a in place):
 *   sigmoid    a = 1/(1+e^-z)            f'(z) = a(1-a)            <= 1/4
 *   tanh       a = tanh z                f'(z) = 1-a²              <= 1
 *   relu       a = max(z, 0)             f'(z) = 1 if a > 0 else 0 (so relu'(0) = 0)
 *   leaky_relu a = z if z > 0 else s·z   f'(z) = 1 if a > 0 else s
 *   linear     a = z                     f'(z) = 1
 * Saturation ("the unit passes almost no gradient for this example"), per
 * docs/dump-format.md, section "2.6 Saturation": sigmoid a < 0.05 or a > 0.95; tanh |a| > 0.95;
 * relu a == 0; leaky_relu a <= 0 (the slope region); linear never.
 */
import type { FloatArray } from './kernels';
import type { HiddenActivation } from './types';

export const SIGMOID_LOW = 0.05;
export const SIGMOID_HIGH = 0.95;
export const TANH_ABS = 0.95;

/** Numerically stable logistic function: never evaluates e^x for large positive x. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Scalar forward, for tests and one-off use. */
export function activate(kind: HiddenActivation, z: number, slope = 0.01): number {
  switch (kind) {
    case 'sigmoid': return sigmoid(z);
    case 'tanh': return Math.tanh(z);
    case 'relu': return z > 0 ? z : 0;
    case 'leaky_relu': return z > 0 ? z : slope * z;
    case 'linear': return z;
  }
}

/** Scalar derivative from the output a. */
export function derivativeFromOutput(kind: HiddenActivation, a: number, slope = 0.01): number {
  switch (kind) {
    case 'sigmoid': return a * (1 - a);
    case 'tanh': return 1 - a * a;
    case 'relu': return a > 0 ? 1 : 0;
    case 'leaky_relu': return a > 0 ? 1 : slope;
    case 'linear': return 1;
  }
}

export function isSaturated(kind: HiddenActivation, a: number): boolean {
  switch (kind) {
    case 'sigmoid': return a < SIGMOID_LOW || a > SIGMOID_HIGH;
    case 'tanh': return a > TANH_ABS || a < -TANH_ABS;
    case 'relu': return a === 0;
    case 'leaky_relu': return a <= 0;
    case 'linear': return false;
  }
}

/** Fixed histogram range per activation; values outside fall in the edge bins. */
export function histogramRange(kind: HiddenActivation): [number, number] {
  switch (kind) {
    case 'sigmoid': return [0, 1];
    case 'tanh': return [-1, 1];
    case 'relu': return [0, 4];
    case 'leaky_relu': return [-0.5, 4];
    case 'linear': return [-4, 4];
  }
}

/** Apply f in place to the first `count` entries of buf. Returns Σ a (NaN/Inf shows through). */
export function activateInPlace(kind: HiddenActivation, buf: FloatArray, count: number, slope: number): number {
  let sum = 0;
  switch (kind) {
    case 'sigmoid':
      for (let i = 0; i < count; i++) {
        const z = buf[i]!;
        let a: number;
        if (z >= 0) a = 1 / (1 + Math.exp(-z));
        else { const e = Math.exp(z); a = e / (1 + e); }
        buf[i] = a;
        sum += a;
      }
      break;
    case 'tanh':
      for (let i = 0; i < count; i++) { const a = Math.tanh(buf[i]!); buf[i] = a; sum += a; }
      break;
    case 'relu':
      // z * 0 is 0 for finite z but NaN for NaN or ±Inf, so a non-finite input still shows in the sum
      for (let i = 0; i < count; i++) { const z = buf[i]!; if (z > 0) sum += z; else { buf[i] = 0; sum += z * 0; } }
      break;
    case 'leaky_relu':
      for (let i = 0; i < count; i++) { const z = buf[i]!; const a = z > 0 ? z : slope * z; buf[i] = a; sum += a; }
      break;
    case 'linear':
      for (let i = 0; i < count; i++) sum += buf[i]!;
      break;
  }
  return sum;
}

/**
 * delta[i] *= f'(a[i]) for the first `count` entries. Returns Σ delta² after the product:
 * ‖δ‖_F² for the probes and the non-finite check, at no extra pass.
 */
export function mulDerivative(kind: HiddenActivation, delta: FloatArray, a: FloatArray, count: number, slope: number): number {
  let ss = 0;
  switch (kind) {
    case 'sigmoid':
      for (let i = 0; i < count; i++) { const x = a[i]!; const d = delta[i]! * (x * (1 - x)); delta[i] = d; ss += d * d; }
      break;
    case 'tanh':
      for (let i = 0; i < count; i++) { const x = a[i]!; const d = delta[i]! * (1 - x * x); delta[i] = d; ss += d * d; }
      break;
    case 'relu':
      for (let i = 0; i < count; i++) { const d = a[i]! > 0 ? delta[i]! : 0; delta[i] = d; ss += d * d; }
      break;
    case 'leaky_relu':
      for (let i = 0; i < count; i++) { const d = a[i]! > 0 ? delta[i]! : slope * delta[i]!; delta[i] = d; ss += d * d; }
      break;
    case 'linear':
      for (let i = 0; i < count; i++) { const d = delta[i]!; ss += d * d; }
      break;
  }
  return ss;
}
