/**
 * The WebAssembly kernels' bytes, pinned: every variant (plain or relaxed SIMD, on an unshared or
 * a shared memory) as encodeModule emits it, by length and SHA-256. A refactoring of the emitters
 * (src/engine/wasm/kernels/) must leave these unchanged.
 *
 * A deliberate kernel change updates these hashes in the same commit, with the reason in the
 * commit body (and the old and new hashes there).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { encodeModule } from '../../src/engine/wasm/encoder';
import { buildKernels } from '../../src/engine/wasm/kernels/index';

const PINNED: { relaxed: boolean; shared: boolean; bytes: number; sha256: string }[] = [
  { relaxed: false, shared: false, bytes: 119776, sha256: 'c035f7aabca8d0e5c7548846eb2b704ff0fd805794472beae985da7d929eceee' },
  { relaxed: false, shared: true, bytes: 120254, sha256: 'a04794fe4d5616ae4faf0bdbfc2f2cc038eb046bbe980aa416fbc5c7176be597' },
  { relaxed: true, shared: false, bytes: 118237, sha256: '4293f0f35d2e51dbe2fed8c3e07a9ecee2451429a7ec4614880bed0f378900da' },
  { relaxed: true, shared: true, bytes: 118715, sha256: '6c5718a6cfe98b5bea9a4ad4752110fe1a7831092c38e16a14aa7620c3d06dff' },
];

for (const { relaxed, shared, bytes, sha256 } of PINNED) {
  test(`kernel module bytes: relaxed=${relaxed} shared=${shared}`, () => {
    // as runtime.ts's kernelModule encodes them
    const b = encodeModule(buildKernels({ relaxed, shared }), { initialPages: 1, maximumPages: 65536, shared });
    assert.equal(b.length, bytes);
    assert.equal(createHash('sha256').update(b).digest('hex'), sha256);
  });
}
