/**
 * The kernels' ABI: what the TypeScript side and the WebAssembly kernels (kernels/) agree on.
 * The control block the helper thread reads its tasks from, the optimizers' coefficient block,
 * the activation and epilogue codes, the epilogue descriptor's layout, the probe pass's nibble
 * table, and the sizes of the products' tiles and of spmm's scratch. The emitters and their
 * callers (network-layout.ts, network-wasm.ts, optimizers.ts, parallel.ts) import these from here;
 * nothing here emits code.
 */
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

/** Activation codes of the epilogues (a descriptor's `act`; the kernels have one epilogue per code). */
export const ACT = { sigmoid: 0, tanh: 1, relu: 2, leaky_relu: 3, linear: 4 } as const satisfies Record<HiddenActivation, number>;
/** Epilogue codes of gemm and spmm (their `epi` argument). */
export const EPI = { none: 0, bias: 1, act: 2, deriv: 3, grad: 4 } as const;

/**
 * Descriptor of an epilogue (DESC_BYTES per descriptor, written by network-layout.ts and
 * network-wasm.ts; the kernels write the `out` fields):
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
