/**
 * Start-up check of a compiled kernel variant: one small product with odd sizes (every tail
 * path of the tile) against float64. A runtime that compiles the module but computes wrong
 * results must never train; the engine falls back to the next path instead.
 */
import { Arena } from './runtime';

export function selfCheck(relaxed: boolean): string | null {
  try {
    const M = 5, N = 13, K = 7;
    const arena = new Arena();
    const a = arena.reserve(M * K * 4), b = arena.reserve(N * K * 4), c = arena.reserve(M * N * 4);
    const { memory, exports } = arena.instantiate(relaxed);
    const A = new Float32Array(memory.buffer, a, M * K), B = new Float32Array(memory.buffer, b, N * K), C = new Float32Array(memory.buffer, c, M * N);
    for (let i = 0; i < A.length; i++) A[i] = ((i * 37) % 11) / 7 - 0.6;
    for (let i = 0; i < B.length; i++) B[i] = ((i * 53) % 13) / 9 - 0.7;
    exports.gemm(a, K, b, K, c, N, M, N, K, 0, 0);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A[m * K + k]! * B[n * K + k]!;
        if (!(Math.abs(C[m * N + n]! - s) <= 1e-5 * (1 + Math.abs(s)))) return `self-check failed at C[${m},${n}]: ${C[m * N + n]} vs ${s}`;
      }
    }
    return null;
  } catch (e) {
    return `the kernels did not compile: ${(e as Error).message}`;
  }
}
