/**
 * The engine's hot loops as WebAssembly SIMD, written here in TypeScript and emitted as module
 * bytes at start-up (see encoder.ts). The variants come from this one source: plain SIMD128
 * (multiply then add), relaxed SIMD (f32x4.relaxed_madd: one fused multiply-add where the
 * hardware has it), and either of them on a shared memory with the helper thread's task loop.
 *
 * The dense matrix products of a layer are run by `gemm`, in "dot" form
 *   C[m, n] = Σ_k A[m, k] · B[n, k]      (both operands contiguous along k)
 * with a 4 x 2 register tile (8 accumulators of 4 lanes; the k loop loads 4 + 2 vectors for 8
 * multiply-adds: V8 hoists a tile's loads, and this is the largest tile whose accumulators and
 * loads fit the 16 vector registers without spills) and a transpose-and-add reduction of the
 * lanes at the end of each dot product. The three products of a layer map onto it as
 *   forward     z  = a · Wᵀ            A = a [M, in],   B = W  [out, in]
 *   input grad  g  = δ · W             A = δ [M, out],  B = Wᵀ [in, out]   (W transposed first)
 *   weight grad dW = δᵀ · a            A = δᵀ [out, M], B = aᵀ [in, M]     (both transposed first)
 * The transposes cost O(M·n) against the product's O(M·n·n'). Columns are processed in chunks
 * whose B rows fit the L2 cache; every dot product is still computed whole, in one fixed order,
 * so results do not depend on the chunking. Where A holds ReLU's exact zeros (the input of the
 * layer above a ReLU layer, and a ReLU layer's δ), `spmm` runs the product instead, in "outer"
 * form over A's nonzeros only (see there; network.ts picks).
 *
 * After the last chunk of a block of 4 rows (or once, for a product that fits L1), an epilogue
 * runs over those rows while they are in L1: bias + activation + Σa, then with probes a second
 * pass for saturation overall and per unit, Σa² and the histogram; or δ ⊙ f'(a) + ‖δ‖²; or
 * dW + λW. Sums run in float32 over at most 64 vectors, in float64 across them.
 *
 * Nothing here allocates; all pointers are byte offsets into the one imported memory.
 */
import {
  block, br, br_if, call, drop, f32, f32x4, f64, f64x2, Fn, forLoop, i16x8, i32, i32x4, i64, i8x16, if_, loop, memory, seq, shuffle, shuffle32, swizzle, T, v128, whileLoop,
  type Bytes, type Local,
} from './encoder';
import { histogramRange } from '../activations';
import type { HiddenActivation } from '../types';

export interface KernelOptions {
  /** use f32x4.relaxed_madd for multiply-adds */
  relaxed: boolean;
  /** shared memory: adds `helper`, the loop a second thread runs (threads proposal atomics) */
  shared?: boolean;
}

/**
 * The control block a network's main thread and its helper thread share (i32 slots):
 *   0 seq   task number, bumped by the main thread to post a task
 *   1 done  the last task number the helper finished
 *   2 kind  TASK.*; then the task's arguments from slot 4 on (as the exported function takes them)
 */
export const CTRL = { seq: 0, done: 4, kind: 8, args: 16 } as const;
export const CTRL_BYTES = 128;
export const TASK = { exit: 0, gemm: 1, sgd: 2, momentum: 3, adam: 4, transpose: 5, spmm: 6 } as const;
/**
 * The optimizers' float arguments, read from a block of float32 in memory (slot numbers here; its
 * address is an argument): a float passed from JavaScript to a call it does not inline (a call site
 * that has seen several networks' kernels) is boxed, an allocation each step; i32 arguments are not.
 */
export const OPT_COEF = { lr: 0, mu: 1, b1: 2, b2: 3, eps: 4, c1: 5, c2: 6 } as const;
export const OPT_COEF_BYTES = 4 * Object.keys(OPT_COEF).length;
/** helper spins this many polls (about 50-100 µs) before it sleeps on the futex */
const HELPER_SPINS = 20000;

/** Activation codes shared with runtime.ts. */
export const ACT = { sigmoid: 0, tanh: 1, relu: 2, leaky_relu: 3, linear: 4 } as const satisfies Record<HiddenActivation, number>;
const ACT_NAME = Object.fromEntries(Object.entries(ACT).map(([k, v]) => [v, k])) as Record<number, HiddenActivation>;
/** Epilogue codes of gemm. */
export const EPI = { none: 0, bias: 1, act: 2, deriv: 3, grad: 4 } as const;

/**
 * Descriptor of an epilogue (DESC_BYTES per descriptor, written by runtime.ts):
 *  i32 @0 bias ptr | i32 @4 activation | f32 @8 slope | i32 @12 probe flag
 *  i32 @16 aux ptr (a_prev for deriv, W for grad) | i32 @20 aux row stride (elements)
 *  i32 @24 per-unit saturation counters (i32, padded to 4) | i32 @28 histogram counters (i32: in
 *  bin order with a nibble table, else per lane, slot bin*4 + lane) | i32 @32 bins
 *  f32 @36 weight decay | f64 @40 histogram lo | f64 @48 histogram scale (bins / (hi - lo); both used as float32)
 *  f64 @56 out: Σ (Σa, ‖δ‖², or ‖dW‖²) | f64 @64 out: Σa² | f64 @72 out: saturated count
 *  i32 @80 out: per-unit saturated fraction (f64 [N]) | i32 @84 out: histogram counts (f64 [bins])
 *  i32 @88 out (0: none): the layer's saturation (f64), with its mean and std `statsStride` bytes
 *  and twice that further on | i32 @92 statsStride | i32 @96 the nibble table (nibbleTable; 0:
 *  more than NIBBLE_BINS bins, counted per lane)
 */
export const DESC = {
  bias: 0, act: 4, slope: 8, probe: 12, aux: 16, auxLd: 20, units: 24, hist: 28, bins: 32, wd: 36,
  histLo: 40, histScale: 48, sum: 56, sumSq: 64, sat: 72, unitsOut: 80, histOut: 84, statsOut: 88, statsStride: 92,
  nibbles: 96,
} as const;
export const DESC_BYTES = 128;

/** The most histogram bins the forward's probe pass counts in registers (4-bit counters in a vector). */
export const NIBBLE_BINS = 32;
/** Entries of a nibble table: bins up to NIBBLE_BINS, and the entries past the last bin. */
export const NIBBLE_TABLE_ENTRIES = NIBBLE_BINS + 4;

/**
 * The probe pass's table for `bins` bins: entry b (16 bytes) is 1 << 4·b as a 128-bit little-endian
 * number, a one-hot in 32 counters of 4 bits; entries from `bins` on repeat the last bin's, so a
 * value at the top of a bounded range (sigmoid's 1, tanh's 1: bin `bins`) counts in the last bin,
 * as the TypeScript probe clamps it.
 */
export function nibbleTable(bins: number): Uint8Array {
  if (!(bins >= 1 && bins <= NIBBLE_BINS)) throw new RangeError(`a nibble table holds 1 to ${NIBBLE_BINS} bins, not ${bins}`);
  const t = new Uint8Array(16 * NIBBLE_TABLE_ENTRIES);
  for (let e = 0; e < NIBBLE_TABLE_ENTRIES; e++) {
    const b = Math.min(e, bins - 1);
    t[16 * e + (b >> 1)] = b & 1 ? 0x10 : 0x01;
  }
  return t;
}

export const GEMM_TILE_ROWS = 4;
export const GEMM_TILE_COLS = 2;
/**
 * spmm's column group: accumulators per row (vectors of 4 columns). V8 loads a group's B vectors
 * ahead of the multiply-adds, so group + loads + the broadcast must fit 16 registers: 7 (with 8
 * an accumulator spilled to the stack every step, three times slower)
 */
export const SPMM_GROUP = 7;
/**
 * spmm's chunk of k: its B panel (64 rows x 28 floats) stays in L1 across all rows, and its 64 rows
 * stay within the first-level TLB's reach: B rows of W3 are 4 KB apart, a page each. Measured on
 * 128x1024x1024 at half zeros: 1.02x gemm's speed unchunked, 1.12x with chunks of 256, 1.25x
 * with 128, 1.40x with 64, 1.38x with 48, 1.37x with 32 (64x256x256: 1.37x for all but 32).
 */
export const SPMM_CHUNK = 64;
/** Byte offset in spmm's scratch S of the list starts (after the compaction table). */
export const SPMM_STARTS = 256;
/** Bytes of spmm's scratch S for a product of `rows` rows and `K` k. */
export function spmmScratchBytes(rows: number, K: number): number {
  // the compaction table, the list starts, the pairs, and the last 4-pair store's overhang
  return SPMM_STARTS + 4 * (rows * Math.ceil(K / SPMM_CHUNK) + 1) + 8 + 8 * rows * K + 32;
}
/** bytes of B rows per column chunk: about a third of a 1 MB L2 */
const CHUNK_BYTES = 384 * 1024;

const SIGN = 0x80000000 | 0;

export function buildKernels(o: KernelOptions): Fn[] {
  const fma = (a: Bytes, b: Bytes, c: Bytes): Bytes => (o.relaxed ? f32x4.relaxed_madd(a, b, c) : f32x4.add(f32x4.mul(a, b), c));
  const f64Sum2 = (acc: Local, v: Bytes): Bytes[] => [
    // acc (f64x2) += the 4 lanes of v (f32x4), promoted; v must be a local read
    acc.set(f64x2.add(acc.get, f64x2.promote_low_f32x4(v))),
    acc.set(f64x2.add(acc.get, f64x2.promote_low_f32x4(shuffle32(v, v, [2, 3, 2, 3])))),
  ];
  const f64SumSq = (acc: Local, v: Local, t: Local): Bytes[] => [
    t.set(f64x2.promote_low_f32x4(v.get)),
    acc.set(f64x2.add(acc.get, f64x2.mul(t.get, t.get))),
    t.set(f64x2.promote_low_f32x4(shuffle32(v.get, v.get, [2, 3, 2, 3]))),
    acc.set(f64x2.add(acc.get, f64x2.mul(t.get, t.get))),
  ];
  /**
   * Sums over many vectors: float32 lanes, flushed into float64 every 64 vectors (a bounded
   * float32 sum, relative error about 1e-6). `add` sums v, `addSq` sums v² (elements below 1e-19
   * in magnitude then count as 0, above 1e19 as infinite).
   */
  const sqAcc = (f: Fn) => {
    // two float32 accumulators, used by alternate vectors of a loop unrolled by two (`slot`):
    // one chain of 4-cycle multiply-adds would bound the loop, two halve that bound
    const a32 = [f.local(T.v128), f.local(T.v128)], a64 = f.local(T.v128), cnt = f.local(T.i32);
    const flush = (): Bytes[] => [...f64Sum2(a64, f32x4.add(a32[0]!.get, a32[1]!.get)), a32[0]!.set(v128.zero()), a32[1]!.set(v128.zero())];
    const tick = (): Bytes[] => [
      cnt.set(i32.sub(cnt.get, i32.const(1))),
      if_(i32.eqz(cnt.get), [...flush(), cnt.set(i32.const(64))]),
    ];
    return {
      init: (): Bytes[] => [a32[0]!.set(v128.zero()), a32[1]!.set(v128.zero()), a64.set(v128.zero()), cnt.set(i32.const(64))],
      add: (v: Bytes, slot = 0): Bytes[] => [a32[slot]!.set(fma(v, v, a32[slot]!.get)), ...tick()],
      /** without the flush counter: the caller flushes at least every 64 vectors */
      addUncounted: (v: Bytes, slot = 0): Bytes[] => [a32[slot]!.set(fma(v, v, a32[slot]!.get))],
      flush,
      addPlain: (v: Bytes, slot = 0): Bytes[] => [a32[slot]!.set(f32x4.add(a32[slot]!.get, v)), ...tick()],
      /** flush and return the float64 total */
      total: (): Bytes => seq(...flush(), f64.add(f64x2.extract_lane(a64.get, 0), f64x2.extract_lane(a64.get, 1))),
    };
  };
  const hsum64 = (acc: Local): Bytes => f64.add(f64x2.extract_lane(acc.get, 0), f64x2.extract_lane(acc.get, 1));
  const laneMask = (L: number): Bytes =>
    v128.const([0, 1, 2, 3].flatMap((l) => (l < L ? [255, 255, 255, 255] : [0, 0, 0, 0])));
  /** load L (1..4) floats at addr as a vector, zeros in the other lanes */
  const loadPartial = (addr: Bytes, L: number, offset = 0): Bytes => {
    if (L === 4) return v128.load(addr, offset);
    if (L === 1) return v128.load32_zero(addr, offset);
    if (L === 2) return v128.load64_zero(addr, offset);
    return f32x4.replace_lane(v128.load64_zero(addr, offset), 2, f32.load(addr, offset + 8));
  };
  /** store the first L lanes of a vector (a local) at addr + offset */
  const storePartial = (addr: Local, v: Local, L: number, offset = 0): Bytes[] => {
    if (L === 4) return [v128.store(addr.get, v.get, offset)];
    const out: Bytes[] = [];
    for (let l = 0; l < L; l++) out.push(f32.store(addr.get, f32x4.extract_lane(v.get, l), offset + 4 * l));
    return out;
  };

  // ------------------------------------------------------------------ SIMD math (x in a local)
  /** e^x for x <= 0 (or NaN, which propagates); Cephes expf, about 1 ulp. Result in `out`. */
  const expNeg = (f: Fn, x: Local, out: Local): Bytes[] => {
    const fx = f.local(T.v128), y = f.local(T.v128), z = f.local(T.v128), keep = f.local(T.v128);
    return [
      // below -87 the result is under the smallest normal float32: 0 (a NaN x is kept, and propagates)
      keep.set(v128.not(f32x4.lt(x.get, f32x4.const(-87)))),
      x.set(f32x4.max(x.get, f32x4.const(-87))),
      fx.set(f32x4.floor(fma(x.get, f32x4.const(1.44269504088896341), f32x4.const(0.5)))),
      x.set(fma(fx.get, f32x4.const(-0.693359375), x.get)),
      x.set(fma(fx.get, f32x4.const(2.12194440e-4), x.get)),
      z.set(f32x4.mul(x.get, x.get)),
      y.set(fma(f32x4.const(1.9875691500e-4), x.get, f32x4.const(1.3981999507e-3))),
      y.set(fma(y.get, x.get, f32x4.const(8.3334519073e-3))),
      y.set(fma(y.get, x.get, f32x4.const(4.1665795894e-2))),
      y.set(fma(y.get, x.get, f32x4.const(1.6666665459e-1))),
      y.set(fma(y.get, x.get, f32x4.const(5.0000001201e-1))),
      y.set(f32x4.add(fma(y.get, z.get, x.get), f32x4.const(1))),
      // 2^fx by building the exponent bits; fx >= -127 here, and -127 gives 0
      out.set(v128.and(f32x4.mul(y.get, i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(fx.get), i32x4.splat(i32.const(127))), i32.const(23))), keep.get)),
    ];
  };

  /** a = f(z) for a runtime activation code, vector form. z, a locals; slope a v128 splat local. */
  const activate = (f: Fn, act: number, z: Local, a: Local, slope: Local): Bytes[] => {
    switch (act) {
      case ACT.sigmoid: {
        // e = exp(-|z|); a = (z >= 0 ? 1 : e) / (1 + e)
        const x = f.local(T.v128), e = f.local(T.v128);
        return [
          x.set(f32x4.neg(f32x4.abs(z.get))),
          ...expNeg(f, x, e),
          a.set(f32x4.div(v128.bitselect(f32x4.const(1), e.get, f32x4.ge(z.get, v128.zero())), f32x4.add(f32x4.const(1), e.get))),
        ];
      }
      case ACT.tanh: {
        // |z| <= 0.625: odd polynomial (Cephes tanhf); else sign(z)·(1 - e)/(1 + e), e = exp(-2|z|)
        const x = f.local(T.v128), e = f.local(T.v128), z2 = f.local(T.v128), p = f.local(T.v128), big = f.local(T.v128);
        return [
          x.set(f32x4.abs(z.get)),
          big.set(f32x4.gt(x.get, f32x4.const(0.625))),
          x.set(f32x4.mul(x.get, f32x4.const(-2))),
          ...expNeg(f, x, e),
          e.set(f32x4.div(f32x4.sub(f32x4.const(1), e.get), f32x4.add(f32x4.const(1), e.get))),
          e.set(v128.or(e.get, v128.and(z.get, i32x4.splat(i32.const(SIGN))))),
          z2.set(f32x4.mul(z.get, z.get)),
          p.set(fma(f32x4.const(-5.70498872745e-3), z2.get, f32x4.const(2.06390887954e-2))),
          p.set(fma(p.get, z2.get, f32x4.const(-5.37397155531e-2))),
          p.set(fma(p.get, z2.get, f32x4.const(1.33314422036e-1))),
          p.set(fma(p.get, z2.get, f32x4.const(-3.33332819422e-1))),
          p.set(fma(f32x4.mul(p.get, z2.get), z.get, z.get)),
          a.set(v128.bitselect(e.get, p.get, big.get)),
        ];
      }
      case ACT.relu:
        // z > 0 ? z : 0, so NaN and -0 give 0 as the TypeScript path does (the sum still sees NaN)
        return [a.set(f32x4.pmax(v128.zero(), z.get))];
      case ACT.leaky_relu:
        return [a.set(v128.bitselect(z.get, f32x4.mul(z.get, slope.get), f32x4.gt(z.get, v128.zero())))];
      default:
        return [a.set(z.get)];
    }
  };

  /** d ⊙ f'(a), f' from the output a */
  const derivMul = (act: number, d: Local, a: Local, slope: Local): Bytes => {
    switch (act) {
      case ACT.sigmoid: return f32x4.mul(d.get, f32x4.mul(a.get, f32x4.sub(f32x4.const(1), a.get)));
      case ACT.tanh: return f32x4.mul(d.get, f32x4.sub(f32x4.const(1), f32x4.mul(a.get, a.get)));
      case ACT.relu: return v128.and(d.get, f32x4.gt(a.get, v128.zero()));
      case ACT.leaky_relu: return v128.bitselect(d.get, f32x4.mul(d.get, slope.get), f32x4.gt(a.get, v128.zero()));
      default: return d.get;
    }
  };

  /** saturation mask (all-ones lanes) of activations a */
  const satMask = (act: number, a: Local): Bytes => {
    switch (act) {
      case ACT.sigmoid: return v128.or(f32x4.lt(a.get, f32x4.const(0.05)), f32x4.gt(a.get, f32x4.const(0.95)));
      case ACT.tanh: return f32x4.gt(f32x4.abs(a.get), f32x4.const(0.95));
      case ACT.relu: return f32x4.eq(a.get, v128.zero());
      case ACT.leaky_relu: return f32x4.le(a.get, v128.zero());
      default: return v128.zero();
    }
  };

  const fns: Fn[] = [];
  const ids = new Map<string, number>();
  const add = (f: Fn, exported = true) => { f.exported = exported; ids.set(f.name, fns.length); fns.push(f); return f; };

  // ------------------------------------------------------------------ epilogues
  // Each takes (d: descriptor, c: byte ptr of the first row in C, ldcB: row stride in bytes,
  // rows, n: elements per row, m0: index of the first row) and walks each row in vectors of 4
  // plus one partial vector; sums accumulate over all the rows and land in the descriptor.
  const EPI_PARAMS = [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32];
  type EpiParams = [Local, Local, Local, Local, Local, Local];
  /** for (r = 0; r < rows; r++) { perRow(r); vector loop of body(4) with `advance`; tail body(L) } */
  const rowsLoop = (f: Fn, rows: Local, n: Local, perRow: (r: Local) => Bytes[], body: (L: number, slot: number) => Bytes[], advance: Bytes[]): Bytes => {
    const r = f.local(T.i32), j = f.local(T.i32), n4 = f.local(T.i32), n8 = f.local(T.i32);
    return seq(
      n4.set(i32.and(n.get, i32.const(~3))),
      n8.set(i32.and(n.get, i32.const(~7))),
      forLoop(r, i32.const(0), rows.get, i32.const(1),
        ...perRow(r),
        // two vectors an iteration, into alternate accumulators
        forLoop(j, i32.const(0), n8.get, i32.const(8), ...body(4, 0), ...advance, ...body(4, 1), ...advance),
        if_(i32.ne(n4.get, n8.get), [...body(4, 0), ...advance]),
        tailSwitch(i32.and(n.get, i32.const(3)), (L) => body(L, 0)),
      ),
    );
  };
  /** aux row pointer: aux + (m0 + r) * auxLd * 4 */
  const auxRow = (d: Local, m0: Local, r: Local): Bytes =>
    i32.add(i32.load(d.get, DESC.aux), i32.shl(i32.mul(i32.add(m0.get, r.get), i32.load(d.get, DESC.auxLd)), i32.const(2)));

  /** forward of the output layer: z += bias */
  {
    const f = add(new Fn('epi_bias', EPI_PARAMS), false);
    const [d, c, ldcB, rows, n] = f.params as EpiParams;
    const p = f.local(T.i32), b = f.local(T.i32), b0 = f.local(T.i32), v = f.local(T.v128);
    const part = (L: number) => [v.set(f32x4.add(loadPartial(p.get, L), loadPartial(b.get, L))), ...storePartial(p, v, L)];
    f.body = seq(
      b0.set(i32.load(d.get, DESC.bias)),
      rowsLoop(f, rows, n, (r) => [p.set(i32.add(c.get, i32.mul(r.get, ldcB.get))), b.set(b0.get)], part,
        [p.set(i32.add(p.get, i32.const(16))), b.set(i32.add(b.get, i32.const(16)))]),
    );
  }

  /**
   * forward of a hidden layer: a = f(z + bias) and Σ(a + (z - z)) always; with the probe flag, a
   * second pass over the same rows (still in L1) measures saturation overall and per unit, Σa²
   * and the histogram. Two passes keep each loop's live values within the 16 vector registers.
   * The second pass walks down columns of 4 units, so each unit's saturated count stays in a
   * register for all the rows and goes to memory once per column.
   *
   * The histogram, up to NIBBLE_BINS bins (the descriptor's nibble table set): each value adds its
   * bin's one-hot vector from the table, 1 << 4·bin as a 128-bit number, to a register: 32 counters
   * of 4 bits, no memory written per value. After at most 6 rows (3 per accumulator, 12 values)
   * the nibbles go to byte counters (even and odd bins), and after at most 10 of those (240 values)
   * the bytes go to the layer's int32 counters in memory. More bins: one scalar increment per
   * value, into its lane's own sub-histogram.
   */
  for (const act of [ACT.sigmoid, ACT.tanh, ACT.relu, ACT.leaky_relu, ACT.linear]) {
    const f = add(new Fn(`epi_act${act}`, EPI_PARAMS), false);
    const [d, c, ldcB, rows, n] = f.params as EpiParams;
    // the histogram's fixed range (the runtime writes the same lo into the descriptor)
    const lo0 = histogramRange(ACT_NAME[act]!)[0] === 0;
    // outputs within the range (sigmoid, tanh): x = hi lands on bin `bins`, which the nibble
    // table folds into the last bin, so no clamp at bins - 1 is needed there
    const bounded = act === ACT.sigmoid || act === ACT.tanh;
    const p = f.local(T.i32), b = f.local(T.i32), b0 = f.local(T.i32), u0 = f.local(T.i32);
    const z = f.local(T.v128), a = f.local(T.v128), s = f.local(T.v128), slope = f.local(T.v128), mask = f.local(T.v128), satAcc = f.local(T.v128);
    const sumSq = sqAcc(f), sum = sqAcc(f);
    const lo = f.local(T.v128), scale = f.local(T.v128), hv = f.local(T.v128), unitAcc = f.local(T.v128);
    const bin = f.local(T.v128), tmp = f.local(T.i32), maxBin = f.local(T.v128);
    const j = f.local(T.i32), r = f.local(T.i32), rEnd = f.local(T.i32), rEnd6 = f.local(T.i32), rows2 = f.local(T.i32), n4 = f.local(T.i32), q = f.local(T.i32);
    const nib = [f.local(T.v128), f.local(T.v128)], evenB = f.local(T.v128), oddB = f.local(T.v128), nibFlushes = f.local(T.i32);
    const w16 = f.local(T.v128), hp = f.local(T.i32);
    const actBody = (L: number, slot: number): Bytes[] => {
      const out: Bytes[] = [
        z.set(f32x4.add(loadPartial(p.get, L), loadPartial(b.get, L))),
        ...activate(f, act, z, a, slope),
        ...storePartial(p, a, L),
        // relu maps NaN/Inf to finite values; z - z is 0 for finite z and NaN otherwise
        s.set(act === ACT.relu ? f32x4.add(a.get, f32x4.sub(z.get, z.get)) : a.get),
      ];
      if (L < 4) out.push(s.set(v128.and(s.get, laneMask(L))));
      out.push(...sum.addPlain(s.get, slot));
      return out;
    };
    /** one row's vector of a column (L units), at p; `nibbles`: the histogram in registers */
    const probeBody = (L: number, slot: number, nibbles: boolean): Bytes[] => {
      const scaled = f32x4.mul(lo0 ? a.get : f32x4.sub(a.get, lo.get), scale.get);
      const out: Bytes[] = [
        a.set(L < 4 ? v128.and(loadPartial(p.get, L), laneMask(L)) : v128.load(p.get)),
        ...sumSq.addUncounted(a.get, slot),
        mask.set(L < 4 ? v128.and(satMask(act, a), laneMask(L)) : satMask(act, a)),
        unitAcc.set(i32x4.sub(unitAcc.get, mask.get)),
        // histogram bins in float32 as the TypeScript probe computes them: subtract (not when
        // the range starts at 0: x - 0 is x), multiply, clamp to [0, bins - 1] (pmax/pmin: NaN
        // goes to 0; a bounded activation's top bin is folded by the table instead), floor;
        // then an address from the float's bits: plus 2^19, the bin sits in the mantissa as
        // bin*16 (its unit there is 1/16), the byte offset of its table entry, or of its slot
        // in the sub-histograms (no saturating conversion, which takes seven x86 instructions,
        // and no shift). Sub-histograms: one per lane (slot bin*4 + lane), so no lane waits on
        // another's increment
        bin.set(nibbles && bounded ? f32x4.pmax(v128.zero(), scaled) : f32x4.pmin(maxBin.get, f32x4.pmax(v128.zero(), scaled))),
        bin.set(i32x4.add(f32x4.add(f32x4.floor(bin.get), f32x4.const(2 ** 19)), hv.get)),
      ];
      for (let l = 0; l < L; l++) {
        out.push(tmp.set(i32x4.extract_lane(bin.get, l)));
        if (nibbles) out.push(nib[slot]!.set(i32x4.add(nib[slot]!.get, v128.load(tmp.get))));
        else out.push(i32.store(tmp.get, i32.add(i32.load(tmp.get, 4 * l), i32.const(1)), 4 * l));
      }
      return out;
    };
    const low4 = v128.const(new Array<number>(16).fill(15));
    /** the byte counters into the layer's int32 counters (bins in order; the second half only with more than 16 bins) */
    const bytesOut = (): Bytes[] => {
      const half = (bytes: Bytes, at: number): Bytes[] => {
        const out: Bytes[] = [];
        for (const [h, wide] of [[0, i16x8.extend_low_i8x16_u(bytes)], [1, i16x8.extend_high_i8x16_u(bytes)]] as const) {
          out.push(w16.set(wide));
          for (const [g, v] of [[0, i32x4.extend_low_i16x8_u(w16.get)], [1, i32x4.extend_high_i16x8_u(w16.get)]] as const) {
            const off = at + 32 * h + 16 * g;
            out.push(v128.store(hp.get, i32x4.add(v128.load(hp.get, off), v), off));
          }
        }
        return out;
      };
      const evens = [0, 1, 2, 3, 4, 5, 6, 7], lanes = (from: number) => evens.flatMap((e) => [from + e, from + e + 16]);
      return [
        hp.set(i32.load(d.get, DESC.hist)),
        // byte e of evenB counts bin 2e, of oddB bin 2e + 1: interleaved back into bin order
        ...half(shuffle(evenB.get, oddB.get, lanes(0)), 0),
        if_(i32.gt_s(i32.load(d.get, DESC.bins), i32.const(16)), half(shuffle(evenB.get, oddB.get, lanes(8)), 64)),
        evenB.set(v128.zero()), oddB.set(v128.zero()), nibFlushes.set(i32.const(0)),
      ];
    };
    /** the nibble counters into the byte counters; every 10th time the bytes out (each flush adds at most 24 to a byte) */
    const nibblesOut = (): Bytes[] => [
      evenB.set(i8x16.add(evenB.get, i8x16.add(v128.and(nib[0]!.get, low4), v128.and(nib[1]!.get, low4)))),
      oddB.set(i8x16.add(oddB.get, i8x16.add(v128.and(i16x8.shr_u(nib[0]!.get, i32.const(4)), low4), v128.and(i16x8.shr_u(nib[1]!.get, i32.const(4)), low4)))),
      nib[0]!.set(v128.zero()), nib[1]!.set(v128.zero()),
      nibFlushes.set(i32.add(nibFlushes.get, i32.const(1))),
      if_(i32.eq(nibFlushes.get, i32.const(10)), bytesOut()),
    ];
    /**
     * down the column of units [j, j + L): all rows, two at a time, then the units' counts; Σa²
     * flushed to float64 after every 128 rows (64 vectors per accumulator) and at the column's
     * end; the nibbles after every 6 rows
     */
    const column = (L: number, nibbles: boolean): Bytes[] => {
      const pair = [...probeBody(L, 0, nibbles), p.set(i32.add(p.get, ldcB.get)), ...probeBody(L, 1, nibbles), p.set(i32.add(p.get, ldcB.get)), r.set(i32.add(r.get, i32.const(2)))];
      return [
        unitAcc.set(v128.zero()),
        p.set(i32.add(c.get, i32.shl(j.get, i32.const(2)))),
        r.set(i32.const(0)),
        whileLoop(i32.lt_s(r.get, rows2.get),
          rEnd.set(i32.add(r.get, i32.const(128))),
          if_(i32.gt_s(rEnd.get, rows2.get), [rEnd.set(rows2.get)]),
          nibbles
            ? whileLoop(i32.lt_s(r.get, rEnd.get),
              rEnd6.set(i32.add(r.get, i32.const(6))),
              if_(i32.gt_s(rEnd6.get, rEnd.get), [rEnd6.set(rEnd.get)]),
              whileLoop(i32.lt_s(r.get, rEnd6.get), ...pair),
              ...nibblesOut())
            : whileLoop(i32.lt_s(r.get, rEnd.get), ...pair),
          ...sumSq.flush()),
        if_(i32.ne(rows2.get, rows.get), [...probeBody(L, 0, nibbles), ...sumSq.flush(), ...(nibbles ? nibblesOut() : [])]),
        q.set(i32.add(u0.get, i32.shl(j.get, i32.const(2)))),
        v128.store(q.get, i32x4.add(v128.load(q.get), unitAcc.get)),
        satAcc.set(i32x4.add(satAcc.get, unitAcc.get)),
      ];
    };
    const columns = (nibbles: boolean): Bytes[] => [
      forLoop(j, i32.const(0), n4.get, i32.const(4), ...column(4, nibbles)),
      tailSwitch(i32.and(n.get, i32.const(3)), (L) => column(L, nibbles)),
    ];
    const perRow = (r: Local) => [p.set(i32.add(c.get, i32.mul(r.get, ldcB.get))), b.set(b0.get)];
    const advance = [p.set(i32.add(p.get, i32.const(16))), b.set(i32.add(b.get, i32.const(16)))];
    f.body = seq(
      b0.set(i32.load(d.get, DESC.bias)), u0.set(i32.load(d.get, DESC.units)),
      slope.set(f32x4.splat(f32.load(d.get, DESC.slope))),
      ...sum.init(),
      rowsLoop(f, rows, n, perRow, actBody, advance),
      f64.store(d.get, f64.add(f64.load(d.get, DESC.sum), sum.total()), DESC.sum),
      if_(i32.load(d.get, DESC.probe), [
        ...(lo0 ? [] : [lo.set(f32x4.splat(f32.demote_f64(f64.load(d.get, DESC.histLo))))]),
        scale.set(f32x4.splat(f32.demote_f64(f64.load(d.get, DESC.histScale)))),
        maxBin.set(f32x4.splat(f32.convert_i32_s(i32.add(i32.load(d.get, DESC.bins), i32.const(-1))))),
        ...sumSq.init(), satAcc.set(v128.zero()),
        rows2.set(i32.and(rows.get, i32.const(~1))),
        n4.set(i32.and(n.get, i32.const(~3))),
        // the addresses' base (table entries or counters), less the bits of 2^19 (wrapping arithmetic)
        tmp.set(i32.load(d.get, DESC.nibbles)),
        if_(tmp.get, [
          hv.set(i32x4.splat(i32.sub(tmp.get, i32.const(0x49000000)))),
          nib[0]!.set(v128.zero()), nib[1]!.set(v128.zero()), evenB.set(v128.zero()), oddB.set(v128.zero()), nibFlushes.set(i32.const(0)),
          ...columns(true),
          ...bytesOut(),
        ], [
          hv.set(i32x4.splat(i32.sub(i32.load(d.get, DESC.hist), i32.const(0x49000000)))),
          ...columns(false),
        ]),
        f64.store(d.get, f64.add(f64.load(d.get, DESC.sumSq), sumSq.total()), DESC.sumSq),
        f64.store(d.get, f64.add(f64.load(d.get, DESC.sat), f64.convert_i32_s(i32.add(
          i32.add(i32x4.extract_lane(satAcc.get, 0), i32x4.extract_lane(satAcc.get, 1)),
          i32.add(i32x4.extract_lane(satAcc.get, 2), i32x4.extract_lane(satAcc.get, 3))))), DESC.sat),
      ]),
    );
  }

  /** input gradient: δ = g ⊙ f'(a_prev), ‖δ‖² (also the divergence check) */
  for (const act of [ACT.sigmoid, ACT.tanh, ACT.relu, ACT.leaky_relu, ACT.linear]) {
    const f = add(new Fn(`epi_deriv${act}`, EPI_PARAMS), false);
    const [d, c, ldcB, rows, n, m0] = f.params as EpiParams;
    const p = f.local(T.i32), q = f.local(T.i32);
    const g = f.local(T.v128), a = f.local(T.v128), slope = f.local(T.v128), ss = sqAcc(f);
    const body = (L: number, slot: number): Bytes[] => [
      g.set(loadPartial(p.get, L)),
      a.set(loadPartial(q.get, L)),
      g.set(derivMul(act, g, a, slope)),
      ...storePartial(p, g, L),
      ...ss.add(g.get, slot),
    ];
    f.body = seq(
      slope.set(f32x4.splat(f32.load(d.get, DESC.slope))), ...ss.init(),
      rowsLoop(f, rows, n, (r) => [p.set(i32.add(c.get, i32.mul(r.get, ldcB.get))), q.set(auxRow(d, m0, r))], body,
        [p.set(i32.add(p.get, i32.const(16))), q.set(i32.add(q.get, i32.const(16)))]),
      f64.store(d.get, f64.add(f64.load(d.get, DESC.sum), ss.total()), DESC.sum),
    );
  }

  /** weight gradient: dW += λ·W (when λ ≠ 0; ‖dW‖² is measured in the optimizer's pass) */
  {
    const f = add(new Fn('epi_grad', EPI_PARAMS), false);
    const [d, c, ldcB, rows, n, m0] = f.params as EpiParams;
    const p = f.local(T.i32), q = f.local(T.i32);
    const g = f.local(T.v128), wd = f.local(T.v128);
    const wdScalar = f.local(T.f32);
    const body = (L: number): Bytes[] => [g.set(fma(wd.get, loadPartial(q.get, L), loadPartial(p.get, L))), ...storePartial(p, g, L)];
    f.body = seq(
      wdScalar.set(f32.load(d.get, DESC.wd)), wd.set(f32x4.splat(wdScalar.get)),
      if_(f32.gt(f32.mul(wdScalar.get, wdScalar.get), f32.const(0)), [
        rowsLoop(f, rows, n, (r) => [p.set(i32.add(c.get, i32.mul(r.get, ldcB.get))), q.set(auxRow(d, m0, r))], (L) => body(L),
          [p.set(i32.add(p.get, i32.const(16))), q.set(i32.add(q.get, i32.const(16)))]),
      ]),
    );
  }

  // ------------------------------------------------------------------ the GEMM
  /**
   * Code of one register tile: rows [m, m+R) x columns [n, n+C) of C = Σ_k A[m,k]·B[n,k].
   * Accumulators hold 4 lanes of k each; at the end, for each column, a transpose-and-add of
   * the R row accumulators gives the column's R results as one vector.
   * Locals: pA (A row m), pB (B row n), pC (C[m, n]) byte pointers; strides in bytes; K elements.
   */
  interface TileLocals { pA: Local; ldaB: Local; pB: Local; ldbB: Local; pC: Local; ldcB: Local; K: Local }
  const tileCode = (f: Fn, R: number, C: number, t: TileLocals): Bytes => {
    const pa = f.localsOf(T.i32, R), pb = f.localsOf(T.i32, C);
    const kk = f.local(T.i32), kb4 = f.local(T.i32), tail = f.local(T.i32);
    const acc = Array.from({ length: R }, () => f.localsOf(T.v128, C));
    const av = f.localsOf(T.v128, R), wv = f.local(T.v128), s01 = f.local(T.v128), s23 = f.local(T.v128), res = f.local(T.v128);
    const addr = f.local(T.i32);
    const step = (load: (p: Local) => Bytes): Bytes[] => {
      const out: Bytes[] = [];
      for (let r = 0; r < R; r++) out.push(av[r]!.set(load(pa[r]!)));
      for (let c = 0; c < C; c++) {
        out.push(wv.set(load(pb[c]!)));
        for (let r = 0; r < R; r++) out.push(acc[r]![c]!.set(fma(av[r]!.get, wv.get, acc[r]![c]!.get)));
      }
      return out;
    };
    const finish: Bytes[] = [];
    for (let c = 0; c < C; c++) {
      const get = (r: number) => (r < R ? acc[r]![c]!.get : v128.zero());
      finish.push(
        s01.set(f32x4.add(shuffle32(get(0), get(1), [0, 4, 1, 5]), shuffle32(get(0), get(1), [2, 6, 3, 7]))),
        s23.set(f32x4.add(shuffle32(get(2), get(3), [0, 4, 1, 5]), shuffle32(get(2), get(3), [2, 6, 3, 7]))),
        res.set(f32x4.add(shuffle32(s01.get, s23.get, [0, 1, 4, 5]), shuffle32(s01.get, s23.get, [2, 3, 6, 7]))),
        addr.set(t.pC.get),
      );
      for (let r = 0; r < R; r++) {
        if (r > 0) finish.push(addr.set(i32.add(addr.get, t.ldcB.get)));
        finish.push(f32.store(addr.get, f32x4.extract_lane(res.get, r), 4 * c));
      }
    }
    return seq(
      ...pa.map((p, r) => p.set(r === 0 ? t.pA.get : i32.add(t.pA.get, i32.mul(t.ldaB.get, i32.const(r))))),
      ...pb.map((p, c) => p.set(c === 0 ? t.pB.get : i32.add(t.pB.get, i32.mul(t.ldbB.get, i32.const(c))))),
      ...acc.flat().map((a) => a.set(v128.zero())),
      kb4.set(i32.shl(i32.and(t.K.get, i32.const(~3)), i32.const(2))),
      tail.set(i32.and(t.K.get, i32.const(3))),
      forLoop(kk, i32.const(0), kb4.get, i32.const(16), ...step((p) => v128.load(i32.add(p.get, kk.get)))),
      tailSwitch(tail.get, (L) => step((p) => loadPartial(i32.add(p.get, kb4.get), L))),
      ...finish,
    );
  };
  // edge tiles (fewer rows or columns) as functions; the full tile is inlined in gemm
  const tiles: number[][] = [];
  for (let R = 1; R <= GEMM_TILE_ROWS; R++) {
    tiles[R] = [];
    for (let C = 1; C <= GEMM_TILE_COLS; C++) {
      if (R === GEMM_TILE_ROWS && C === GEMM_TILE_COLS) continue;
      const f = add(new Fn(`tile${R}x${C}`, [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]), false);
      const [pA, ldaB, pB, ldbB, pC, ldcB, K] = f.params as [Local, Local, Local, Local, Local, Local, Local];
      f.body = tileCode(f, R, C, { pA, ldaB, pB, ldbB, pC, ldcB, K });
      tiles[R]![C] = ids.get(f.name)!;
    }
  }

  /**
   * The epilogue a product runs on its finished rows, shared by gemm and spmm: `setup` zeroes the
   * descriptor's sums and reads the activation; `rows(c0, nRows, m0)` runs the epilogue `epi` on
   * rows [m0, m0 + nRows) at c0; `probesOut` writes the probe counters out as float64 (histogram:
   * the lanes' sub-histograms summed; per unit the saturated fraction of the product's M rows)
   * and zeroes them as it reads.
   */
  const epilogueOf = (f: Fn, d: Local, epi: Local, ldcB: Local, M: Local, N: Local) => {
    const act = f.local(T.i32), probeAct = f.local(T.i32), hb = f.local(T.i32), hp = f.local(T.i32), po = f.local(T.i32), pc = f.local(T.i32);
    const rows = (c0: Bytes, nRows: Bytes, m0: Bytes): Bytes => {
      const args = (fnName: string) => call(ids.get(fnName)!, d.get, c0, ldcB.get, nRows, N.get, m0);
      let actDispatch: Bytes = args(`epi_act${ACT.linear}`);
      for (const a of [ACT.leaky_relu, ACT.relu, ACT.tanh, ACT.sigmoid]) actDispatch = if_(i32.eq(act.get, i32.const(a)), [args(`epi_act${a}`)], [actDispatch]);
      let derivDispatch: Bytes = args(`epi_deriv${ACT.linear}`);
      for (const a of [ACT.leaky_relu, ACT.relu, ACT.tanh, ACT.sigmoid]) derivDispatch = if_(i32.eq(act.get, i32.const(a)), [args(`epi_deriv${a}`)], [derivDispatch]);
      return seq(
        if_(i32.eq(epi.get, i32.const(EPI.bias)), [args('epi_bias')]),
        if_(i32.eq(epi.get, i32.const(EPI.act)), [actDispatch]),
        if_(i32.eq(epi.get, i32.const(EPI.deriv)), [derivDispatch]),
        if_(i32.eq(epi.get, i32.const(EPI.grad)), [args('epi_grad')]),
      );
    };
    const setup = seq(
      act.set(if_value_i32(i32.eqz(d.get), i32.const(0), () => i32.load(d.get, DESC.act))),
      // the descriptor's sums start at 0 (the probe counters are zero already: read back as zeroed)
      if_(d.get, [f64.store(d.get, f64.const(0), DESC.sum), f64.store(d.get, f64.const(0), DESC.sumSq), f64.store(d.get, f64.const(0), DESC.sat)]),
      probeAct.set(i32.and(i32.eq(epi.get, i32.const(EPI.act)), i32.ne(if_value_i32(i32.eqz(d.get), i32.const(0), () => i32.load(d.get, DESC.probe)), i32.const(0)))),
    );
    // four counters at a time: four bins' lane sub-histograms summed by a transpose-and-add (or
    // four units' counts), converted to float64 two by two; the output arrays are padded to 4
    const v0 = f.local(T.v128), v1 = f.local(T.v128), v2 = f.local(T.v128), v3 = f.local(T.v128), s01 = f.local(T.v128), s23 = f.local(T.v128);
    const res = f.local(T.v128), inv = f.local(T.v128), cnt = f.local(T.f64), mean = f.local(T.f64);
    const store4 = (addr: Bytes, x: Local, div: boolean): Bytes[] => {
      const lo = f64x2.convert_low_i32x4_s(x.get), hi = f64x2.convert_low_i32x4_s(shuffle32(x.get, x.get, [2, 3, 2, 3]));
      return [po.set(addr), v128.store(po.get, div ? f64x2.div(lo, inv.get) : lo), v128.store(po.get, div ? f64x2.div(hi, inv.get) : hi, 16)];
    };
    const probesOut = if_(probeAct.get, [
      hp.set(i32.load(d.get, DESC.hist)),
      if_(i32.load(d.get, DESC.nibbles), [
        // counted in registers: the counters are in bin order already
        forLoop(hb, i32.const(0), i32.load(d.get, DESC.bins), i32.const(4),
          pc.set(i32.add(hp.get, i32.shl(hb.get, i32.const(2)))),
          res.set(v128.load(pc.get)),
          ...store4(i32.add(i32.load(d.get, DESC.histOut), i32.shl(hb.get, i32.const(3))), res, false),
          v128.store(pc.get, v128.zero())),
      ], [forLoop(hb, i32.const(0), i32.load(d.get, DESC.bins), i32.const(4),
        pc.set(i32.add(hp.get, i32.shl(hb.get, i32.const(4)))),
        v0.set(v128.load(pc.get)), v1.set(v128.load(pc.get, 16)), v2.set(v128.load(pc.get, 32)), v3.set(v128.load(pc.get, 48)),
        s01.set(i32x4.add(shuffle32(v0.get, v1.get, [0, 4, 1, 5]), shuffle32(v0.get, v1.get, [2, 6, 3, 7]))),
        s23.set(i32x4.add(shuffle32(v2.get, v3.get, [0, 4, 1, 5]), shuffle32(v2.get, v3.get, [2, 6, 3, 7]))),
        res.set(i32x4.add(shuffle32(s01.get, s23.get, [0, 1, 4, 5]), shuffle32(s01.get, s23.get, [2, 3, 6, 7]))),
        ...store4(i32.add(i32.load(d.get, DESC.histOut), i32.shl(hb.get, i32.const(3))), res, false),
        v128.store(pc.get, v128.zero()), v128.store(pc.get, v128.zero(), 16), v128.store(pc.get, v128.zero(), 32), v128.store(pc.get, v128.zero(), 48))]),
      hp.set(i32.load(d.get, DESC.units)),
      inv.set(f64x2.splat(f64.convert_i32_s(M.get))),
      forLoop(hb, i32.const(0), N.get, i32.const(4),
        pc.set(i32.add(hp.get, i32.shl(hb.get, i32.const(2)))),
        res.set(v128.load(pc.get)),
        ...store4(i32.add(i32.load(d.get, DESC.unitsOut), i32.shl(hb.get, i32.const(3))), res, true),
        v128.store(pc.get, v128.zero())),
      // a product in one part: its saturation, mean and std, as the TypeScript probe computes them
      po.set(i32.load(d.get, DESC.statsOut)),
      if_(po.get, [
        cnt.set(f64.convert_i32_s(i32.mul(M.get, N.get))),
        mean.set(f64.div(f64.load(d.get, DESC.sum), cnt.get)),
        f64.store(po.get, f64.div(f64.load(d.get, DESC.sat), cnt.get)),
        pc.set(i32.load(d.get, DESC.statsStride)),
        po.set(i32.add(po.get, pc.get)),
        f64.store(po.get, mean.get),
        po.set(i32.add(po.get, pc.get)),
        f64.store(po.get, f64.sqrt(f64.max(f64.sub(f64.div(f64.load(d.get, DESC.sumSq), cnt.get), f64.mul(mean.get, mean.get)), f64.const(0)))),
      ]),
    ]);
    return { setup, rows, probesOut };
  };

  /**
   * gemm(A, lda, B, ldb, C, ldc, M, N, K, epi, desc):  C[m, n] = Σ_k A[m,k]·B[n,k], m < M, n < N,
   * then the epilogue `epi` over each finished row. Leading dimensions in elements.
   */
  {
    const f = add(new Fn('gemm', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]));
    const [A, lda, B, ldb, C, ldc, M, N, K, epi, d] = f.params as Local[] as Local[];
    const ldaB = f.local(T.i32), ldbB = f.local(T.i32), ldcB = f.local(T.i32);
    const n0 = f.local(T.i32), n1 = f.local(T.i32), nc = f.local(T.i32), m = f.local(T.i32), n = f.local(T.i32), rows = f.local(T.i32);
    const cols = f.local(T.i32), pa = f.local(T.i32), pc = f.local(T.i32);
    const pB = f.local(T.i32), pC = f.local(T.i32), nEnd = f.local(T.i32);
    const whole = f.local(T.i32);
    const full = tileCode(f, GEMM_TILE_ROWS, GEMM_TILE_COLS, { pA: pa, ldaB, pB, ldbB, pC, ldcB, K: K! });
    const edgeCall = (R: Local, Cc: Local): Bytes => {
      const args = [pa.get, ldaB.get, i32.add(B!.get, i32.mul(n.get, ldbB.get)), ldbB.get, i32.add(pc.get, i32.shl(n.get, i32.const(2))), ldcB.get, K!.get];
      let code: Bytes = [];
      for (let rr = 1; rr <= GEMM_TILE_ROWS; rr++) {
        for (let cc = 1; cc <= GEMM_TILE_COLS; cc++) {
          if (rr === GEMM_TILE_ROWS && cc === GEMM_TILE_COLS) continue;
          code = seq(code, if_(i32.and(i32.eq(R.get, i32.const(rr)), i32.eq(Cc.get, i32.const(cc))), [call(tiles[rr]![cc]!, ...args)]));
        }
      }
      return code;
    };
    const ep = epilogueOf(f, d!, epi!, ldcB, M!, N!);
    f.body = seq(
      ldaB.set(i32.shl(lda!.get, i32.const(2))), ldbB.set(i32.shl(ldb!.get, i32.const(2))), ldcB.set(i32.shl(ldc!.get, i32.const(2))),
      ep.setup,
      // columns per chunk: the chunk's B rows fit CHUNK_BYTES; a multiple of the tile width
      nc.set(i32.mul(i32.div_s(i32.const(CHUNK_BYTES), i32.mul(i32.add(i32.shl(K!.get, i32.const(2)), i32.const(64)), i32.const(GEMM_TILE_COLS))), i32.const(GEMM_TILE_COLS))),
      if_(i32.lt_s(nc.get, i32.const(GEMM_TILE_COLS)), [nc.set(i32.const(GEMM_TILE_COLS))]),
      // 1: the epilogue runs once after the product (C small, no epilogue = 0 and none per block)
      whole.set(i32.and(i32.ne(epi!.get, i32.const(EPI.none)), i32.le_s(i32.mul(M!.get, N!.get), i32.const(4096)))),
      forLoop(n0, i32.const(0), N!.get, nc.get,
        n1.set(i32.add(n0.get, nc.get)),
        if_(i32.gt_s(n1.get, N!.get), [n1.set(N!.get)]),
        // the last column a full tile can start at, plus one
        nEnd.set(i32.sub(n1.get, i32.const(GEMM_TILE_COLS - 1))),
        forLoop(m, i32.const(0), M!.get, i32.const(GEMM_TILE_ROWS),
          rows.set(i32.sub(M!.get, m.get)),
          if_(i32.gt_s(rows.get, i32.const(GEMM_TILE_ROWS)), [rows.set(i32.const(GEMM_TILE_ROWS))]),
          pa.set(i32.add(A!.get, i32.mul(m.get, ldaB.get))),
          pc.set(i32.add(C!.get, i32.mul(m.get, ldcB.get))),
          n.set(n0.get),
          if_(i32.eq(rows.get, i32.const(GEMM_TILE_ROWS)), [
            forLoop(n, n0.get, nEnd.get, i32.const(GEMM_TILE_COLS),
              pB.set(i32.add(B!.get, i32.mul(n.get, ldbB.get))),
              pC.set(i32.add(pc.get, i32.shl(n.get, i32.const(2)))),
              full,
            ),
            // n: first column not covered by a full tile
            n.set(i32.add(n0.get, i32.mul(i32.div_s(i32.sub(n1.get, n0.get), i32.const(GEMM_TILE_COLS)), i32.const(GEMM_TILE_COLS)))),
          ]),
          // what is left of this row block: edge tiles of up to GEMM_TILE_COLS columns
          forLoop(n, n.get, n1.get, i32.const(GEMM_TILE_COLS),
            cols.set(i32.sub(n1.get, n.get)),
            if_(i32.gt_s(cols.get, i32.const(GEMM_TILE_COLS)), [cols.set(i32.const(GEMM_TILE_COLS))]),
            edgeCall(rows, cols),
          ),
          if_(i32.and(i32.eq(n1.get, N!.get), i32.eqz(whole.get)), [ep.rows(pc.get, rows.get, m.get)]),
        ),
      ),
      // a small product (all of C in L1) takes its epilogue in one call
      if_(whole.get, [ep.rows(C!.get, M!.get, i32.const(0))]),
      ep.probesOut,
    );
  }

  /**
   * spmm(A, lda, B, ldb, C, ldc, M, N, K, epi, desc, S):  C[m, n] = Σ_k A[m,k]·B[k,n] over the
   * k where A[m,k] ≠ 0 ("outer" form: B is [K, N], contiguous along n), then the epilogue `epi`
   * over all rows. For A with many exact zeros (ReLU outputs, and deltas masked by ReLU'): the
   * zeros' products are skipped, not computed. First the nonzeros are listed at S, per chunk of
   * SPMM_CHUNK k and per row: (k·ldb bytes, A[m,k]) pairs, after a table of where each chunk's
   * row lists start (spmmScratchBytes). Then for each group of columns and each chunk of k (its
   * B panel, SPMM_CHUNK x 4·SPMM_GROUP floats, stays in L1 across the rows), each row's
   * accumulators (SPMM_GROUP vectors) take one broadcast A[m,k] times B's row k per listed k,
   * and add into C after the first chunk. Every C[m,n] is summed in one fixed order (k rising,
   * chunk by chunk), whatever the column groups or a cut of the columns or rows into parts.
   */
  {
    const f = add(new Fn('spmm', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]));
    const [A, lda, B, ldb, C, ldc, M, N, K, epi, d, S] = f.params as Local[] as Local[];
    const ldaB = f.local(T.i32), ldbB = f.local(T.i32), ldcB = f.local(T.i32);
    const m = f.local(T.i32), q = f.local(T.i32), pa = f.local(T.i32), paEnd = f.local(T.i32), off = f.local(T.i32), v = f.local(T.f32);
    const n = f.local(T.i32), pb0 = f.local(T.i32), pc = f.local(T.i32), p = f.local(T.i32), pe = f.local(T.i32), pb = f.local(T.i32), rs = f.local(T.i32);
    const k0 = f.local(T.i32), k1 = f.local(T.i32), ps = f.local(T.i32), pa4 = f.local(T.i32), bits = f.local(T.i32), lane = f.local(T.i32), j = f.local(T.i32);
    const x = f.local(T.v128), sh = f.local(T.v128), offs = f.local(T.v128), vals = f.local(T.v128), offStep = f.local(T.v128);
    const tl = f.local(T.i32), a = f.local(T.v128), acc = f.localsOf(T.v128, SPMM_GROUP);
    const ep = epilogueOf(f, d!, epi!, ldcB, M!, N!);
    /** columns [n, n + 4V) (or the last L < 4 of them), every chunk and row; n advances past them */
    const group = (V: number, L = 4): Bytes => seq(
      pb0.set(i32.add(B!.get, i32.shl(n.get, i32.const(2)))),
      ps.set(i32.add(S!.get, i32.const(SPMM_STARTS))),
      forLoop(k0, i32.const(0), K!.get, i32.const(SPMM_CHUNK),
        pc.set(i32.add(C!.get, i32.shl(n.get, i32.const(2)))),
        forLoop(m, i32.const(0), M!.get, i32.const(1),
          p.set(i32.load(ps.get)),
          pe.set(i32.load(ps.get, 4)),
          ps.set(i32.add(ps.get, i32.const(4))),
          ...acc.slice(0, V).map((x, j) => x.set(if_value_v128(i32.eqz(k0.get), () => v128.zero(),
            () => loadPartial(pc.get, L, 16 * j)))),
          whileLoop(i32.lt_u(p.get, pe.get),
            a.set(v128.load32_splat(p.get, 4)),
            pb.set(i32.add(pb0.get, i32.load(p.get))),
            ...acc.slice(0, V).map((x, j) => x.set(fma(a.get, loadPartial(pb.get, L, 16 * j), x.get))),
            p.set(i32.add(p.get, i32.const(8))),
          ),
          ...acc.slice(0, V).flatMap((x, j) => storePartial(pc, x, L, 16 * j)),
          pc.set(i32.add(pc.get, ldcB.get)),
        ),
      ),
      n.set(i32.add(n.get, i32.const(L === 4 ? 4 * V : L))),
    );
    f.body = seq(
      ldaB.set(i32.shl(lda!.get, i32.const(2))), ldbB.set(i32.shl(ldb!.get, i32.const(2))), ldcB.set(i32.shl(ldc!.get, i32.const(2))),
      ep.setup,
      // the compaction table at S: for each 4-bit mask of nonzero lanes, the byte indices that
      // move those lanes to the front (in order)
      forLoop(bits, i32.const(0), i32.const(16), i32.const(1),
        j.set(i32.add(S!.get, i32.shl(bits.get, i32.const(4)))),
        forLoop(lane, i32.const(0), i32.const(4), i32.const(1),
          i32.store(j.get, i32.add(i32.const(0x03020100), i32.mul(lane.get, i32.const(0x04040404)))),
          j.set(i32.add(j.get, i32.shl(i32.and(i32.shr_u(bits.get, lane.get), i32.const(1)), i32.const(2)))),
        ),
      ),
      // the lists, chunk by chunk, row by row: a start per (chunk, row) and the end, then the
      // pairs from the next multiple of 8. Branch-free: 4 elements at a time, their nonzero
      // lanes moved to the front with their offsets, 4 pairs stored and the cursor advanced past
      // the nonzero ones (NaN and Inf are kept); the last k mod 4 one by one, the same way
      rs.set(i32.add(S!.get, i32.const(SPMM_STARTS))),
      q.set(i32.add(rs.get, i32.and(i32.add(i32.shl(i32.add(i32.mul(M!.get, i32.div_s(i32.add(K!.get, i32.const(SPMM_CHUNK - 1)), i32.const(SPMM_CHUNK))), i32.const(1)), i32.const(2)), i32.const(7)), i32.const(~7)))),
      offStep.set(i32x4.splat(i32.shl(ldbB.get, i32.const(2)))),
      forLoop(k0, i32.const(0), K!.get, i32.const(SPMM_CHUNK),
        k1.set(i32.add(k0.get, i32.const(SPMM_CHUNK))),
        if_(i32.gt_s(k1.get, K!.get), [k1.set(K!.get)]),
        forLoop(m, i32.const(0), M!.get, i32.const(1),
          i32.store(rs.get, q.get),
          rs.set(i32.add(rs.get, i32.const(4))),
          pa.set(i32.add(A!.get, i32.add(i32.mul(m.get, ldaB.get), i32.shl(k0.get, i32.const(2))))),
          paEnd.set(i32.add(pa.get, i32.shl(i32.sub(k1.get, k0.get), i32.const(2)))),
          off.set(i32.mul(k0.get, ldbB.get)),
          pa4.set(i32.add(pa.get, i32.and(i32.sub(paEnd.get, pa.get), i32.const(~15)))),
          offs.set(i32x4.add(i32x4.splat(off.get), i32x4.mul(i32x4.splat(ldbB.get), v128.const([0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0])))),
          whileLoop(i32.lt_u(pa.get, pa4.get),
            x.set(v128.load(pa.get)),
            bits.set(i32x4.bitmask(f32x4.ne(x.get, v128.zero()))),
            sh.set(v128.load(i32.add(S!.get, i32.shl(bits.get, i32.const(4))))),
            vals.set(swizzle(x.get, sh.get)),
            x.set(swizzle(offs.get, sh.get)),
            v128.store(q.get, shuffle32(x.get, vals.get, [0, 4, 1, 5])),
            v128.store(q.get, shuffle32(x.get, vals.get, [2, 6, 3, 7]), 16),
            q.set(i32.add(q.get, i32.shl(i32.popcnt(bits.get), i32.const(3)))),
            offs.set(i32x4.add(offs.get, offStep.get)),
            pa.set(i32.add(pa.get, i32.const(16))),
          ),
          off.set(i32x4.extract_lane(offs.get, 0)),
          whileLoop(i32.lt_u(pa.get, paEnd.get),
            v.set(f32.load(pa.get)),
            i32.store(q.get, off.get),
            f32.store(q.get, v.get, 4),
            q.set(i32.add(q.get, i32.shl(f32.ne(v.get, f32.const(0)), i32.const(3)))),
            off.set(i32.add(off.get, ldbB.get)),
            pa.set(i32.add(pa.get, i32.const(4))),
          ),
        ),
      ),
      i32.store(rs.get, q.get),
      n.set(i32.const(0)),
      whileLoop(i32.le_s(i32.add(n.get, i32.const(4 * SPMM_GROUP)), N!.get), group(SPMM_GROUP)),
      whileLoop(i32.le_s(i32.add(n.get, i32.const(16)), N!.get), group(4)),
      whileLoop(i32.le_s(i32.add(n.get, i32.const(4)), N!.get), group(1)),
      tl.set(i32.sub(N!.get, n.get)),
      tailSwitch(tl.get, (L) => [group(1, L)]),
      ep.rows(C!.get, M!.get, i32.const(0)),
      ep.probesOut,
    );
  }

  // ------------------------------------------------------------------ copy
  /** dst[r * ldd + c] = src[r * lds + c] for r < rows, c < cols (a matrix to another row stride) */
  {
    const f = add(new Fn('copy2d', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]));
    const [src, lds, dst, ldd, rows, cols] = f.params as Local[] as Local[];
    const r = f.local(T.i32), c4 = f.local(T.i32), ps = f.local(T.i32), pd = f.local(T.i32), pe = f.local(T.i32), v = f.local(T.v128), tl = f.local(T.i32);
    f.body = seq(
      c4.set(i32.shl(i32.and(cols!.get, i32.const(~3)), i32.const(2))),
      tl.set(i32.and(cols!.get, i32.const(3))),
      forLoop(r, i32.const(0), rows!.get, i32.const(1),
        ps.set(i32.add(src!.get, i32.shl(i32.mul(r.get, lds!.get), i32.const(2)))),
        pd.set(i32.add(dst!.get, i32.shl(i32.mul(r.get, ldd!.get), i32.const(2)))),
        pe.set(i32.add(ps.get, c4.get)),
        whileLoop(i32.lt_u(ps.get, pe.get),
          v128.store(pd.get, v128.load(ps.get)),
          ps.set(i32.add(ps.get, i32.const(16))), pd.set(i32.add(pd.get, i32.const(16)))),
        tailSwitch(tl.get, (L) => [v.set(loadPartial(ps.get, L)), ...storePartial(pd, v, L)]),
      ),
    );
  }

  // ------------------------------------------------------------------ transpose
  /** dst[c * ldd + r] = src[r * lds + c] for r < rows, c < cols (4x4 blocks in registers) */
  {
    const f = add(new Fn('transpose', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]));
    const [src, lds, dst, ldd, rows, cols] = f.params as Local[] as Local[];
    const r = f.local(T.i32), c = f.local(T.i32), r4 = f.local(T.i32), c4 = f.local(T.i32), ldsB = f.local(T.i32), lddB = f.local(T.i32);
    const ps = f.local(T.i32), pd = f.local(T.i32);
    const x = f.localsOf(T.v128, 4), t = f.localsOf(T.v128, 4);
    f.body = seq(
      ldsB.set(i32.shl(lds!.get, i32.const(2))), lddB.set(i32.shl(ldd!.get, i32.const(2))),
      r4.set(i32.and(rows!.get, i32.const(~3))), c4.set(i32.and(cols!.get, i32.const(~3))),
      forLoop(r, i32.const(0), r4.get, i32.const(4),
        forLoop(c, i32.const(0), c4.get, i32.const(4),
          ps.set(i32.add(src!.get, i32.add(i32.mul(r.get, ldsB.get), i32.shl(c.get, i32.const(2))))),
          ...x.map((v, i) => v.set(v128.load(i === 0 ? ps.get : i32.add(ps.get, i32.mul(ldsB.get, i32.const(i)))))),
          t[0]!.set(shuffle32(x[0]!.get, x[1]!.get, [0, 4, 1, 5])),
          t[1]!.set(shuffle32(x[0]!.get, x[1]!.get, [2, 6, 3, 7])),
          t[2]!.set(shuffle32(x[2]!.get, x[3]!.get, [0, 4, 1, 5])),
          t[3]!.set(shuffle32(x[2]!.get, x[3]!.get, [2, 6, 3, 7])),
          pd.set(i32.add(dst!.get, i32.add(i32.mul(c.get, lddB.get), i32.shl(r.get, i32.const(2))))),
          v128.store(pd.get, shuffle32(t[0]!.get, t[2]!.get, [0, 1, 4, 5])),
          v128.store(i32.add(pd.get, lddB.get), shuffle32(t[0]!.get, t[2]!.get, [2, 3, 6, 7])),
          v128.store(i32.add(pd.get, i32.shl(lddB.get, i32.const(1))), shuffle32(t[1]!.get, t[3]!.get, [0, 1, 4, 5])),
          v128.store(i32.add(pd.get, i32.mul(lddB.get, i32.const(3))), shuffle32(t[1]!.get, t[3]!.get, [2, 3, 6, 7])),
        ),
        // columns c4..cols of these 4 rows
        forLoop(c, c4.get, cols!.get, i32.const(1),
          ...[0, 1, 2, 3].map((i) => f32.store(
            i32.add(dst!.get, i32.add(i32.mul(c.get, lddB.get), i32.shl(i32.add(r.get, i32.const(i)), i32.const(2)))),
            f32.load(i32.add(src!.get, i32.add(i32.mul(i32.add(r.get, i32.const(i)), ldsB.get), i32.shl(c.get, i32.const(2)))))))),
      ),
      forLoop(r, r4.get, rows!.get, i32.const(1),
        forLoop(c, i32.const(0), cols!.get, i32.const(1),
          f32.store(i32.add(dst!.get, i32.add(i32.mul(c.get, lddB.get), i32.shl(r.get, i32.const(2)))),
            f32.load(i32.add(src!.get, i32.add(i32.mul(r.get, ldsB.get), i32.shl(c.get, i32.const(2)))))))),
    );
  }

  // ------------------------------------------------------------------ bias gradient
  /**
   * out[n] = Σ_m D[m, n] (in order of m, as the TypeScript path); Σ out² (float64) stored at `res`
   * (not returned: JavaScript boxes a float64 result of a call it does not inline)
   */
  {
    const f = add(new Fn('colsum', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]));
    const [D, ldd, M, N, out, res] = f.params as Local[] as Local[];
    const m = f.local(T.i32), j = f.local(T.i32), p = f.local(T.i32), lddB = f.local(T.i32), n4 = f.local(T.i32), po = f.local(T.i32);
    const s = f.local(T.v128), ss = f.local(T.v128), t64 = f.local(T.v128);
    const col = (L: number): Bytes[] => [
      s.set(v128.zero()),
      p.set(i32.add(D!.get, i32.shl(j.get, i32.const(2)))),
      forLoop(m, i32.const(0), M!.get, i32.const(1), s.set(f32x4.add(s.get, loadPartial(p.get, L))), p.set(i32.add(p.get, lddB.get))),
      po.set(i32.add(out!.get, i32.shl(j.get, i32.const(2)))),
      ...storePartial(po, s, L),
      ...f64SumSq(ss, s, t64),
    ];
    f.body = seq(
      lddB.set(i32.shl(ldd!.get, i32.const(2))), n4.set(i32.and(N!.get, i32.const(~3))), ss.set(v128.zero()),
      forLoop(j, i32.const(0), n4.get, i32.const(4), ...col(4)),
      j.set(n4.get),
      tailSwitch(i32.and(N!.get, i32.const(3)), col),
      f64.store(res!.get, hsum64(ss)),
    );
  }

  // ------------------------------------------------------------------ optimizers
  // One call steps every layer: `table` holds per layer (16 bytes) the element ranges of its
  // weights [lo, wEnd) and biases [wEnd, end) in P, G and the state arrays, and a pointer to the
  // layer's float64 slot in three arrays of `layers` slots. With `measure`, the weights' pass also
  // stores ‖ΔW‖², ‖W‖² (before the step) and ‖dW‖² there, one in each array (dW is read here
  // anyway: no pass of its own); biases are never measured.
  /** per optimizer kernel: its i32 arguments after the seven they share (the helper reads them so) */
  const optInts = new Map<string, number>();
  const optimizer = (name: string, extra: ('i32' | keyof typeof OPT_COEF)[], update: (f: Fn, w: Local, g: Local, i: Local, L: number, extraL: Local[], delta: Local) => Bytes[], deltaIsLrG = false) => {
    const ints = extra.filter((e) => e === 'i32').length;
    optInts.set(name, ints);
    const f = add(new Fn(name, [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, ...Array<T>(ints).fill(T.i32)]));
    const [P, G, table, layers, measureFlag, coef, state, ...intParams] = f.params as Local[];
    // the float arguments from the coefficient block, into locals (the update reads them as before)
    const lr = f.local(T.f32);
    const loads: Bytes[] = [lr.set(f32.load(coef!.get, 4 * OPT_COEF.lr))];
    let nextInt = 0;
    const rest = extra.map((e) => {
      if (e === 'i32') return intParams[nextInt++]!;
      const l = f.local(T.f32);
      loads.push(l.set(f32.load(coef!.get, 4 * OPT_COEF[e])));
      return l;
    });
    const i = f.local(T.i32), pw = f.local(T.i32), w = f.local(T.v128), g = f.local(T.v128), dlt = f.local(T.v128), gsq = f.local(T.f64);
    const su = sqAcc(f), sw = sqAcc(f), sg = sqAcc(f), end4 = f.local(T.i32), end8 = f.local(T.i32), lo = f.local(T.i32), hi = f.local(T.i32), k = f.local(T.i32), row = f.local(T.i32), np = f.local(T.i32);
    const body = (L: number, measure: boolean, slot = 0, counted = true): Bytes[] => {
      const out: Bytes[] = [
        w.set(loadPartial(i32.add(P!.get, i32.shl(i.get, i32.const(2))), L)),
        g.set(loadPartial(i32.add(G!.get, i32.shl(i.get, i32.const(2))), L)),
        ...update(f, w, g, i, L, [lr, state!, ...rest], dlt),
      ];
      // with Δ = lr·g, ‖Δ‖² is lr²‖g‖²: no sum of its own
      if (measure && counted) out.push(...sw.add(w.get, slot), ...(deltaIsLrG ? [] : su.add(dlt.get, slot)), ...sg.add(g.get, slot));
      if (measure && !counted) out.push(...sw.addUncounted(w.get, slot), ...(deltaIsLrG ? [] : su.addUncounted(dlt.get, slot)), ...sg.addUncounted(g.get, slot));
      out.push(pw.set(i32.add(P!.get, i32.shl(i.get, i32.const(2)))), w.set(f32x4.sub(w.get, dlt.get)), ...storePartial(pw, w, L));
      return out;
    };
    const blockEnd = f.local(T.i32);
    const run = (measure: boolean): Bytes[] => [
      end4.set(i32.add(lo.get, i32.and(i32.sub(hi.get, lo.get), i32.const(~3)))),
      end8.set(i32.add(lo.get, i32.and(i32.sub(hi.get, lo.get), i32.const(~7)))),
      ...(measure
        ? [
          // blocks of 256 elements (64 vectors) then a flush: no per-vector counter
          i.set(lo.get),
          whileLoop(i32.lt_s(i.get, end8.get),
            blockEnd.set(i32.add(i.get, i32.const(256))),
            if_(i32.gt_s(blockEnd.get, end8.get), [blockEnd.set(end8.get)]),
            whileLoop(i32.lt_s(i.get, blockEnd.get),
              ...body(4, true, 0, false), i.set(i32.add(i.get, i32.const(4))), ...body(4, true, 1, false), i.set(i32.add(i.get, i32.const(4)))),
            ...sw.flush(), ...(deltaIsLrG ? [] : su.flush()), ...sg.flush()),
        ]
        : [forLoop(i, lo.get, end8.get, i32.const(8), ...body(4, false), i.set(i32.add(i.get, i32.const(4))), ...body(4, false), i.set(i32.sub(i.get, i32.const(4))))]),
      i.set(end8.get),
      if_(i32.ne(end4.get, end8.get), [...body(4, measure), i.set(end4.get)]),
      tailSwitch(i32.sub(hi.get, i.get), (L) => body(L, measure)),
    ];
    f.body = seq(
      ...loads,
      forLoop(k, i32.const(0), layers!.get, i32.const(1),
        row.set(i32.add(table!.get, i32.shl(k.get, i32.const(4)))),
        lo.set(i32.load(row.get, 0)), hi.set(i32.load(row.get, 4)),
        if_(measureFlag!.get, [
          ...(deltaIsLrG ? [] : su.init()), ...sw.init(), ...sg.init(),
          ...run(true),
          // the layer's ‖ΔW‖², then ‖W‖² and ‖dW‖² in the arrays after it (L float64 each)
          np.set(i32.load(row.get, 12)),
          gsq.set(sg.total()),
          f64.store(np.get, deltaIsLrG ? f64.mul(f64.mul(f64.promote_f32(lr!.get), f64.promote_f32(lr!.get)), gsq.get) : su.total(), 0),
          np.set(i32.add(np.get, i32.shl(layers!.get, i32.const(3)))),
          f64.store(np.get, sw.total(), 0),
          np.set(i32.add(np.get, i32.shl(layers!.get, i32.const(3)))),
          f64.store(np.get, gsq.get, 0),
        ], run(false)),
        lo.set(i32.load(row.get, 4)), hi.set(i32.load(row.get, 8)),
        ...run(false),
      ),
    );
  };
  // sgd: Δ = lr·g
  optimizer('sgd', [], (_f, _w, g, _i, _L, [lr], d) => [d.set(f32x4.mul(f32x4.splat(lr!.get), g.get))], true);
  // momentum: v = μv + g; Δ = lr·v (Nesterov: lr·(g + μv)). extra: mu (coefficient), nesterov (i32); state = V
  optimizer('momentum', ['mu', 'i32'], (f, _w, g, i, L, [lr, V, mu, nest], d) => {
    const v = f.local(T.v128), pv = f.local(T.i32);
    return [
      pv.set(i32.add(V!.get, i32.shl(i.get, i32.const(2)))),
      v.set(fma(f32x4.splat(mu!.get), loadPartial(pv.get, L), g.get)),
      ...storePartial(pv, v, L),
      d.set(f32x4.mul(f32x4.splat(lr!.get), if_value_v128(nest!.get, () => fma(f32x4.splat(mu!.get), v.get, g.get), () => v.get))),
    ];
  });
  // adam: m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²; Δ = lr·c1·m / (√(c2·v) + ε). state = V; extra: M (i32), b1, b2, eps, c1, c2 (coefficients)
  optimizer('adam', ['i32', 'b1', 'b2', 'eps', 'c1', 'c2'], (f, _w, g, i, L, [lr, V, Mo, b1, b2, eps, c1, c2], d) => {
    const mv = f.local(T.v128), vv = f.local(T.v128), pm = f.local(T.i32), pv = f.local(T.i32);
    return [
      pm.set(i32.add(Mo!.get, i32.shl(i.get, i32.const(2)))),
      pv.set(i32.add(V!.get, i32.shl(i.get, i32.const(2)))),
      mv.set(f32x4.add(f32x4.mul(f32x4.splat(b1!.get), loadPartial(pm.get, L)), f32x4.mul(f32x4.splat(f32.sub(f32.const(1), b1!.get)), g.get))),
      vv.set(f32x4.add(f32x4.mul(f32x4.splat(b2!.get), loadPartial(pv.get, L)), f32x4.mul(f32x4.splat(f32.sub(f32.const(1), b2!.get)), f32x4.mul(g.get, g.get)))),
      ...storePartial(pm, mv, L),
      ...storePartial(pv, vv, L),
      d.set(f32x4.div(f32x4.mul(f32x4.splat(f32.mul(lr!.get, c1!.get)), mv.get),
        f32x4.add(f32x4.sqrt(f32x4.mul(f32x4.splat(c2!.get), vv.get)), f32x4.splat(eps!.get)))),
    ];
  });

  // ------------------------------------------------------------------ the helper thread
  if (o.shared) {
    /**
     * helper(ctrl): wait for a task (spin, then sleep on the futex), run it, publish `done`,
     * repeat until the exit task. The arguments are read from the control block as i32 or f32.
     */
    const f = add(new Fn('helper', [T.i32]));
    const [ctrl] = f.params as [Local];
    const seen = f.local(T.i32), spins = f.local(T.i32), kind = f.local(T.i32), cur = f.local(T.i32);
    const ai = (i: number) => i32.load(ctrl.get, CTRL.args + 4 * i);
    const ints = (n: number) => Array.from({ length: n }, (_, i) => ai(i));
    const optArgs = (name: string) => ints(7 + optInts.get(name)!);
    f.body = seq(
      // start from the last finished task: a task posted before this thread came up is still pending
      seen.set(i32.atomic_load(ctrl.get, CTRL.done)),
      block(loop(
        // wait for seq != seen
        spins.set(i32.const(HELPER_SPINS)),
        block(loop(
          cur.set(i32.atomic_load(ctrl.get, CTRL.seq)),
          br_if(1, i32.ne(cur.get, seen.get)),
          spins.set(i32.sub(spins.get, i32.const(1))),
          if_(i32.le_s(spins.get, i32.const(0)), [
            drop(memory.wait32(i32.add(ctrl.get, i32.const(CTRL.seq)), seen.get, i64.const(-1))),
            spins.set(i32.const(HELPER_SPINS)),
          ]),
          br(0),
        )),
        seen.set(cur.get),
        kind.set(i32.load(ctrl.get, CTRL.kind)),
        br_if(1, i32.eq(kind.get, i32.const(TASK.exit))),
        if_(i32.eq(kind.get, i32.const(TASK.gemm)), [call(ids.get('gemm')!, ...ints(11))]),
        if_(i32.eq(kind.get, i32.const(TASK.transpose)), [call(ids.get('transpose')!, ...ints(6))]),
        if_(i32.eq(kind.get, i32.const(TASK.spmm)), [call(ids.get('spmm')!, ...ints(12))]),
        if_(i32.eq(kind.get, i32.const(TASK.sgd)), [call(ids.get('sgd')!, ...optArgs('sgd'))]),
        if_(i32.eq(kind.get, i32.const(TASK.momentum)), [call(ids.get('momentum')!, ...optArgs('momentum'))]),
        if_(i32.eq(kind.get, i32.const(TASK.adam)), [call(ids.get('adam')!, ...optArgs('adam'))]),
        i32.atomic_store(ctrl.get, seen.get, CTRL.done),
        drop(memory.notify(i32.add(ctrl.get, i32.const(CTRL.done)), i32.const(1))),
        br(0),
      )),
      i32.atomic_store(ctrl.get, seen.get, CTRL.done),
      drop(memory.notify(i32.add(ctrl.get, i32.const(CTRL.done)), i32.const(1))),
    );
  }

  return fns;
}

/** switch on a tail length 1..3 (0 does nothing) */
function tailSwitch(len: Bytes, body: (L: number) => Bytes[]): Bytes {
  // evaluate len once through a block-local trick: the callers pass cheap expressions
  return seq(
    if_(i32.eq(len, i32.const(1)), body(1)),
    if_(i32.eq(len, i32.const(2)), body(2)),
    if_(i32.eq(len, i32.const(3)), body(3)),
  );
}

/** cond ? a : b for i32 values, b computed lazily (an if with a result) */
function if_value_i32(cond: Bytes, a: Bytes, b: () => Bytes): Bytes {
  return [...cond, 0x04, T.i32, ...a, 0x05, ...b(), 0x0b];
}
function if_value_v128(cond: Bytes, a: () => Bytes, b: () => Bytes): Bytes {
  return [...cond, 0x04, T.v128, ...a(), 0x05, ...b(), 0x0b];
}
