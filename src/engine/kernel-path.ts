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

let chosen: KernelPath | null = null;
const ok = new Map<KernelPath, boolean>();
const why = new Map<KernelPath, string>();

/** Can this runtime run the path? Probed once per path (compiles and checks its module). */
function probe(p: KernelPath): boolean {
  let r = ok.get(p);
  if (r === undefined) {
    r = true;
    if (p !== 'typescript-f32') {
      const relaxed = p === 'wasm-relaxed-simd-f32';
      const problem = !wasmSupports(relaxed)
        ? relaxed ? 'the runtime does not validate relaxed SIMD' : 'the runtime does not validate SIMD128'
        : selfCheck(relaxed);
      if (problem) { why.set(p, problem); r = false; }
    }
    ok.set(p, r);
  }
  return r;
}

/** Paths this runtime can run, best first (probes every path). */
export function availableKernelPaths(): KernelPath[] {
  return KERNEL_PATHS.filter(probe);
}

/** Why a path is not available (undefined when it is, or was not probed). */
export function kernelPathProblem(p: KernelPath): string | undefined {
  probe(p);
  return why.get(p);
}

/** The path new float32 networks use: the override if set, else the best available. */
export function selectedKernelPath(): KernelPath {
  return chosen ?? KERNEL_PATHS.find(probe)!;
}

/** Force a path for new networks (null: back to the best available). Throws if it cannot run here. */
export function setKernelPath(p: KernelPath | null): void {
  if (p !== null && !probe(p)) {
    throw new Error(`kernel path ${p} is not available here: ${kernelPathProblem(p) ?? 'unknown path'}`);
  }
  chosen = p;
}

export function isKernelPath(s: string): s is KernelPath {
  return (KERNEL_PATHS as readonly string[]).includes(s);
}
