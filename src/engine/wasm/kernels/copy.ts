/**
 * Moving matrices: copy2d (to another row stride) and transpose (4x4 blocks in registers), for
 * the products' operands (network-wasm.ts).
 */
import { f32, Fn, forLoop, i32, seq, shuffle32, T, v128, whileLoop, type Local } from '../encoder';
import { loadPartial, storePartial, tailSwitch, type KernelContext } from './common';

/** copy2d, then transpose. */
export function emitCopies(ctx: KernelContext): void {
  emitCopy2d(ctx);
  emitTranspose(ctx);
}

/** dst[r * ldd + c] = src[r * lds + c] for r < rows, c < cols (a matrix to another row stride) */
function emitCopy2d(ctx: KernelContext): void {
  const { add } = ctx;
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

/** dst[c * ldd + r] = src[r * lds + c] for r < rows, c < cols (4x4 blocks in registers) */
function emitTranspose(ctx: KernelContext): void {
  const { add } = ctx;
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
