/**
 * What every kernel family's emitter shares: the context of the module being built (its options,
 * the multiply-add it uses, its list of functions), and the small code builders the families have
 * in common (partial loads and stores of a vector, float64 sums of float32 lanes, tail switches).
 */
import { f32, f32x4, f64, f64x2, Fn, i32, if_, seq, shuffle32, T, v128, type Bytes, type Local } from '../encoder';
import type { KernelOptions } from '../abi';

/**
 * The module being built, passed to each family's emitter: functions are appended in the order
 * they are added (their indices are the order), exported unless told otherwise.
 */
export interface KernelContext {
  readonly o: KernelOptions;
  /** a·b + c in each lane: f32x4.relaxed_madd (o.relaxed), else a multiply then an add */
  fma(a: Bytes, b: Bytes, c: Bytes): Bytes;
  /** the functions so far, in index order */
  readonly fns: Fn[];
  /** append f (exported unless `exported` is false) and return it */
  add(f: Fn, exported?: boolean): Fn;
  /** the index of a function added before */
  id(name: string): number;
}

export function kernelContext(o: KernelOptions): KernelContext {
  const fns: Fn[] = [];
  const ids = new Map<string, number>();
  return {
    o,
    fma: (a, b, c) => (o.relaxed ? f32x4.relaxed_madd(a, b, c) : f32x4.add(f32x4.mul(a, b), c)),
    fns,
    add: (f, exported = true) => { f.exported = exported; ids.set(f.name, fns.length); fns.push(f); return f; },
    id: (name) => {
      const i = ids.get(name);
      if (i === undefined) throw new Error(`no kernel function ${name} before this one`);
      return i;
    },
  };
}

export const f64Sum2 = (acc: Local, v: Bytes): Bytes[] => [
  // acc (f64x2) += the 4 lanes of v (f32x4), promoted; v must be a local read
  acc.set(f64x2.add(acc.get, f64x2.promote_low_f32x4(v))),
  acc.set(f64x2.add(acc.get, f64x2.promote_low_f32x4(shuffle32(v, v, [2, 3, 2, 3])))),
];
/** acc (f64x2) += the squares of v's 4 lanes, promoted first; t a v128 scratch local */
export const f64SumSq = (acc: Local, v: Local, t: Local): Bytes[] => [
  t.set(f64x2.promote_low_f32x4(v.get)),
  acc.set(f64x2.add(acc.get, f64x2.mul(t.get, t.get))),
  t.set(f64x2.promote_low_f32x4(shuffle32(v.get, v.get, [2, 3, 2, 3]))),
  acc.set(f64x2.add(acc.get, f64x2.mul(t.get, t.get))),
];
/**
 * Sums over many vectors: float32 lanes, flushed into float64 every 64 vectors (a bounded
 * float32 sum, relative error about 1e-6). `add` sums v² (elements below 1e-19 in magnitude
 * then count as 0, above 1e19 as infinite), `addPlain` sums v.
 */
export const sqAcc = (ctx: KernelContext, f: Fn) => {
  const { fma } = ctx;
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
/** the sum of an f64x2 local's two lanes */
export const hsum64 = (acc: Local): Bytes => f64.add(f64x2.extract_lane(acc.get, 0), f64x2.extract_lane(acc.get, 1));
/** all ones in the first L lanes (of 4), zeros in the others */
export const laneMask = (L: number): Bytes =>
  v128.const([0, 1, 2, 3].flatMap((l) => (l < L ? [255, 255, 255, 255] : [0, 0, 0, 0])));
/** load L (1..4) floats at addr as a vector, zeros in the other lanes */
export const loadPartial = (addr: Bytes, L: number, offset = 0): Bytes => {
  if (L === 4) return v128.load(addr, offset);
  if (L === 1) return v128.load32_zero(addr, offset);
  if (L === 2) return v128.load64_zero(addr, offset);
  return f32x4.replace_lane(v128.load64_zero(addr, offset), 2, f32.load(addr, offset + 8));
};
/** store the first L lanes of a vector (a local) at addr + offset */
export const storePartial = (addr: Local, v: Local, L: number, offset = 0): Bytes[] => {
  if (L === 4) return [v128.store(addr.get, v.get, offset)];
  const out: Bytes[] = [];
  for (let l = 0; l < L; l++) out.push(f32.store(addr.get, f32x4.extract_lane(v.get, l), offset + 4 * l));
  return out;
};

/** switch on a tail length 1..3 (0 does nothing) */
export function tailSwitch(len: Bytes, body: (L: number) => Bytes[]): Bytes {
  // len is evaluated by each of the three tests: the callers pass cheap expressions
  return seq(
    if_(i32.eq(len, i32.const(1)), body(1)),
    if_(i32.eq(len, i32.const(2)), body(2)),
    if_(i32.eq(len, i32.const(3)), body(3)),
  );
}

/** cond ? a : b for i32 values, b computed lazily (an if with a result) */
export function if_value_i32(cond: Bytes, a: Bytes, b: () => Bytes): Bytes {
  return [...cond, 0x04, T.i32, ...a, 0x05, ...b(), 0x0b];
}
/** cond ? a() : b() for v128 values (an if with a result) */
export function if_value_v128(cond: Bytes, a: () => Bytes, b: () => Bytes): Bytes {
  return [...cond, 0x04, T.v128, ...a(), 0x05, ...b(), 0x0b];
}
