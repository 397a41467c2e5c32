/**
 * Random draws kept for reuse by the weight initialization, for the side view: it builds a
 * network per variant on every edit, and the variants of a config usually share their seed (the
 * same "init" stream), while most edits (batchSize, an activation, lr) leave the seed alone.
 * Drawing 335k normals takes about 12 ms (log, sqrt, sin and cos per pair); scaling kept draws
 * about 1. Training does not use it: a run draws its weights once.
 *
 * A network's init scheme is one family for every layer, and its layers draw one after another
 * from one generator (a normal's spare carries over into the next layer), so the weights are
 * always the first n values of the generator's stream of standard normals (or of uniforms in
 * [0, 1)), whatever the layer sizes: W = scale · z (or lo + (hi − lo) · u), the same expressions
 * in float64 as the draws one by one, so the weights are bit-identical either way.
 */
import { Rng } from './rng';

interface Stream {
  /** the values drawn so far (the first `n`) */
  values: Float64Array;
  n: number;
  /** the generator, `n` draws on */
  rng: Rng;
}

export class DrawCache {
  private readonly streams = new Map<string, Stream>();

  /** maxStreams: the streams kept, the least recently used dropped first (MNIST: 2.7 MB a stream) */
  constructor(readonly maxStreams = 6) {}

  /**
   * The first n standard normals ('normal') or uniforms in [0, 1) ('uniform') of a fresh
   * generator made with this seed: a view of at least n values, valid until the next call.
   */
  values(seed: number, kind: 'normal' | 'uniform', n: number): Float64Array {
    const key = `${kind}:${seed}`;
    let s = this.streams.get(key);
    if (s) this.streams.delete(key); // to the most recent end
    else s = { values: new Float64Array(0), n: 0, rng: new Rng(seed) };
    this.streams.set(key, s);
    while (this.streams.size > this.maxStreams) this.streams.delete(this.streams.keys().next().value!);
    if (s.n < n) {
      if (s.values.length < n) {
        const grown = new Float64Array(Math.max(n, Math.ceil(s.values.length * 1.5)));
        grown.set(s.values.subarray(0, s.n));
        s.values = grown;
      }
      const more = s.values.subarray(s.n, n);
      if (kind === 'normal') s.rng.fillNormal(more, 1); // 1 · z is z
      else s.rng.fillUniform(more, 0, 1); // 0 + 1 · u is u
      s.n = n;
    }
    return s.values;
  }
}
