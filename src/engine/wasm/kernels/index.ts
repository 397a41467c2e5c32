/**
 * The engine's hot loops as WebAssembly SIMD, written in TypeScript and emitted as module bytes at
 * start-up (see encoder.ts; runtime.ts compiles them). The variants come from this one source:
 * plain SIMD128 (multiply then add), relaxed SIMD (f32x4.relaxed_madd: one fused multiply-add
 * where the hardware has it), and either of them on a shared memory with the helper thread's
 * task loop. What the kernels and their callers agree on (codes, descriptor and block layouts)
 * is in ../abi.ts.
 *
 * One file per family, in module order (a function's index is its place in that order):
 *   epilogues.ts   what a product runs over its finished rows: bias, activation and probes
 *                  (SIMD math in math.ts), δ ⊙ f'(a), dW + λW
 *   gemm.ts        the products: gemm (dense, register tiles) and spmm (over A's nonzeros)
 *   copy.ts        copy2d and transpose
 *   colsum.ts      the bias gradient
 *   optimizers.ts  sgd, momentum, adam (every layer in one call, norms measured in the pass)
 *   helper.ts      the helper thread's task loop (shared modules only)
 * Sums run in float32 over at most 64 vectors, in float64 across them.
 *
 * Nothing here allocates at run time; all pointers are byte offsets into the one imported memory.
 */
import type { Fn } from '../encoder';
import type { KernelOptions } from '../abi';
import { kernelContext } from './common';
import { emitColsum } from './colsum';
import { emitCopies } from './copy';
import { emitEpilogues } from './epilogues';
import { emitProducts } from './gemm';
import { emitHelper } from './helper';
import { emitOptimizers } from './optimizers';

/** The module's functions for these options, in index order (encodeModule takes them). */
export function buildKernels(o: KernelOptions): Fn[] {
  const ctx = kernelContext(o);
  emitEpilogues(ctx);
  emitProducts(ctx);
  emitCopies(ctx);
  emitColsum(ctx);
  const optInts = emitOptimizers(ctx);
  if (o.shared) emitHelper(ctx, optInts);
  return ctx.fns;
}
