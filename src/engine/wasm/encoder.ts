/**
 * A small WebAssembly binary encoder: enough of the MVP, SIMD128, relaxed SIMD and the
 * threads proposal to write numeric kernels in TypeScript and emit their module bytes at
 * start-up (no toolchain, no .wasm file, no node:fs).
 *
 * Code is built as trees of bytes: an expression is the bytes that push its value, a statement
 * the bytes that consume nothing more. `Fn` hands out typed locals; the helpers below (`i32`,
 * `f32x4`, ...) take their operands as expressions and append the opcode, so kernels read as
 * nested calls in evaluation order. Nothing is copied while building: a node holds its parts,
 * and the tree is flattened once when the module is encoded.
 */

export type Bytes = (number | Bytes)[];

/** Append the bytes of a tree, in order, to out. */
function flattenInto(b: Bytes, out: number[]): void {
  for (let i = 0; i < b.length; i++) {
    const x = b[i]!;
    if (typeof x === 'number') out.push(x);
    else flattenInto(x, out);
  }
}

export const enum T {
  i32 = 0x7f,
  i64 = 0x7e,
  f32 = 0x7d,
  f64 = 0x7c,
  v128 = 0x7b,
}

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const f32buf = new DataView(new ArrayBuffer(8));
function f32bytes(x: number): number[] {
  f32buf.setFloat32(0, x, true);
  return [f32buf.getUint8(0), f32buf.getUint8(1), f32buf.getUint8(2), f32buf.getUint8(3)];
}
function f64bytes(x: number): number[] {
  f32buf.setFloat64(0, x, true);
  const out: number[] = [];
  for (let i = 0; i < 8; i++) out.push(f32buf.getUint8(i));
  return out;
}
function str(s: string): number[] {
  const b = Array.from(new TextEncoder().encode(s));
  return [...uleb(b.length), ...b];
}
function vec(items: Bytes[]): number[] {
  const out = uleb(items.length);
  for (const it of items) flattenInto(it, out);
  return out;
}
function section(id: number, body: number[]): Uint8Array {
  const head = [id, ...uleb(body.length)];
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** Expressions and statements in order. */
export function seq(...parts: Bytes[]): Bytes {
  return parts;
}

export class Local {
  /** local.get, shared (trees are never mutated) */
  readonly get: Bytes;
  private readonly idx: number[];
  constructor(readonly index: number, readonly type: T) {
    this.idx = uleb(index);
    this.get = [0x20, this.idx];
  }
  set(e: Bytes): Bytes {
    return [e, 0x21, this.idx];
  }
  tee(e: Bytes): Bytes {
    return [e, 0x22, this.idx];
  }
}

export class Fn {
  readonly params: Local[] = [];
  readonly locals: Local[] = [];
  body: Bytes = [];
  exported = true;
  constructor(readonly name: string, paramTypes: T[], readonly results: T[] = []) {
    paramTypes.forEach((t, i) => this.params.push(new Local(i, t)));
  }
  local(t: T): Local {
    const l = new Local(this.params.length + this.locals.length, t);
    this.locals.push(l);
    return l;
  }
  /** n fresh locals of one type */
  localsOf(t: T, n: number): Local[] {
    return Array.from({ length: n }, () => this.local(t));
  }
}

/** Memory import: one linear memory "env.memory", optionally shared. */
export interface MemoryImport {
  initialPages: number;
  maximumPages: number;
  shared: boolean;
}

export function encodeModule(fns: Fn[], memory: MemoryImport): Uint8Array<ArrayBuffer> {
  const sig = (f: Fn) => [0x60, ...vec(f.params.map((p) => [p.type])), ...vec(f.results.map((r) => [r]))].join(',');
  const types: string[] = [];
  const typeIndex = fns.map((f) => {
    const s = sig(f);
    let i = types.indexOf(s);
    if (i < 0) { i = types.length; types.push(s); }
    return i;
  });
  const typeSec = vec(types.map((s) => s.split(',').map(Number)));
  const limits = memory.shared
    ? [0x03, ...uleb(memory.initialPages), ...uleb(memory.maximumPages)]
    : [0x01, ...uleb(memory.initialPages), ...uleb(memory.maximumPages)];
  const importSec = vec([[...str('env'), ...str('memory'), 0x02, ...limits]]);
  const funcSec = vec(typeIndex.map((i) => uleb(i)));
  const exportSec = vec(fns.flatMap((f, i) => (f.exported ? [[...str(f.name), 0x00, ...uleb(i)]] : [])));
  const codeSec = vec(
    fns.map((f) => {
      // run-length groups of local types
      const groups: Bytes[] = [];
      let i = 0;
      while (i < f.locals.length) {
        let j = i;
        while (j < f.locals.length && f.locals[j]!.type === f.locals[i]!.type) j++;
        groups.push([...uleb(j - i), f.locals[i]!.type]);
        i = j;
      }
      const body = vec(groups);
      flattenInto(f.body, body);
      body.push(0x0b);
      return [uleb(body.length), body]; // a tree: vec() flattens it once (no spread of a long array)
    }),
  );
  const sections = [section(1, typeSec), section(2, importSec), section(3, funcSec), section(7, exportSec), section(10, codeSec)];
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const out = new Uint8Array(sections.reduce((n, sec) => n + sec.length, magic.length));
  out.set(magic);
  let at = magic.length;
  for (const sec of sections) {
    out.set(sec, at);
    at += sec.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Instructions. Memory accesses take a byte address expression and a constant byte offset.

const mem = (op: Bytes, align: number, addr: Bytes, offset: number): Bytes => [addr, op, uleb(align), uleb(offset)];
const simd = (op: number): Bytes => [0xfd, uleb(op)];
const un = (op: Bytes) => (a: Bytes): Bytes => [a, op];
const bin = (op: Bytes) => (a: Bytes, b: Bytes): Bytes => [a, b, op];

export const i32 = {
  const: (n: number): Bytes => [0x41, sleb(n | 0)],
  load: (addr: Bytes, offset = 0) => mem([0x28], 2, addr, offset),
  store: (addr: Bytes, v: Bytes, offset = 0) => mem([0x36], 2, [addr, v], offset),
  eqz: un([0x45]),
  eq: bin([0x46]), ne: bin([0x47]), lt_s: bin([0x48]), lt_u: bin([0x49]), gt_s: bin([0x4a]), gt_u: bin([0x4b]),
  le_s: bin([0x4c]), le_u: bin([0x4d]), ge_s: bin([0x4e]), ge_u: bin([0x4f]),
  add: bin([0x6a]), sub: bin([0x6b]), mul: bin([0x6c]), div_s: bin([0x6d]), rem_s: bin([0x6f]),
  and: bin([0x71]), or: bin([0x72]), xor: bin([0x73]), shl: bin([0x74]), shr_s: bin([0x75]), shr_u: bin([0x76]),
  popcnt: un([0x69]),
  trunc_sat_f64_s: un([0xfc, 0x02]),
  reinterpret_f32: un([0xbc]),
  atomic_load: (addr: Bytes, offset = 0) => mem([0xfe, 0x10], 2, addr, offset),
  atomic_store: (addr: Bytes, v: Bytes, offset = 0) => mem([0xfe, 0x17], 2, [addr, v], offset),
  atomic_add: (addr: Bytes, v: Bytes, offset = 0) => mem([0xfe, 0x1e], 2, [addr, v], offset),
};

export const f32 = {
  const: (x: number): Bytes => [0x43, f32bytes(x)],
  load: (addr: Bytes, offset = 0) => mem([0x2a], 2, addr, offset),
  store: (addr: Bytes, v: Bytes, offset = 0) => mem([0x38], 2, [addr, v], offset),
  add: bin([0x92]), sub: bin([0x93]), mul: bin([0x94]), div: bin([0x95]), min: bin([0x96]), max: bin([0x97]),
  ne: bin([0x5c]), gt: bin([0x5e]),
  demote_f64: un([0xb6]),
  convert_i32_s: un([0xb2]),
};

export const f64 = {
  const: (x: number): Bytes => [0x44, f64bytes(x)],
  load: (addr: Bytes, offset = 0) => mem([0x2b], 3, addr, offset),
  store: (addr: Bytes, v: Bytes, offset = 0) => mem([0x39], 3, [addr, v], offset),
  add: bin([0xa0]), sub: bin([0xa1]), mul: bin([0xa2]), div: bin([0xa3]), max: bin([0xa5]),
  sqrt: un([0x9f]),
  promote_f32: un([0xbb]),
  convert_i32_s: un([0xb7]),
};

export const v128 = {
  load: (addr: Bytes, offset = 0) => mem(simd(0x00), 4, addr, offset),
  store: (addr: Bytes, v: Bytes, offset = 0) => mem(simd(0x0b), 4, [addr, v], offset),
  load32_splat: (addr: Bytes, offset = 0) => mem(simd(0x09), 2, addr, offset),
  load32_zero: (addr: Bytes, offset = 0) => mem(simd(0x5c), 2, addr, offset),
  load64_zero: (addr: Bytes, offset = 0) => mem(simd(0x5d), 3, addr, offset),
  const: (bytes: number[]): Bytes => [simd(0x0c), bytes],
  zero: (): Bytes => ZERO128,
  not: un(simd(0x4d)), and: bin(simd(0x4e)), andnot: bin(simd(0x4f)), or: bin(simd(0x50)), xor: bin(simd(0x51)),
  /** (a & mask) | (b & ~mask) */
  bitselect: (a: Bytes, b: Bytes, mask: Bytes): Bytes => [a, b, mask, simd(0x52)],
  any_true: un(simd(0x53)),
};

/** i8x16.shuffle of two vectors by 16 byte indices (0-15 from a, 16-31 from b). */
export function shuffle(a: Bytes, b: Bytes, lanes: number[]): Bytes {
  return [a, b, simd(0x0d), lanes];
}
/** The same, with 32-bit lane indices (0-3 from a, 4-7 from b). */
export function shuffle32(a: Bytes, b: Bytes, l: [number, number, number, number]): Bytes {
  return shuffle(a, b, l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]));
}

/** i8x16.swizzle: bytes of a picked by the byte indices in s (an index over 15 gives 0) */
export const swizzle = (a: Bytes, s: Bytes): Bytes => [a, s, simd(0x0e)];

export const f32x4 = {
  splat: un(simd(0x13)),
  const: (x: number): Bytes => v128.const([...f32bytes(x), ...f32bytes(x), ...f32bytes(x), ...f32bytes(x)]),
  extract_lane: (v: Bytes, lane: number): Bytes => [v, simd(0x1f), lane],
  replace_lane: (v: Bytes, lane: number, x: Bytes): Bytes => [v, x, simd(0x20), lane],
  eq: bin(simd(0x41)), ne: bin(simd(0x42)), lt: bin(simd(0x43)), gt: bin(simd(0x44)), le: bin(simd(0x45)), ge: bin(simd(0x46)),
  floor: un(simd(0x68)),
  abs: un(simd(0xe0)), neg: un(simd(0xe1)), sqrt: un(simd(0xe3)),
  add: bin(simd(0xe4)), sub: bin(simd(0xe5)), mul: bin(simd(0xe6)), div: bin(simd(0xe7)),
  min: bin(simd(0xe8)), max: bin(simd(0xe9)), pmin: bin(simd(0xea)), pmax: bin(simd(0xeb)),
  convert_i32x4_s: un(simd(0xfa)),
  /** relaxed SIMD: a*b + c, fused or not as the hardware does it (one choice per machine) */
  relaxed_madd: (a: Bytes, b: Bytes, c: Bytes): Bytes => [a, b, c, simd(0x105)],
};

export const f64x2 = {
  splat: un(simd(0x14)),
  extract_lane: (v: Bytes, lane: number): Bytes => [v, simd(0x21), lane],
  add: bin(simd(0xf0)), sub: bin(simd(0xf1)), mul: bin(simd(0xf2)), div: bin(simd(0xf3)),
  floor: un(simd(0x75)),
  promote_low_f32x4: un(simd(0x5f)),
  convert_low_i32x4_s: un(simd(0xfe)),
};

export const i32x4 = {
  splat: un(simd(0x11)),
  extract_lane: (v: Bytes, lane: number): Bytes => [v, simd(0x1b), lane],
  add: bin(simd(0xae)), sub: bin(simd(0xb1)), mul: bin(simd(0xb5)), shl: bin(simd(0xab)),
  min_s: bin(simd(0xb6)), max_s: bin(simd(0xb8)),
  lt_s: bin(simd(0x39)),
  bitmask: un(simd(0xa4)),
  trunc_sat_f32x4_s: un(simd(0xf8)),
  trunc_sat_f64x2_s_zero: un(simd(0xfc)),
  extend_low_i16x8_u: un(simd(0xa9)), extend_high_i16x8_u: un(simd(0xaa)),
};

export const i8x16 = {
  add: bin(simd(0x6e)),
};

export const i16x8 = {
  /** shift right (unsigned) by a scalar count */
  shr_u: bin(simd(0x8d)),
  extend_low_i8x16_u: un(simd(0x89)), extend_high_i8x16_u: un(simd(0x8a)),
};

export const memory = {
  /** memory.fill(dst, byte value, length) (bulk memory) */
  fill: (dst: Bytes, value: Bytes, len: Bytes): Bytes => [dst, value, len, 0xfc, 0x0b, 0x00],
  /** memory.atomic.wait32(addr, expected, timeout ns as i64): 0 ok, 1 not-equal, 2 timed out */
  wait32: (addr: Bytes, expected: Bytes, timeout: Bytes) => mem([0xfe, 0x01], 2, [addr, expected, timeout], 0),
  notify: (addr: Bytes, count: Bytes) => mem([0xfe, 0x00], 2, [addr, count], 0),
};
const ZERO128: Bytes = [0xfd, 0x0c, new Array<number>(16).fill(0)];

export const i64 = {
  const: (n: number): Bytes => [0x42, sleb(n)],
};

// ---------------------------------------------------------------------------------------------
// Control flow. Blocks are void. `br` depths count enclosing blocks from the innermost (0).

export const block = (...body: Bytes[]): Bytes => [0x02, 0x40, body, 0x0b];
export const loop = (...body: Bytes[]): Bytes => [0x03, 0x40, body, 0x0b];
export const br = (depth: number): Bytes => [0x0c, uleb(depth)];
export const br_if = (depth: number, cond: Bytes): Bytes => [cond, 0x0d, uleb(depth)];
export const if_ = (cond: Bytes, then: Bytes[], otherwise?: Bytes[]): Bytes =>
  otherwise && otherwise.length ? [cond, 0x04, 0x40, then, 0x05, otherwise, 0x0b] : [cond, 0x04, 0x40, then, 0x0b];
export const drop = (e: Bytes): Bytes => [e, 0x1a];
export const call = (fnIndex: number, ...args: Bytes[]): Bytes => [args, 0x10, uleb(fnIndex)];

/**
 * for (i = start; i < end; i += step) body — guarded, so it runs zero times when start >= end.
 * `body` must not branch out of the loop by depth (use no br inside, or account for 2 levels).
 */
export function forLoop(i: Local, start: Bytes, end: Bytes, step: Bytes, ...body: Bytes[]): Bytes {
  return seq(
    i.set(start),
    block(
      br_if(0, i32.ge_s(i.get, end)),
      loop(...body, i.set(i32.add(i.get, step)), br_if(0, i32.lt_s(i.get, end))),
    ),
  );
}

/** The same loop where `end` is a local that is only read, and the loop test is unsigned-safe. */
export function whileLoop(cond: Bytes, ...body: Bytes[]): Bytes {
  return block(br_if(0, i32.eqz(cond)), loop(...body, br_if(0, cond)));
}
