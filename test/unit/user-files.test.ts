/**
 * Reading the user's files (src/node/io.ts readRegularFile, src/engine/datasets/utf8.ts): only
 * regular files, never blocking on a FIFO or reading a device, the size checked before a byte is
 * allocated; text decoded strictly as UTF-8 with the line of a bad byte; names quoted safely.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseCsv } from '../../src/engine/datasets';
import { decodeUtf8Strict, firstInvalidUtf8 } from '../../src/engine/datasets/utf8';
import { InputError, quote } from '../../src/engine/types';
import { nodeDataIO, readFileHead, readRegularFile } from '../../src/node/io';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-files-'));

async function refused(p: Promise<unknown>, re: RegExp): Promise<InputError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof InputError, `not an InputError: ${(e as Error).stack}`);
    assert.match(e.message, re);
    return e;
  }
  assert.fail('was not refused');
}

test('readRegularFile: a regular file is read whole', async () => {
  const d = tmp();
  fs.writeFileSync(path.join(d, 'a.csv'), 'x,y\n1,2\n');
  assert.equal(Buffer.from(await readRegularFile(path.join(d, 'a.csv'), 'a.csv', 'CSV file')).toString(), 'x,y\n1,2\n');
  fs.writeFileSync(path.join(d, 'empty.csv'), '');
  assert.equal((await readRegularFile(path.join(d, 'empty.csv'), 'empty.csv', 'CSV file')).length, 0);
});

test('readRegularFile: FIFO, device, folder, symlink to a device, too large, missing: one message each, no hang', async () => {
  const d = tmp();
  const fifo = path.join(d, 'pipe.csv');
  execFileSync('mkfifo', [fifo]);
  const t0 = Date.now();
  await refused(readRegularFile(fifo, 'pipe.csv', 'CSV file'), /^cannot read CSV file 'pipe.csv': it is a FIFO; a regular file is required$/);
  assert.ok(Date.now() - t0 < 10_000, 'a FIFO without a writer must not block');
  await refused(readRegularFile('/dev/zero', 'zero.csv', 'CSV file'), /it is a device; a regular file is required/);
  fs.symlinkSync('/dev/zero', path.join(d, 'zero.csv'));
  await refused(readRegularFile(path.join(d, 'zero.csv'), 'zero.csv', 'CSV file'), /it is a device/);
  fs.mkdirSync(path.join(d, 'dir.csv'));
  await refused(readRegularFile(path.join(d, 'dir.csv'), 'dir.csv', 'CSV file'), /it is a folder/);
  await refused(readRegularFile(path.join(d, 'none.csv'), 'none.csv', 'CSV file'), /'none.csv': no such file/);
  fs.symlinkSync(path.join(d, 'loop'), path.join(d, 'loop'));
  await refused(readRegularFile(path.join(d, 'loop'), 'loop', 'CSV file'), /too many symbolic links/);
  // a sparse file of 2 GiB: refused by its size, nothing read
  const sparse = path.join(d, 'sparse.csv');
  const fd = fs.openSync(sparse, 'w');
  fs.ftruncateSync(fd, 2 * 1024 ** 3);
  fs.closeSync(fd);
  await refused(readRegularFile(sparse, 'sparse.csv', 'CSV file'), /it is 2048 MiB; the limit is 256 MiB/);
  fs.writeFileSync(path.join(d, 'small.csv'), 'x'.repeat(2000));
  await refused(readRegularFile(path.join(d, 'small.csv'), 'small.csv', 'CSV file', 1000), /it is 0.0 MiB; the limit is 0.0 MiB|the limit is/);
});

test('CSV through the DataIO: a FIFO or a device named as dataset.path is refused, a missing one says where it looked', async () => {
  const d = tmp();
  execFileSync('mkfifo', [path.join(d, 'p.csv')]);
  const io = nodeDataIO(d, d);
  await refused(io.readText('p.csv'), /a FIFO/);
  await refused(io.readText('/dev/urandom'), /a device/);
  const e = await refused(io.readText('gone.csv'), /no such file \(looked for .*gone\.csv\)/);
  assert.equal(e.file, 'gone.csv');
});

test('strict UTF-8: a Latin-1 label is an error at its line, not a merged class', () => {
  // "café" and "naïve" in Latin-1: both would decode to U+FFFD with a lenient decoder
  const bytes = Buffer.concat([Buffer.from('x,label\n1,a\n2,caf'), Buffer.from([0xe9]), Buffer.from('\n3,na'), Buffer.from([0xef]), Buffer.from('ve\n')]);
  assert.throws(() => decodeUtf8Strict(bytes, 'l.csv'), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.equal(e.message, 'byte 0xe9 at line 3, column 6 is not UTF-8: save the file as UTF-8');
    assert.deepEqual([e.file, e.line, e.column], ['l.csv', 3, 6]);
    return true;
  });
  // well-formed text, a BOM dropped; multi-byte characters before a bad byte count as one column
  assert.equal(decodeUtf8Strict(Buffer.from('\ufeffé,ü\n'), 'f'), 'é,ü\n');
  assert.throws(() => decodeUtf8Strict(Buffer.concat([Buffer.from('éé'), Buffer.from([0xff])]), 'f'), /line 1, column 3/);
  // the validator's edges: overlong, surrogate, past U+10FFFF, truncated
  assert.equal(firstInvalidUtf8(Buffer.from('aé€😀')), -1);
  for (const bad of [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf0, 0x9f, 0x98], [0x80]]) {
    assert.equal(firstInvalidUtf8(Uint8Array.from([0x41, ...bad])), 1, bad.join(','));
  }
});

test('quote: control characters and terminal escapes are escaped, long text cut', () => {
  assert.equal(quote('plain'), "'plain'");
  assert.equal(quote('a\u001b[31mred\u0000'), "'a\\u001b[31mred\\u0000'");
  assert.equal(quote('\u202eevil'), "'\\u202eevil'");
  assert.equal(quote('x'.repeat(100)), `'${'x'.repeat(80)}…'`);
});

test('CSV messages quote names safely, and a header of 200,000 columns is checked in linear time', () => {
  assert.throws(() => parseCsv('a\u001b[2J,label\n1,0\n', 'lbl', 'f.csv'), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.doesNotMatch(e.message, /\u001b/);
    assert.match(e.message, /'a\\u001b\[2J'/);
    return true;
  });
  const n = 200_000;
  const names = Array.from({ length: n }, (_, i) => `c${i}`);
  const t0 = Date.now();
  assert.throws(() => parseCsv(names.join(',') + ',c5\n', 'label', 'wide.csv'), /the header names column 'c5' twice/);
  assert.throws(() => parseCsv(names.join(',') + '\n', 'label', 'wide.csv'), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, /and 199980 more$/);
    assert.ok(e.message.length < 1000, `message of ${e.message.length} characters`);
    return true;
  });
  // a functional bound: the quadratic check took 36 s on this input
  assert.ok(Date.now() - t0 < 10_000, `${Date.now() - t0} ms`);
});

test('readFileHead: the first bytes of a regular file only; a FIFO is refused without blocking', async () => {
  const d = tmp();
  const big = path.join(d, 'big.csv');
  const fd = fs.openSync(big, 'w');
  fs.writeSync(fd, 'a,b,label\n1,2,3\n');
  fs.ftruncateSync(fd, 1024 ** 3); // 1 GiB, sparse
  fs.closeSync(fd);
  const head = await readFileHead(big, 'big.csv', 'CSV file', 64 * 1024);
  assert.equal(head.length, 64 * 1024);
  assert.equal(Buffer.from(head.subarray(0, 10)).toString(), 'a,b,label\n');
  execFileSync('mkfifo', [path.join(d, 'p.csv')]);
  await refused(readFileHead(path.join(d, 'p.csv'), 'p.csv', 'CSV file', 100), /'p.csv': it is a FIFO; a regular file is required/);
});
