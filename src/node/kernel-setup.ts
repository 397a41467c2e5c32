/**
 * Host side (Node): before the first network is built, turn on the WebAssembly features the
 * engine's fastest kernels need where this runtime keeps them behind a flag (Node 20: relaxed
 * SIMD; newer Node and VS Code's Electron have it on), and apply MLP_LENS_KERNEL if set
 * (typescript-f32, wasm-simd-f32 or wasm-relaxed-simd-f32) to force a path.
 */
import * as os from 'node:os';
import * as v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { isKernelPath, selectedKernelPath, setKernelPath, type KernelPath } from '../engine/kernel-path';
import { CTRL } from '../engine/wasm/abi';
import { setHelperFactory } from '../engine/wasm/parallel';
import { wasmSupports } from '../engine/wasm/runtime';

const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

/** The helper thread: run the kernel module's task loop on the network's shared memory. */
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl } = workerData;
try {
  new WebAssembly.Instance(module, { env: { memory } }).exports.helper(ctrl);
} catch (e) {
  // tell the waiting main thread (done = -1) instead of leaving it waiting
  const i32 = new Int32Array(memory.buffer);
  Atomics.store(i32, (ctrl + ${CTRL.done}) >> 2, -1);
  Atomics.notify(i32, (ctrl + ${CTRL.done}) >> 2);
  throw e;
}
`;

/**
 * Let big networks use a second core (one helper thread per network, started on demand): when
 * the machine has two or more besides `reserveCores`, and MLP_LENS_THREADS is not 1. Returns
 * whether it is on.
 */
export function enableSecondCore(env: Record<string, string | undefined> = process.env, reserveCores = 0): boolean {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  if (cores - reserveCores < 2 || env.MLP_LENS_THREADS === '1') {
    setHelperFactory(null);
    return false;
  }
  setHelperFactory((module, memory, ctrl) => {
    const worker = new Worker(HELPER_SOURCE, { eval: true, workerData: { module, memory, ctrl } });
    worker.unref(); // a helper never keeps the process alive
    return { terminate: () => void worker.terminate() };
  });
  return true;
}

/**
 * The WebAssembly flags and MLP_LENS_KERNEL, without compiling anything (the first network, or
 * selectedKernelPath(), compiles the kernels): for a caller that starts workers first.
 */
export function setupKernelFlags(env: Record<string, string | undefined> = process.env): string[] {
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
  return flags;
}

export function setupKernels(env: Record<string, string | undefined> = process.env): { path: KernelPath; flags: string[] } {
  const flags = setupKernelFlags(env);
  return { path: selectedKernelPath(), flags };
}
