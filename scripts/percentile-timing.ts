/**
 * The weight and gradient percentiles against a probed training step, for the benches (bench.ts,
 * bench-percentiles.ts): rounds of K probed steps, then K parameterPercentiles calls on the same
 * network, taken in turn (so load hits both alike). Medians over the rounds.
 */
import { parameterPercentiles } from '../src/engine/probes';
import type { Trainer } from '../src/engine/trainer';

const median = (x: number[]) => { const s = [...x].sort((a, b) => a - b); return s[s.length >> 1]!; };

export interface PercentileTiming {
  /** one measurement's time over one probed step's: the median of the rounds' ratios */
  share: number;
  /** medians over the rounds, in milliseconds */
  stepMs: number;
  measureMs: number;
}

export function percentileTiming(t: Trainer, K: number, rounds: number): PercentileTiming {
  const sink = { transientSteps: true };
  const share: number[] = [], stepMs: number[] = [], measureMs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now();
    const steps = t.runSteps(K, sink);
    const step = (performance.now() - t0) / Math.max(1, steps);
    t0 = performance.now();
    for (let k = 0; k < K; k++) parameterPercentiles(t.net, t.probes);
    const m = (performance.now() - t0) / K;
    share.push(m / step); stepMs.push(step); measureMs.push(m);
  }
  return { share: median(share), stepMs: median(stepMs), measureMs: median(measureMs) };
}
