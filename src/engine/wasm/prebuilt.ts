/**
 * The kernel modules' bytes as the build generated them. scripts/build.mjs runs
 * generateKernelBytes (runtime.ts) for the variants a process normally compiles (relaxed SIMD,
 * with and without a shared memory) and defines MLP_LENS_KERNEL_BYTES with them in base64, so a
 * process compiles them without generating them first: generating takes about 85 ms of
 * JavaScript on a cold start, on the way to the first step of every CLI run, training worker and
 * side view. test/unit/wasm-prebuilt.test.ts checks that they equal what the generator makes.
 * A bundle built without them (esbuild --watch), or a variant not among them, is generated.
 */
declare const MLP_LENS_KERNEL_BYTES: Record<string, string> | undefined;

/** The build's bytes of a kernel variant (`${relaxed}/${shared}`), or null. */
export function prebuiltKernelBytes(key: string): Uint8Array<ArrayBuffer> | null {
  const all = typeof MLP_LENS_KERNEL_BYTES === 'undefined' ? undefined : MLP_LENS_KERNEL_BYTES;
  const b64 = all?.[key];
  if (typeof b64 !== 'string' || typeof atob !== 'function') return null;
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The variants whose bytes the build had. */
export function prebuiltKernelKeys(): string[] {
  return typeof MLP_LENS_KERNEL_BYTES === 'undefined' ? [] : Object.keys(MLP_LENS_KERNEL_BYTES);
}
