/**
 * Host side (Node): before the first network is built, turn on the WebAssembly features the
 * engine's fastest kernels need where this runtime keeps them behind a flag (Node 20: relaxed
 * SIMD; newer Node and VS Code's Electron have it on), and apply MLP_LENS_KERNEL if set
 * (typescript-f32, wasm-simd-f32 or wasm-relaxed-simd-f32) to force a path.
 */
import * as v8 from 'node:v8';
import { isKernelPath, selectedKernelPath, setKernelPath, type KernelPath } from './engine/kernel-path';
import { wasmSupports } from './engine/wasm/runtime';

const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

export function setupKernels(env: Record<string, string | undefined> = process.env): { path: KernelPath; flags: string[] } {
  const flags: string[] = [];
  if (wasmSupports(false) && !wasmSupports(true)) {
    // V8 reads its WebAssembly feature flags when it validates or compiles a module, so setting
    // one before the engine's first module is safe; it does nothing where the feature is absent
    v8.setFlagsFromString(RELAXED_FLAG);
    if (wasmSupports(true)) flags.push(RELAXED_FLAG);
  }
  const want = env.MLP_LENS_KERNEL;
  if (want) {
    if (!isKernelPath(want)) throw new Error(`MLP_LENS_KERNEL=${want} is not a kernel path (typescript-f32, wasm-simd-f32, wasm-relaxed-simd-f32)`);
    setKernelPath(want);
  }
  return { path: selectedKernelPath(), flags };
}
