/**
 * SIMD math of the epilogues, on vectors of 4 float32 held in locals: e^x, the activations, their
 * derivatives from the output, and the saturation masks the probes count.
 */
import { f32x4, Fn, i32, i32x4, T, v128, type Bytes, type Local } from '../encoder';
import { ACT } from '../abi';
import type { KernelContext } from './common';

const SIGN = 0x80000000 | 0;

/** e^x for x <= 0 (or NaN, which propagates); Cephes expf, about 1 ulp. Result in `out`. */
export const expNeg = (ctx: KernelContext, f: Fn, x: Local, out: Local): Bytes[] => {
  const { fma } = ctx;
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
export const activate = (ctx: KernelContext, f: Fn, act: number, z: Local, a: Local, slope: Local): Bytes[] => {
  const { fma } = ctx;
  switch (act) {
    case ACT.sigmoid: {
      // e = exp(-|z|); a = (z >= 0 ? 1 : e) / (1 + e)
      const x = f.local(T.v128), e = f.local(T.v128);
      return [
        x.set(f32x4.neg(f32x4.abs(z.get))),
        ...expNeg(ctx, f, x, e),
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
        ...expNeg(ctx, f, x, e),
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
export const derivMul = (act: number, d: Local, a: Local, slope: Local): Bytes => {
  switch (act) {
    case ACT.sigmoid: return f32x4.mul(d.get, f32x4.mul(a.get, f32x4.sub(f32x4.const(1), a.get)));
    case ACT.tanh: return f32x4.mul(d.get, f32x4.sub(f32x4.const(1), f32x4.mul(a.get, a.get)));
    case ACT.relu: return v128.and(d.get, f32x4.gt(a.get, v128.zero()));
    case ACT.leaky_relu: return v128.bitselect(d.get, f32x4.mul(d.get, slope.get), f32x4.gt(a.get, v128.zero()));
    default: return d.get;
  }
};

/** saturation mask (all-ones lanes) of activations a */
export const satMask = (act: number, a: Local): Bytes => {
  switch (act) {
    case ACT.sigmoid: return v128.or(f32x4.lt(a.get, f32x4.const(0.05)), f32x4.gt(a.get, f32x4.const(0.95)));
    case ACT.tanh: return f32x4.gt(f32x4.abs(a.get), f32x4.const(0.95));
    case ACT.relu: return f32x4.eq(a.get, v128.zero());
    case ACT.leaky_relu: return f32x4.le(a.get, v128.zero());
    default: return v128.zero();
  }
};
