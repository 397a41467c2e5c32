/**
 * The bias gradient: column sums of δ, with their squared norm for the probes.
 */
import { f32x4, f64, Fn, forLoop, i32, seq, T, v128, type Bytes, type Local } from '../encoder';
import { f64SumSq, hsum64, loadPartial, storePartial, tailSwitch, type KernelContext } from './common';

/**
 * out[n] = Σ_m D[m, n] (in order of m, as the TypeScript path); Σ out² (float64) stored at `res`
 * (not returned: JavaScript boxes a float64 result of a call it does not inline)
 */
export function emitColsum(ctx: KernelContext): void {
  const { add } = ctx;
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
