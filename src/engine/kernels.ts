/**
 * Dense matrix kernels on row-major Float32Array (or Float64Array for gradient checks).
 *
 * Three products cover a dense layer:
 *   forward   C[M,N] = A[M,K] · B[N,K]ᵀ (+ bias)   z = a·Wᵀ + b        (gemmABt)
 *   input grad C[M,K] = A[M,N] · B[N,K]            δ_prev = δ·W          (gemmAB)
 *   weight grad C[N,K] = A[M,N]ᵀ · B[M,K]          dW = δᵀ·a             (gemmAtB)
 *
 * Each is register-blocked (4 output rows x 4 output columns held in locals) so every
 * loaded value feeds four multiply-adds, and the innermost loop walks memory contiguously.
 * Sizes are passed explicitly: buffers are allocated once for the largest batch and a
 * smaller last batch simply uses fewer rows. Nothing here allocates.
 */

export type FloatArray = Float32Array | Float64Array;

/** C[m,n] = bias[n] + Σ_k A[m,k]·B[n,k]. bias may be null (then 0). */
export function gemmABt(A: FloatArray, B: FloatArray, bias: FloatArray | null, C: FloatArray, M: number, N: number, K: number): void {
  const M4 = M - (M % 4);
  const N4 = N - (N % 4);
  for (let m = 0; m < M4; m += 4) {
    const a0 = m * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    for (let n = 0; n < N4; n += 4) {
      const b0 = n * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k]!, x1 = A[a1 + k]!, x2 = A[a2 + k]!, x3 = A[a3 + k]!;
        let w = B[b0 + k]!;
        c00 += x0 * w; c10 += x1 * w; c20 += x2 * w; c30 += x3 * w;
        w = B[b1 + k]!;
        c01 += x0 * w; c11 += x1 * w; c21 += x2 * w; c31 += x3 * w;
        w = B[b2 + k]!;
        c02 += x0 * w; c12 += x1 * w; c22 += x2 * w; c32 += x3 * w;
        w = B[b3 + k]!;
        c03 += x0 * w; c13 += x1 * w; c23 += x2 * w; c33 += x3 * w;
      }
      const d0 = bias ? bias[n]! : 0, d1 = bias ? bias[n + 1]! : 0, d2 = bias ? bias[n + 2]! : 0, d3 = bias ? bias[n + 3]! : 0;
      let o = m * N + n;
      C[o] = c00 + d0; C[o + 1] = c01 + d1; C[o + 2] = c02 + d2; C[o + 3] = c03 + d3; o += N;
      C[o] = c10 + d0; C[o + 1] = c11 + d1; C[o + 2] = c12 + d2; C[o + 3] = c13 + d3; o += N;
      C[o] = c20 + d0; C[o + 1] = c21 + d1; C[o + 2] = c22 + d2; C[o + 3] = c23 + d3; o += N;
      C[o] = c30 + d0; C[o + 1] = c31 + d1; C[o + 2] = c32 + d2; C[o + 3] = c33 + d3;
    }
    for (let n = N4; n < N; n++) {
      const b0 = n * K;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let k = 0; k < K; k++) {
        const w = B[b0 + k]!;
        c0 += A[a0 + k]! * w; c1 += A[a1 + k]! * w; c2 += A[a2 + k]! * w; c3 += A[a3 + k]! * w;
      }
      const d = bias ? bias[n]! : 0;
      C[m * N + n] = c0 + d; C[(m + 1) * N + n] = c1 + d; C[(m + 2) * N + n] = c2 + d; C[(m + 3) * N + n] = c3 + d;
    }
  }
  for (let m = M4; m < M; m++) {
    const a0 = m * K;
    for (let n = 0; n < N; n++) {
      const b0 = n * K;
      let c = 0;
      for (let k = 0; k < K; k++) c += A[a0 + k]! * B[b0 + k]!;
      C[m * N + n] = c + (bias ? bias[n]! : 0);
    }
  }
}

/** C[m,k] = Σ_n A[m,n]·B[n,k]  (A is [M,N], B is [N,K]). */
export function gemmAB(A: FloatArray, B: FloatArray, C: FloatArray, M: number, N: number, K: number): void {
  const M4 = M - (M % 4);
  const K4 = K - (K % 4);
  for (let m = 0; m < M4; m += 4) {
    const a0 = m * N, a1 = a0 + N, a2 = a1 + N, a3 = a2 + N;
    for (let k = 0; k < K4; k += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let n = 0, b = k; n < N; n++, b += K) {
        const w0 = B[b]!, w1 = B[b + 1]!, w2 = B[b + 2]!, w3 = B[b + 3]!;
        let x = A[a0 + n]!;
        c00 += x * w0; c01 += x * w1; c02 += x * w2; c03 += x * w3;
        x = A[a1 + n]!;
        c10 += x * w0; c11 += x * w1; c12 += x * w2; c13 += x * w3;
        x = A[a2 + n]!;
        c20 += x * w0; c21 += x * w1; c22 += x * w2; c23 += x * w3;
        x = A[a3 + n]!;
        c30 += x * w0; c31 += x * w1; c32 += x * w2; c33 += x * w3;
      }
      let o = m * K + k;
      C[o] = c00; C[o + 1] = c01; C[o + 2] = c02; C[o + 3] = c03; o += K;
      C[o] = c10; C[o + 1] = c11; C[o + 2] = c12; C[o + 3] = c13; o += K;
      C[o] = c20; C[o + 1] = c21; C[o + 2] = c22; C[o + 3] = c23; o += K;
      C[o] = c30; C[o + 1] = c31; C[o + 2] = c32; C[o + 3] = c33;
    }
    for (let k = K4; k < K; k++) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let n = 0; n < N; n++) {
        const w = B[n * K + k]!;
        c0 += A[a0 + n]! * w; c1 += A[a1 + n]! * w; c2 += A[a2 + n]! * w; c3 += A[a3 + n]! * w;
      }
      C[m * K + k] = c0; C[(m + 1) * K + k] = c1; C[(m + 2) * K + k] = c2; C[(m + 3) * K + k] = c3;
    }
  }
  for (let m = M4; m < M; m++) {
    for (let k = 0; k < K; k++) {
      let c = 0;
      for (let n = 0; n < N; n++) c += A[m * N + n]! * B[n * K + k]!;
      C[m * K + k] = c;
    }
  }
}

/** C[n,k] = Σ_m A[m,n]·B[m,k]  (A is [M,N], B is [M,K]; C is [N,K]). */
export function gemmAtB(A: FloatArray, B: FloatArray, C: FloatArray, M: number, N: number, K: number): void {
  const N4 = N - (N % 4);
  const K4 = K - (K % 4);
  for (let n = 0; n < N4; n += 4) {
    for (let k = 0; k < K4; k += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let m = 0, a = n, b = k; m < M; m++, a += N, b += K) {
        const x0 = B[b]!, x1 = B[b + 1]!, x2 = B[b + 2]!, x3 = B[b + 3]!;
        let d = A[a]!;
        c00 += d * x0; c01 += d * x1; c02 += d * x2; c03 += d * x3;
        d = A[a + 1]!;
        c10 += d * x0; c11 += d * x1; c12 += d * x2; c13 += d * x3;
        d = A[a + 2]!;
        c20 += d * x0; c21 += d * x1; c22 += d * x2; c23 += d * x3;
        d = A[a + 3]!;
        c30 += d * x0; c31 += d * x1; c32 += d * x2; c33 += d * x3;
      }
      let o = n * K + k;
      C[o] = c00; C[o + 1] = c01; C[o + 2] = c02; C[o + 3] = c03; o += K;
      C[o] = c10; C[o + 1] = c11; C[o + 2] = c12; C[o + 3] = c13; o += K;
      C[o] = c20; C[o + 1] = c21; C[o + 2] = c22; C[o + 3] = c23; o += K;
      C[o] = c30; C[o + 1] = c31; C[o + 2] = c32; C[o + 3] = c33;
    }
    for (let k = K4; k < K; k++) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let m = 0; m < M; m++) {
        const x = B[m * K + k]!, a = m * N + n;
        c0 += A[a]! * x; c1 += A[a + 1]! * x; c2 += A[a + 2]! * x; c3 += A[a + 3]! * x;
      }
      C[n * K + k] = c0; C[(n + 1) * K + k] = c1; C[(n + 2) * K + k] = c2; C[(n + 3) * K + k] = c3;
    }
  }
  for (let n = N4; n < N; n++) {
    for (let k = 0; k < K; k++) {
      let c = 0;
      for (let m = 0; m < M; m++) c += A[m * N + n]! * B[m * K + k]!;
      C[n * K + k] = c;
    }
  }
}

/** out[n] = Σ_m A[m,n] (bias gradient). */
export function sumRows(A: FloatArray, out: FloatArray, M: number, N: number): void {
  out.fill(0, 0, N);
  for (let m = 0; m < M; m++) {
    const r = m * N;
    for (let n = 0; n < N; n++) out[n]! += A[r + n]!;
  }
}
