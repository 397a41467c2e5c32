/**
 * The CLI when the world fails under it: a full disk (an injected ENOSPC, and a real small tmpfs
 * where that can be mounted), a reader that closes stdout early (`| head -3`), two runs into
 * one --out, and run-folder names that are hostile or collide. Every failure is one line on
 * stderr with a documented exit code, and the run record says what happened.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, show, tmp } from '../support/cli';
import { readStepsFile } from '../support/steps-file';
import { createFolderExclusive, newRunFolders, runKeyOf, slug, MAX_NAME_BYTES } from '../../src/runs/names';
import { lockOutFolder, newVariantFolders } from '../../src/runs/outdir';

before(() => assert.ok(existsSync(CLI), `${CLI} is missing: build first`));

const MID = { dataset: { type: 'spiral', samples: 2000, classes: 3 }, layers: [32, 32], epochs: 30, seed: 1 };

function config(dir: string, cfg: unknown = MID): string {
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify(cfg));
  return file;
}

function run(args: string[], cwd: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL', env: { ...process.env, ...env } });
}

/** metrics.bin: whole frames only, every one passing its CRC; the frames. */
function wholeFrames(file: string): number {
  const f = readStepsFile(file);
  assert.equal(f.tornBytes, 0, 'cut back to the last whole frame');
  assert.deepEqual(f.badCrc, [], 'every frame passes its CRC');
  return f.frames.length;
}

/** A JSON-lines file: every line parses and the last ends with a newline. */
function wholeLines(file: string): number {
  const text = readFileSync(file, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'the last line is whole');
  const lines = text.split('\n').filter((l) => l);
  for (const l of lines) JSON.parse(l);
  return lines.length;
}

const oneLine = (stderr: string) => {
  assert.doesNotMatch(stderr, /^ {4}at /m, 'no stack trace');
  const lines = stderr.split('\n').filter((l) => l.trim());
  assert.equal(lines.length, 1, `one line on stderr:\n${stderr}`);
  return lines[0]!;
};

for (const file of ['metrics.bin', 'metrics.jsonl']) test(`ENOSPC writing ${file} mid-run: exit 1, "disk full writing ...", summary "failed" with the reason, ${file === 'metrics.bin' ? 'frames' : 'lines'} whole`, () => {
  const dir = tmp();
  const r = run(['train', config(dir), '--out', 'o', ...(file === 'metrics.jsonl' ? ['--jsonl'] : [])], dir, { MLP_LENS_FAULT_WRITE_BYTES: '150000', MLP_LENS_FAULT_WRITE_FILE: file });
  assert.equal(r.status, 1, show(r));
  assert.equal(oneLine(r.stderr), `mlp-lens: disk full writing o/base/${file}`);
  const summary = JSON.parse(readFileSync(join(dir, 'o', 'base', 'summary.json'), 'utf8'));
  assert.equal(summary.status, 'failed');
  assert.equal(summary.failure, `disk full writing o/base/${file}`);
  assert.ok(summary.finishedAt);
  const records = file === 'metrics.bin' ? wholeFrames(join(dir, 'o', 'base', file)) : wholeLines(join(dir, 'o', 'base', file));
  assert.ok(records > 10, `${records} records`);
  if (file === 'metrics.bin') wholeLines(join(dir, 'o', 'base', 'epochs.jsonl'));
  assert.ok(!existsSync(join(dir, 'o', 'base', 'model.json')), 'no model for a failed run');
  assert.ok(!existsSync(join(dir, 'o', '.mlp-lens.lock')), 'the lock is released');
});

test('ENOSPC on every write (the summary too): exit 1, one line, the record readable', () => {
  const dir = tmp();
  const r = run(['train', config(dir), '--out', 'o'], dir, { MLP_LENS_FAULT_WRITE_BYTES: '120000' });
  assert.equal(r.status, 1, show(r));
  assert.match(oneLine(r.stderr), /^mlp-lens: disk full writing o\/base\/(metrics\.bin|epochs\.jsonl|summary\.json)$/);
  const summary = JSON.parse(readFileSync(join(dir, 'o', 'base', 'summary.json'), 'utf8'));
  assert.ok(['running', 'failed'].includes(summary.status));
  wholeFrames(join(dir, 'o', 'base', 'metrics.bin'));
  wholeLines(join(dir, 'o', 'base', 'epochs.jsonl'));
  assert.deepEqual(readdirSync(join(dir, 'o', 'base')).filter((n) => n.endsWith('.tmp')), [], 'no temporary file left');
});

test('ENOSPC before training (config.json cannot be written): exit 1, one line', () => {
  const dir = tmp();
  const r = run(['train', config(dir), '--out', 'o'], dir, { MLP_LENS_FAULT_WRITE_BYTES: '10' });
  assert.equal(r.status, 1, show(r));
  assert.match(oneLine(r.stderr), /^mlp-lens: disk full writing o\/base\/config\.json$/);
});

test('a real full disk: a 256 KiB tmpfs (root, in a private mount namespace)', (t) => {
  const probe = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=4k tmpfs /mnt && umount /mnt'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    t.skip(`no tmpfs without root: ${(probe.stderr || probe.error?.message || '').trim()}`);
    return;
  }
  const dir = tmp();
  const cfg = config(dir);
  mkdirSync(join(dir, 'fs'));
  mkdirSync(join(dir, 'copy'));
  const script = `mount -t tmpfs -o size=256k tmpfs fs && "${process.execPath}" "${CLI}" train "${cfg}" --out fs/o 2>err.txt; echo $? > code.txt; cp -r fs/o copy/`;
  const r = spawnSync('unshare', ['-m', 'sh', '-c', script], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, show(r));
  assert.equal(readFileSync(join(dir, 'code.txt'), 'utf8').trim(), '1');
  assert.match(oneLine(readFileSync(join(dir, 'err.txt'), 'utf8')), /^mlp-lens: disk full writing fs\/o\/base\/(metrics\.bin|epochs\.jsonl)$/);
  const summary = JSON.parse(readFileSync(join(dir, 'copy', 'o', 'base', 'summary.json'), 'utf8'));
  assert.equal(summary.status, 'failed');
  assert.match(summary.failure, /disk full/);
  wholeFrames(join(dir, 'copy', 'o', 'base', 'metrics.bin'));
  wholeLines(join(dir, 'copy', 'o', 'base', 'epochs.jsonl'));
});

test('stdout closed early (| head -3): no EPIPE crash, training goes to the end, exit 0, record complete', async () => {
  const dir = tmp();
  const child = spawn(process.execPath, [CLI, 'train', config(dir, { ...MID, epochs: 8 }), '--out', 'o'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let seen = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d) => {
      seen += d;
      if (seen.split('\n').length > 3) {
        child.stdout.destroy(); // head -3 exits
        resolve();
      }
    });
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 0, stderr);
  assert.equal(stderr.trim(), '', 'nothing on stderr');
  const summary = JSON.parse(readFileSync(join(dir, 'o', 'base', 'summary.json'), 'utf8'));
  assert.equal(summary.status, 'completed');
  assert.equal(summary.epochs, 8);
  assert.ok(existsSync(join(dir, 'o', 'base', 'model.json')));
});

test('a second train into an --out in use exits 2 naming the lock and pid; the first run goes on', async () => {
  const dir = tmp();
  const cfg = config(dir, { ...MID, epochs: 5000 }); // far longer than the test: stopped below
  const start = () => {
    const child = spawn(process.execPath, [CLI, 'train', cfg, '--out', 'o'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    return { child, done: new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr }))) };
  };
  const first = start();
  // the first run holds the lock and is training (whatever the machine's load) before the second starts
  const t0 = Date.now();
  while (!(existsSync(join(dir, 'o', '.mlp-lens.lock')) && existsSync(join(dir, 'o', 'base', 'metrics.bin')))) {
    assert.ok(Date.now() - t0 < 60_000, 'the first run did not start training');
    await new Promise((r) => setTimeout(r, 50));
  }
  const second = await start().done;
  assert.equal(second.code, 2, second.stderr);
  assert.match(oneLine(second.stderr), new RegExp(`^mlp-lens: --out 'o' is in use by another run \\(pid ${first.child.pid}; lock file o/\\.mlp-lens\\.lock\\)$`));
  first.child.kill('SIGINT');
  const a = await first.done;
  assert.equal(a.code, 130, a.stderr);
  assert.deepEqual(readdirSync(join(dir, 'o')), ['base']);
  wholeFrames(join(dir, 'o', 'base', 'metrics.bin'));
  assert.equal(JSON.parse(readFileSync(join(dir, 'o', 'base', 'summary.json'), 'utf8')).status, 'stopped');
});

test('two runs without --out started together write separate run folders', async () => {
  const dir = tmp();
  const cfg = config(dir, { ...MID, epochs: 1 });
  const start = () => new Promise<number | null>((resolve) => spawn(process.execPath, [CLI, 'train', cfg], { cwd: dir, stdio: 'ignore' }).on('exit', resolve));
  assert.deepEqual(await Promise.all([start(), start()]), [0, 0]);
  const runs = readdirSync(join(dir, '.mlp-lens', 'runs'));
  assert.equal(runs.length, 2, runs.join(', '));
  for (const r of runs) assert.equal(JSON.parse(readFileSync(join(dir, '.mlp-lens', 'runs', r, 'summary.json'), 'utf8')).status, 'completed');
});

test('slug: no separator, no leading dot, no control character, at most 100 bytes, never empty', () => {
  for (const [name, want] of [['..', 'run'], ['.', 'run'], ['a/b', 'a_b'], ['a\\b', 'a_b'], ['a\u0000b', 'a_b'], ['\u001b[2J', '2J'], ['', 'run'], ['///', 'run'], ['.git', 'git'], ['relu he', 'relu_he'], ['sigmoid+glorot', 'sigmoid_glorot']] as const) {
    assert.equal(slug(name), want, JSON.stringify(name));
  }
  assert.equal(slug('y'.repeat(300)).length, MAX_NAME_BYTES);
  assert.equal(slug('é'.repeat(300)), 'run');
});

test('folders are created exclusively: a taken name gets -2, -3; collisions in one run get two folders', () => {
  const dir = tmp();
  assert.equal(createFolderExclusive(dir, 'a'), join(dir, 'a'));
  assert.equal(createFolderExclusive(dir, 'a'), join(dir, 'a-2'));
  assert.equal(createFolderExclusive(dir, 'a'), join(dir, 'a-3'));
  const out = join(dir, 'o');
  mkdirSync(out);
  assert.deepEqual(newVariantFolders(out, ['relu/he', 'relu he', 'x\u0000']).map((d) => d.slice(out.length + 1)), ['relu_he', 'relu_he-2', 'x']);
  const runs = join(dir, 'runs');
  const now = new Date('2026-11-27T21:05:09Z');
  const first = newRunFolders(runs, [{ name: 'c', variant: 'relu/he' }, { name: 'c', variant: 'relu he' }], now);
  assert.deepEqual(first.dirs.map((d) => d.slice(runs.length + 1)), ['2026-11-27T21-05-09-c-relu_he', '2026-11-27T21-05-09-c-relu_he-2']);
  assert.equal(runKeyOf('2026-11-27T21-05-09-c-relu_he-2', 'relu he'), '2026-11-27T21-05-09-c');
  assert.equal(newRunFolders(runs, [{ name: 'c', variant: 'relu he' }], now).stamp, '2026-11-27T21-05-09.2');
});

test('the --out lock: a second taker is refused naming the pid; released, it can be taken again', () => {
  const dir = tmp();
  const lock = lockOutFolder(dir);
  assert.throws(() => lockOutFolder(dir), new RegExp(`in use by another run \\(pid ${process.pid}; lock file `));
  lock.release();
  lockOutFolder(dir).release();
  assert.deepEqual(readdirSync(dir), []);
});
