/**
 * The optimizers' steps. One call steps every layer: `table` holds per layer (16 bytes) the
 * element ranges of its weights [lo, wEnd) and biases [wEnd, end) in P, G and the state arrays,
 * and a pointer to the layer's float64 slot in three arrays of `layers` slots. With `measure`, the
 * weights' pass also stores ‖ΔW‖², ‖W‖² (before the step) and ‖dW‖² there, one in each array (dW
 * is read here anyway: no pass of its own); biases are never measured. The float arguments (the
 * learning rate, the coefficients) are float32 in a block of memory (OPT_COEF) at `coef`.
 */
import { f32, f32x4, f64, Fn, forLoop, i32, if_, seq, T, whileLoop, type Bytes, type Local } from '../encoder';
import { OPT_COEF } from '../abi';
import { if_value_v128, loadPartial, sqAcc, storePartial, tailSwitch, type KernelContext } from './common';

/**
 * One optimizer kernel `name`: `extra` lists its arguments after the seven they all take (i32, or
 * a coefficient's slot in the float block), `update` the code of Δ (and of the state) for a
 * vector w, g at element i. Returns how many i32 arguments it takes after the seven.
 */
function emitOptimizer(ctx: KernelContext, name: string, extra: ('i32' | keyof typeof OPT_COEF)[], update: (f: Fn, w: Local, g: Local, i: Local, L: number, extraL: Local[], delta: Local) => Bytes[], deltaIsLrG = false): number {
  const { add } = ctx;
  const ints = extra.filter((e) => e === 'i32').length;
  const f = add(new Fn(name, [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, ...Array<T>(ints).fill(T.i32)]));
  const [P, G, table, layers, measureFlag, coef, state, ...intParams] = f.params as Local[];
  // the float arguments from the coefficient block, into locals (the update reads those)
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
  const su = sqAcc(ctx, f), sw = sqAcc(ctx, f), sg = sqAcc(ctx, f), end4 = f.local(T.i32), end8 = f.local(T.i32), lo = f.local(T.i32), hi = f.local(T.i32), k = f.local(T.i32), row = f.local(T.i32), np = f.local(T.i32);
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
  return ints;
}

/**
 * sgd, momentum and adam. Returns per kernel its i32 arguments after the seven they share (the
 * helper thread reads them so).
 */
export function emitOptimizers(ctx: KernelContext): Map<string, number> {
  const { fma } = ctx;
  const optInts = new Map<string, number>();
  // sgd: Δ = lr·g
  optInts.set('sgd', emitOptimizer(ctx, 'sgd', [], (_f, _w, g, _i, _L, [lr], d) => [d.set(f32x4.mul(f32x4.splat(lr!.get), g.get))], true));
  // momentum: v = μv + g; Δ = lr·v (Nesterov: lr·(g + μv)). extra: mu (coefficient), nesterov (i32); state = V
  optInts.set('momentum', emitOptimizer(ctx, 'momentum', ['mu', 'i32'], (f, _w, g, i, L, [lr, V, mu, nest], d) => {
    const v = f.local(T.v128), pv = f.local(T.i32);
    return [
      pv.set(i32.add(V!.get, i32.shl(i.get, i32.const(2)))),
      v.set(fma(f32x4.splat(mu!.get), loadPartial(pv.get, L), g.get)),
      ...storePartial(pv, v, L),
      d.set(f32x4.mul(f32x4.splat(lr!.get), if_value_v128(nest!.get, () => fma(f32x4.splat(mu!.get), v.get, g.get), () => v.get))),
    ];
  }));
  // adam: m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²; Δ = lr·c1·m / (√(c2·v) + ε). state = V; extra: M (i32), b1, b2, eps, c1, c2 (coefficients)
  optInts.set('adam', emitOptimizer(ctx, 'adam', ['i32', 'b1', 'b2', 'eps', 'c1', 'c2'], (f, _w, g, i, L, [lr, V, Mo, b1, b2, eps, c1, c2], d) => {
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
  }));
  return optInts;
}
