/**
 * The one source of randomness in the engine: a seeded sfc32 generator.
 * Math.random is never used, so the same seed gives the same run on every machine.
 */

/** splitmix32: spreads a small integer seed into well-mixed 32-bit state words. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Stable 32-bit hash of a string (FNV-1a), used to derive named sub-streams. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** An Rng's state words (32-bit integers) and Box-Muller's kept second value. */
export interface RngState {
  a: number;
  b: number;
  c: number;
  d: number;
  spare: number;
  hasSpare: boolean;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = 0;
  private hasSpare = false;

  constructor(readonly seed: number) {
    const st = { s: seed | 0 };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** The generator's whole state (to continue its stream later: setState). */
  getState(): RngState {
    return { a: this.a, b: this.b, c: this.c, d: this.d, spare: this.spare, hasSpare: this.hasSpare };
  }

  /** Continue the stream a getState() took: the next draws are the ones that followed it. */
  setState(s: RngState): void {
    this.a = s.a | 0; this.b = s.b | 0; this.c = s.c | 0; this.d = s.d | 0;
    this.spare = s.spare;
    this.hasSpare = s.hasSpare;
  }

  /** Whether nothing has been drawn yet: the state is that of a new generator with this seed. */
  isFresh(): boolean {
    const f = new Rng(this.seed);
    return !this.hasSpare && this.a === f.a && this.b === f.b && this.c === f.c && this.d === f.d;
  }

  /** An independent generator for one purpose ("init", "shuffle", "data"), so that
   * changing how much one purpose consumes never shifts another. */
  fork(label: string): Rng {
    return new Rng((Math.imul(this.seed, 0x9e3779b1) ^ hashString(label)) | 0);
  }

  nextU32(): number {
    const a = this.a, b = this.b, c = this.c, d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    this.c = ((c << 21) | (c >>> 11)) + t | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller, polar-free form; the second value is kept for the next call). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * v;
    this.spare = r * Math.sin(theta);
    this.hasSpare = true;
    return r * Math.cos(theta);
  }

  /**
   * out[i] = scale · normal() for every i in order: the same values, and the same generator state
   * (spare included) after, as those calls. The draws are written out on local state (as in
   * shuffle), the transform is normal()'s own expression by expression, so every value is
   * bit-identical; about twice as fast as the calls (the weight initialization of big networks).
   */
  fillNormal(out: Float32Array | Float64Array, scale: number): void {
    const n = out.length;
    let i = 0;
    if (n === 0) return;
    if (this.hasSpare) {
      this.hasSpare = false;
      out[i++] = scale * this.spare;
    }
    let a = this.a, b = this.b, c = this.c, d = this.d;
    while (i < n) {
      let u = 0, v = 0;
      // u = next(), again while it is 0; then v = next(): two nextU32 each
      for (let draw = 0; draw < 2; draw++) {
        let t = (((a + b) | 0) + d) | 0;
        let na = b ^ (b >>> 9), nb = (c + (c << 3)) | 0, nc = (((c << 21) | (c >>> 11)) + t) | 0;
        d = (d + 1) | 0; a = na; b = nb; c = nc;
        const hi = (t >>> 0) >>> 5;
        t = (((a + b) | 0) + d) | 0;
        na = b ^ (b >>> 9); nb = (c + (c << 3)) | 0; nc = (((c << 21) | (c >>> 11)) + t) | 0;
        d = (d + 1) | 0; a = na; b = nb; c = nc;
        const lo = (t >>> 0) >>> 6;
        const x = (hi * 67108864 + lo) / 9007199254740992;
        if (draw === 0) {
          if (x === 0) draw = -1; // draw u again
          else u = x;
        } else {
          v = x;
        }
      }
      const r = Math.sqrt(-2 * Math.log(u));
      const theta = 2 * Math.PI * v;
      out[i++] = scale * (r * Math.cos(theta));
      // the second value is kept as normal() keeps it, and the state goes back in the loop (see
      // shuffle): no code after the loop, and no branch only the last pair takes
      const second = r * Math.sin(theta);
      this.spare = second;
      this.hasSpare = i >= n;
      if (i < n) out[i++] = scale * second;
      this.a = a; this.b = b; this.c = c; this.d = d;
    }
  }

  /** out[i] = uniform(lo, hi) for every i in order: the same values and generator state as those calls (see fillNormal). */
  fillUniform(out: Float32Array | Float64Array, lo: number, hi: number): void {
    let a = this.a, b = this.b, c = this.c, d = this.d;
    const span = hi - lo;
    for (let i = 0; i < out.length; i++) {
      let t = (((a + b) | 0) + d) | 0;
      let na = b ^ (b >>> 9), nb = (c + (c << 3)) | 0, nc = (((c << 21) | (c >>> 11)) + t) | 0;
      d = (d + 1) | 0; a = na; b = nb; c = nc;
      const h = (t >>> 0) >>> 5;
      t = (((a + b) | 0) + d) | 0;
      na = b ^ (b >>> 9); nb = (c + (c << 3)) | 0; nc = (((c << 21) | (c >>> 11)) + t) | 0;
      d = (d + 1) | 0; a = na; b = nb; c = nc;
      const l = (t >>> 0) >>> 6;
      out[i] = lo + span * ((h * 67108864 + l) / 9007199254740992);
      this.a = a; this.b = b; this.c = c; this.d = d; // in the loop: see shuffle
    }
  }

  /**
   * Fisher-Yates shuffle in place: j = this.int(i + 1) for i from the end, with the generator's
   * steps (nextU32, next) written out on local state. The calls, when the compiler does not inline
   * them, return numbers that do not fit a small integer, and each is boxed: garbage for every
   * element, every epoch. A test checks it against the calls.
   *
   * The state goes back to the fields in every iteration, not after the loop. A first call on a
   * long array is compiled in the middle of its loop (on-stack replacement), before any code
   * after the loop has run; that code, compiled without type feedback, deoptimizes at the loop's
   * end, and V8 can enter the same compiled loop again on every later call: a deoptimization and
   * a few hundred interpreted, boxing iterations every epoch (with `--no-concurrent-osr` every
   * call, and on a loaded machine often). The stores cost about 5% of a shuffle.
   */
  shuffle(arr: Uint32Array | Int32Array | number[]): void {
    let a = this.a, b = this.b, c = this.c, d = this.d;
    for (let i = arr.length - 1; i > 0; i--) {
      let t = (((a + b) | 0) + d) | 0;
      let na = b ^ (b >>> 9), nb = (c + (c << 3)) | 0, nc = (((c << 21) | (c >>> 11)) + t) | 0;
      d = (d + 1) | 0; a = na; b = nb; c = nc;
      const hi = (t >>> 0) >>> 5;
      t = (((a + b) | 0) + d) | 0;
      na = b ^ (b >>> 9); nb = (c + (c << 3)) | 0; nc = (((c << 21) | (c >>> 11)) + t) | 0;
      d = (d + 1) | 0; a = na; b = nb; c = nc;
      const lo = (t >>> 0) >>> 6;
      const j = Math.floor(((hi * 67108864 + lo) / 9007199254740992) * (i + 1));
      const x = arr[i]!;
      arr[i] = arr[j]!;
      arr[j] = x;
      this.a = a; this.b = b; this.c = c; this.d = d;
    }
  }
}
