/**
 * Compiling and instantiating the WebAssembly kernels (kernels/, assembled by
 * kernels/index.ts), detecting what the runtime supports, and Arena, the byte allocator a
 * network plans its buffers with in its one linear memory (the plan: network-layout.ts).
 *
 * The module bytes are generated in memory by our own TypeScript, so nothing is read from disk
 * (the engine runs in Node workers, browser workers and tests alike). Modules are compiled once
 * per process and variant; each network gets its own fixed-size memory (never grown, so the
 * Float32Array views handed out stay valid for the network's life).
 */
import { encodeModule, f32x4, Fn, seq, v128, drop } from './encoder';
import { buildKernels } from './kernels/index';

export interface KernelExports {
  gemm(A: number, lda: number, B: number, ldb: number, C: number, ldc: number, M: number, N: number, K: number, epi: number, desc: number): void;
  spmm(A: number, lda: number, B: number, ldb: number, C: number, ldc: number, M: number, N: number, K: number, epi: number, desc: number, scratch: number): void;
  copy2d(src: number, lds: number, dst: number, ldd: number, rows: number, cols: number): void;
  transpose(src: number, lds: number, dst: number, ldd: number, rows: number, cols: number): void;
  /** column sums of D into out; Σ out² as a float64 at res */
  colsum(D: number, ldd: number, M: number, N: number, out: number, res: number): void;
  /** the optimizers' float arguments (lr, mu, ...) are float32 in the block at `coef` (OPT_COEF) */
  sgd(P: number, G: number, table: number, layers: number, measure: number, coef: number, state: number): void;
  momentum(P: number, G: number, table: number, layers: number, measure: number, coef: number, V: number, nesterov: number): void;
  adam(P: number, G: number, table: number, layers: number, measure: number, coef: number, V: number, Mo: number): void;
  /** shared modules only: the helper thread's task loop */
  helper?(ctrl: number): void;
}

/** The optimizer steps: the kernels themselves, or the helper thread's port that runs them there. */
export type OptimizerKernels = Pick<KernelExports, 'sgd' | 'momentum' | 'adam'>;

const MAX_PAGES = 65536;
/**
 * The most memory a network's layout may use: 2 GiB (32768 pages), not the 4 GiB the module
 * declares. The JavaScript that writes the descriptors, views and probe counters indexes the
 * memory with signed 32-bit offsets (`offset >> 2`), which go negative past 2 GiB. The engine
 * checks a network against this before planning it (limits.ts).
 */
export const WASM_MAX_BYTES = 2 ** 31;
const modules = new Map<string, WebAssembly.Module>();

/**
 * The compiled kernel module (relaxed: with f32x4.relaxed_madd; shared: on a shared memory, with
 * the helper thread's loop). Throws if the runtime refuses it.
 */
export function kernelModule(relaxed: boolean, shared = false): WebAssembly.Module {
  const key = `${relaxed}/${shared}`;
  let m = modules.get(key);
  if (!m) {
    const bytes = encodeModule(buildKernels({ relaxed, shared }), { initialPages: 1, maximumPages: MAX_PAGES, shared });
    m = new WebAssembly.Module(bytes);
    modules.set(key, m);
  }
  return m;
}

/** The kernel modules compiled so far, by key (a pool hands them to its workers: no compile there). */
export function compiledKernelModules(): Record<string, WebAssembly.Module> {
  return Object.fromEntries(modules);
}

/** Takes modules compiled by another thread of this process (compiledKernelModules). */
export function adoptKernelModules(compiled: Record<string, WebAssembly.Module> | undefined): void {
  for (const [key, m] of Object.entries(compiled ?? {})) {
    if (/^(true|false)\/(true|false)$/.test(key) && m instanceof WebAssembly.Module && !modules.has(key)) modules.set(key, m);
  }
}

function tinyModule(relaxed: boolean): Uint8Array<ArrayBuffer> {
  const f = new Fn('probe', []);
  f.body = relaxed
    ? seq(drop(f32x4.relaxed_madd(v128.zero(), v128.zero(), v128.zero())))
    : seq(drop(f32x4.add(v128.zero(), v128.zero())));
  return encodeModule([f], { initialPages: 1, maximumPages: 1, shared: false });
}

/** Does this runtime validate SIMD128 (relaxed: relaxed SIMD too)? Cheap: a one-function module. */
export function wasmSupports(relaxed: boolean): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(tinyModule(relaxed));
  } catch {
    return false;
  }
}

/** A byte-offset allocator for one memory: plan every buffer first, then create the memory. */
export class Arena {
  private top = 1024; // keep address 0 unused
  reserve(bytes: number, align = 64): number {
    this.top = Math.ceil(this.top / align) * align;
    const off = this.top;
    this.top += Math.max(bytes, 0);
    return off;
  }
  get bytes(): number {
    return this.top + 64; // slack: no kernel reads past a buffer, but keep the end clear
  }
  instantiate(relaxed: boolean, shared = false): { memory: WebAssembly.Memory; exports: KernelExports; module: WebAssembly.Module } {
    const pages = Math.ceil(this.bytes / 65536);
    if (pages * 65536 > WASM_MAX_BYTES) throw new Error(`the network needs ${(this.bytes / 2 ** 30).toFixed(1)} GiB, more than the ${WASM_MAX_BYTES / 2 ** 30} GiB of WebAssembly memory a network may use`);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared } as WebAssembly.MemoryDescriptor);
    const module = kernelModule(relaxed, shared);
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return { memory, exports: instance.exports as unknown as KernelExports, module };
  }
}
