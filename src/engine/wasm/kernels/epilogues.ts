/**
 * The epilogues: what a product (gemm, spmm) runs over its finished rows while they are in L1.
 * forward: z + bias (output layer), or a = f(z + bias) with Σa and the probes (hidden layers, one
 * function per activation); input gradient: δ ⊙ f'(a) with ‖δ‖² (one per activation); weight
 * gradient: dW + λW. The products call them through the dispatch of gemm.ts (epilogueOf).
 */
import { f32, f32x4, f64, Fn, forLoop, i16x8, i32, i32x4, i8x16, if_, seq, shuffle, T, v128, whileLoop, type Bytes, type Local } from '../encoder';
import { histogramRange } from '../../activations';
import type { HiddenActivation } from '../../types';
import { ACT, DESC } from '../abi';
import { laneMask, loadPartial, sqAcc, storePartial, tailSwitch, type KernelContext } from './common';
import { activate, derivMul, satMask } from './math';

const ACT_NAME = Object.fromEntries(Object.entries(ACT).map(([k, v]) => [v, k])) as Record<number, HiddenActivation>;
/** the activation codes, in the order of their functions in the module */
const ACTS = [ACT.sigmoid, ACT.tanh, ACT.relu, ACT.leaky_relu, ACT.linear];

/** The epilogue functions, in module order: epi_bias, epi_act<code>..., epi_deriv<code>..., epi_grad. */
export function emitEpilogues(ctx: KernelContext): void {
  emitBias(ctx);
  for (const act of ACTS) emitAct(ctx, act);
  for (const act of ACTS) emitDeriv(ctx, act);
  emitGrad(ctx);
}

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
function emitBias(ctx: KernelContext): void {
  const { add } = ctx;
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
function emitAct(ctx: KernelContext, act: number): void {
  const { add } = ctx;
  const f = add(new Fn(`epi_act${act}`, EPI_PARAMS), false);
  const [d, c, ldcB, rows, n] = f.params as EpiParams;
  // the histogram's fixed range (network-layout.ts writes the same lo into the descriptor)
  const lo0 = histogramRange(ACT_NAME[act]!)[0] === 0;
  // outputs within the range (sigmoid, tanh): x = hi lands on bin `bins`, which the nibble
  // table folds into the last bin, so no clamp at bins - 1 is needed there
  const bounded = act === ACT.sigmoid || act === ACT.tanh;
  const p = f.local(T.i32), b = f.local(T.i32), b0 = f.local(T.i32), u0 = f.local(T.i32);
  const z = f.local(T.v128), a = f.local(T.v128), s = f.local(T.v128), slope = f.local(T.v128), mask = f.local(T.v128), satAcc = f.local(T.v128);
  const sumSq = sqAcc(ctx, f), sum = sqAcc(ctx, f);
  const lo = f.local(T.v128), scale = f.local(T.v128), hv = f.local(T.v128), unitAcc = f.local(T.v128);
  const bin = f.local(T.v128), tmp = f.local(T.i32), maxBin = f.local(T.v128);
  const j = f.local(T.i32), r = f.local(T.i32), rEnd = f.local(T.i32), rEnd6 = f.local(T.i32), rows2 = f.local(T.i32), n4 = f.local(T.i32), q = f.local(T.i32);
  const nib = [f.local(T.v128), f.local(T.v128)], evenB = f.local(T.v128), oddB = f.local(T.v128), nibFlushes = f.local(T.i32);
  const w16 = f.local(T.v128), hp = f.local(T.i32);
  const actBody = (L: number, slot: number): Bytes[] => {
    const out: Bytes[] = [
      z.set(f32x4.add(loadPartial(p.get, L), loadPartial(b.get, L))),
      ...activate(ctx, f, act, z, a, slope),
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
function emitDeriv(ctx: KernelContext, act: number): void {
  const { add } = ctx;
  const f = add(new Fn(`epi_deriv${act}`, EPI_PARAMS), false);
  const [d, c, ldcB, rows, n, m0] = f.params as EpiParams;
  const p = f.local(T.i32), q = f.local(T.i32);
  const g = f.local(T.v128), a = f.local(T.v128), slope = f.local(T.v128), ss = sqAcc(ctx, f);
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
function emitGrad(ctx: KernelContext): void {
  const { add, fma } = ctx;
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
