/**
 * The matrix products: `gemm`, dense, in "dot" form C[m, n] = Σ_k A[m, k] · B[n, k] with a
 * GEMM_TILE_ROWS x GEMM_TILE_COLS register tile (4 x 2: 8 accumulators of 4 lanes; the k loop
 * loads 4 + 2 vectors for 8 multiply-adds: V8 hoists a tile's loads, and this is the largest tile
 * whose accumulators and loads fit the 16 vector registers without spills) and a
 * transpose-and-add reduction of the lanes at the end of each dot product; and `spmm`, in "outer"
 * form over A's nonzeros only, for A holding ReLU's exact zeros (network-wasm.ts picks). The three
 * products of a layer map onto gemm as
 *   forward     z  = a · Wᵀ            A = a [M, in],   B = W  [out, in]
 *   input grad  g  = δ · W             A = δ [M, out],  B = Wᵀ [in, out]   (W transposed first)
 *   weight grad dW = δᵀ · a            A = δᵀ [out, M], B = aᵀ [in, M]     (both transposed first)
 * The transposes cost O(M·n) against the product's O(M·n·n'). Columns are processed in chunks
 * whose B rows fit the L2 cache; every dot product is still computed whole, in one fixed order,
 * so results do not depend on the chunking.
 *
 * After the last chunk of a block of 4 rows (or once, for a product that fits L1), a product
 * runs its epilogue (epilogues.ts) over those rows while they are in L1.
 */
import { call, f32, f32x4, f64, f64x2, Fn, forLoop, i32, i32x4, if_, seq, shuffle32, swizzle, T, v128, whileLoop, type Bytes, type Local } from '../encoder';
import { ACT, DESC, EPI, GEMM_TILE_COLS, GEMM_TILE_ROWS, SPMM_CHUNK, SPMM_GROUP, SPMM_STARTS } from '../abi';
import { if_value_i32, if_value_v128, loadPartial, storePartial, tailSwitch, type KernelContext } from './common';

/** bytes of B rows per column chunk: about a third of a 1 MB L2 */
const CHUNK_BYTES = 384 * 1024;

/** The products' functions, in module order: the edge tiles, gemm, spmm (the epilogues come before them). */
export function emitProducts(ctx: KernelContext): void {
  const tiles = emitTiles(ctx);
  emitGemm(ctx, tiles);
  emitSpmm(ctx);
}

/**
 * Code of one register tile: rows [m, m+R) x columns [n, n+C) of C = Σ_k A[m,k]·B[n,k].
 * Accumulators hold 4 lanes of k each; at the end, for each column, a transpose-and-add of
 * the R row accumulators gives the column's R results as one vector.
 * Locals: pA (A row m), pB (B row n), pC (C[m, n]) byte pointers; strides in bytes; K elements.
 */
interface TileLocals { pA: Local; ldaB: Local; pB: Local; ldbB: Local; pC: Local; ldcB: Local; K: Local }
const tileCode = (ctx: KernelContext, f: Fn, R: number, C: number, t: TileLocals): Bytes => {
  const { fma } = ctx;
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
/** The edge tiles (fewer rows or columns) as functions, their indices by [rows][cols]; the full tile is inlined in gemm. */
function emitTiles(ctx: KernelContext): number[][] {
  const { add } = ctx;
  const tiles: number[][] = [];
  for (let R = 1; R <= GEMM_TILE_ROWS; R++) {
    tiles[R] = [];
    for (let C = 1; C <= GEMM_TILE_COLS; C++) {
      if (R === GEMM_TILE_ROWS && C === GEMM_TILE_COLS) continue;
      const f = add(new Fn(`tile${R}x${C}`, [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]), false);
      const [pA, ldaB, pB, ldbB, pC, ldcB, K] = f.params as [Local, Local, Local, Local, Local, Local, Local];
      f.body = tileCode(ctx, f, R, C, { pA, ldaB, pB, ldbB, pC, ldcB, K });
      tiles[R]![C] = ctx.id(f.name);
    }
  }
  return tiles;
}

/**
 * The epilogue a product runs on its finished rows, shared by gemm and spmm: `setup` zeroes the
 * descriptor's sums and reads the activation; `rows(c0, nRows, m0)` runs the epilogue `epi` on
 * rows [m0, m0 + nRows) at c0; `probesOut` writes the probe counters out as float64 (histogram:
 * the lanes' sub-histograms summed; per unit the saturated fraction of the product's M rows)
 * and zeroes them as it reads.
 */
const epilogueOf = (ctx: KernelContext, f: Fn, d: Local, epi: Local, ldcB: Local, M: Local, N: Local) => {
  const act = f.local(T.i32), probeAct = f.local(T.i32), hb = f.local(T.i32), hp = f.local(T.i32), po = f.local(T.i32), pc = f.local(T.i32);
  const rows = (c0: Bytes, nRows: Bytes, m0: Bytes): Bytes => {
    const args = (fnName: string) => call(ctx.id(fnName), d.get, c0, ldcB.get, nRows, N.get, m0);
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
function emitGemm(ctx: KernelContext, tiles: number[][]): void {
  const { add } = ctx;
  const f = add(new Fn('gemm', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]));
  const [A, lda, B, ldb, C, ldc, M, N, K, epi, d] = f.params as Local[] as Local[];
  const ldaB = f.local(T.i32), ldbB = f.local(T.i32), ldcB = f.local(T.i32);
  const n0 = f.local(T.i32), n1 = f.local(T.i32), nc = f.local(T.i32), m = f.local(T.i32), n = f.local(T.i32), rows = f.local(T.i32);
  const cols = f.local(T.i32), pa = f.local(T.i32), pc = f.local(T.i32);
  const pB = f.local(T.i32), pC = f.local(T.i32), nEnd = f.local(T.i32);
  const whole = f.local(T.i32);
  const full = tileCode(ctx, f, GEMM_TILE_ROWS, GEMM_TILE_COLS, { pA: pa, ldaB, pB, ldbB, pC, ldcB, K: K! });
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
  const ep = epilogueOf(ctx, f, d!, epi!, ldcB, M!, N!);
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
function emitSpmm(ctx: KernelContext): void {
  const { add, fma } = ctx;
  const f = add(new Fn('spmm', [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32]));
  const [A, lda, B, ldb, C, ldc, M, N, K, epi, d, S] = f.params as Local[] as Local[];
  const ldaB = f.local(T.i32), ldbB = f.local(T.i32), ldcB = f.local(T.i32);
  const m = f.local(T.i32), q = f.local(T.i32), pa = f.local(T.i32), paEnd = f.local(T.i32), off = f.local(T.i32), v = f.local(T.f32);
  const n = f.local(T.i32), pb0 = f.local(T.i32), pc = f.local(T.i32), p = f.local(T.i32), pe = f.local(T.i32), pb = f.local(T.i32), rs = f.local(T.i32);
  const k0 = f.local(T.i32), k1 = f.local(T.i32), ps = f.local(T.i32), pa4 = f.local(T.i32), bits = f.local(T.i32), lane = f.local(T.i32), j = f.local(T.i32);
  const x = f.local(T.v128), sh = f.local(T.v128), offs = f.local(T.v128), vals = f.local(T.v128), offStep = f.local(T.v128);
  const tl = f.local(T.i32), a = f.local(T.v128), acc = f.localsOf(T.v128, SPMM_GROUP);
  const ep = epilogueOf(ctx, f, d!, epi!, ldcB, M!, N!);
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
