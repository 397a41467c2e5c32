/**
 * The kernel modules' bytes the build put into the bundles (src/engine/wasm/prebuilt.ts) are
 * exactly what the generator makes now: an edited kernel with a stale build would train with the
 * old code. Also: the bytes compile, and kernelModule takes them.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { prebuiltKernelBytes, prebuiltKernelKeys } from '../../src/engine/wasm/prebuilt';
import { generateKernelBytes } from '../../src/engine/wasm/runtime';

test('the build carries the relaxed-SIMD kernels, with and without a shared memory, byte for byte', () => {
  assert.deepEqual(prebuiltKernelKeys().sort(), ['true/false', 'true/true']);
  for (const key of prebuiltKernelKeys()) {
    const [relaxed, shared] = key.split('/').map((x) => x === 'true') as [boolean, boolean];
    const built = prebuiltKernelBytes(key);
    assert.ok(built, key);
    const now = generateKernelBytes(relaxed, shared);
    assert.ok(now.length > 50_000, `${key}: ${now.length} bytes`);
    assert.equal(built.length, now.length, `${key}: length`);
    assert.ok(Buffer.from(built).equals(Buffer.from(now)), `${key}: the bytes differ from the generator's: rebuild (node scripts/build.mjs)`);
  }
  assert.equal(prebuiltKernelBytes('false/false'), null, 'the fallback variant is generated when needed');
});
