/**
 * Which kernels train a float32 network. Picked once per process, best first:
 *
 *   wasm-relaxed-simd-f32  WebAssembly SIMD128 with relaxed-SIMD fused multiply-add
 *                          (on by default in newer runtimes; Node 20 needs
 *                          --experimental-wasm-relaxed-simd, which the CLI and worker set)
 *   wasm-simd-f32          WebAssembly SIMD128, multiply then add
 *   typescript-f32         the pure-TypeScript kernels (kernels.ts): the fallback
 *
 * A path is available when the runtime validates its module AND the compiled kernels reproduce
 * a small product computed here in float64 (a broken runtime falls back instead of training
 * wrong). Float64 networks (gradient checks) always use the TypeScript kernels.
 */
import { wasmSupports } from './wasm/runtime';
import { selfCheck } from './wasm/self-check';

export type KernelPath = 'wasm-relaxed-simd-f32' | 'wasm-simd-f32' | 'typescript-f32';
export const KERNEL_PATHS: readonly KernelPath[] = ['wasm-relaxed-simd-f32', 'wasm-simd-f32', 'typescript-f32'];

let available: KernelPath[] | null = null;
let chosen: KernelPath | null = null;
const why = new Map<KernelPath, string>();

/** Paths this runtime can run, best first (detected once). */
export function availableKernelPaths(): KernelPath[] {
  if (!available) {
    available = [];
    for (const p of KERNEL_PATHS) {
      if (p === 'typescript-f32') { available.push(p); continue; }
      const relaxed = p === 'wasm-relaxed-simd-f32';
      if (!wasmSupports(relaxed)) { why.set(p, relaxed ? 'the runtime does not validate relaxed SIMD' : 'the runtime does not validate SIMD128'); continue; }
      const problem = selfCheck(relaxed);
      if (problem) { why.set(p, problem); continue; }
      available.push(p);
    }
  }
  return available.slice();
}

/** Why a path is not available (undefined when it is, or was not probed). */
export function kernelPathProblem(p: KernelPath): string | undefined {
  availableKernelPaths();
  return why.get(p);
}

/** The path new float32 networks use: the override if set, else the best available. */
export function selectedKernelPath(): KernelPath {
  return chosen ?? availableKernelPaths()[0]!;
}

/** Force a path for new networks (null: back to the best available). Throws if it cannot run here. */
export function setKernelPath(p: KernelPath | null): void {
  if (p !== null && !availableKernelPaths().includes(p)) {
    throw new Error(`kernel path ${p} is not available here: ${kernelPathProblem(p) ?? 'unknown path'}`);
  }
  chosen = p;
}

export function isKernelPath(s: string): s is KernelPath {
  return (KERNEL_PATHS as readonly string[]).includes(s);
}
