/**
 * A corpus of hostile inputs to the CLI (dist/cli.js): configs, CSVs, names, paths and flags.
 * Each case gives the exit code and a pattern for the one line on stderr it must produce (or an
 * empty stderr for a run that succeeds), and every case is checked for: no stack trace, no hang
 * (a timeout per case, the CLI killed with SIGKILL), no raw control character printed (ESC, NUL,
 * ...), and nothing written outside --out (the temp folder is listed before and after).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, show, tmp } from '../support/cli';

before(() => assert.ok(existsSync(CLI), `${CLI} is missing: build first`));

const TINY = { dataset: { type: 'xor', samples: 40 }, layers: [4], epochs: 1, batchSize: 8, seed: 1 };
const CSV = (p: string, label = 'label') => ({ dataset: { type: 'csv', path: p, label }, layers: [4], epochs: 1, batchSize: 4, seed: 0 });
const GOOD_CSV = 'a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n1,3,0\n2,4,1\n';
const named = (name: string) => ({ ...TINY, variants: [{ name }] });

type File = string | Buffer | object | null | 'FIFO';
interface Case {
  name: string;
  /** files in the temp folder: text, bytes, JSON, null = a folder, 'FIFO' = a named pipe */
  files?: Record<string, File>;
  args: string[];
  code: number;
  /** the one stderr line (null: stderr is empty) */
  stderr: RegExp | null;
  /** paths (relative to the temp folder) a case may create or change; default ['o'] */
  writes?: string[];
  /** more checks on the temp folder after the run */
  check?: (dir: string) => void;
}

/** The one folder directly in o/, a safe name: no dot first, no control character, at most 100 bytes. */
const oneSafeFolder = (expect?: RegExp) => (dir: string) => {
  const names = readdirSync(join(dir, 'o')).filter((n) => n !== '.mlp-lens.lock');
  assert.equal(names.length, 1, `one folder in o/: ${JSON.stringify(names)}`);
  const n = names[0]!;
  assert.match(n, /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/);
  assert.ok(lstatSync(join(dir, 'o', n, 'summary.json')).isFile());
  if (expect) assert.match(n, expect);
};

const LONG_NAME = 'x'.repeat(300);
const CASES: Case[] = [
  // ---- the config file
  { name: 'config missing', args: ['train', 'nope.json', '--out', 'o'], code: 2, stderr: /nope\.json.*no such file/ },
  { name: 'config is a folder', files: { 'd.json': null }, args: ['train', 'd.json', '--out', 'o'], code: 2, stderr: /d\.json.*directory/ },
  { name: 'config is a FIFO', files: { 'f.json': 'FIFO' }, args: ['train', 'f.json', '--out', 'o'], code: 2, stderr: /f\.json.*FIFO/ },
  { name: 'config is /dev/zero', args: ['train', '/dev/zero', '--out', 'o'], code: 2, stderr: /\/dev\/zero.*device/ },
  { name: 'config is /dev/null', args: ['train', '/dev/null', '--out', 'o'], code: 2, stderr: /\/dev\/null.*device/ },
  { name: 'config is empty', files: { 'c.json': '' }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /c\.json/ },
  { name: 'config is not JSON', files: { 'c.json': '{"layers": [4,' }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /c\.json:\d+/ },
  { name: 'config is a JSON array', files: { 'c.json': '[1,2]' }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /c\.json/ },
  { name: 'config is JSON null', files: { 'c.json': 'null' }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /c\.json/ },
  { name: 'config holds a NUL byte', files: { 'c.json': '{"layers":\u0000[4]}' }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /c\.json/ },
  { name: 'config is not UTF-8', files: { 'c.json': Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /c\.json/ },
  { name: 'config has an unknown property', files: { 'c.json': { ...TINY, lrx: 1 } }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /c\.json.*lrx/ },
  { name: 'config property named with ESC', files: { 'c.json': { ...TINY, '\u001b[2Jx': 1 } }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /c\.json.*\\u001b\[2Jx/ },
  { name: 'config name with ESC and a bad lr', files: { 'c.json': { ...TINY, name: 'e\u001b[2J', lr: -1 } }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /c\.json.*\blr\b/ },
  { name: 'duplicate variant names', files: { 'c.json': { ...TINY, variants: [{ name: 'a' }, { name: 'a' }] } }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /c\.json/ },
  { name: 'config file name with ESC, missing', args: ['train', 'x\u001b[2J.json', '--out', 'o'], code: 2, stderr: /x\\u001b\[2J\.json.*no such file/ },
  { name: 'validate: config is a FIFO', files: { 'f.json': 'FIFO' }, args: ['validate', 'f.json'], code: 2, stderr: /f\.json.*FIFO/ },
  { name: 'dump: config is a folder', files: { 'd.json': null }, args: ['dump', 'd.json', '--out', 'o/x'], code: 2, stderr: /d\.json.*directory/ },
  // ---- the CSV file
  { name: 'CSV missing', files: { 'c.json': CSV('gone.csv') }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /gone\.csv.*no such file/ },
  { name: 'CSV is a FIFO', files: { 'c.json': CSV('f.csv'), 'f.csv': 'FIFO' }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /f\.csv.*FIFO/ },
  { name: 'CSV is a folder', files: { 'c.json': CSV('d.csv'), 'd.csv': null }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /d\.csv.*folder/ },
  { name: 'CSV is /dev/zero', files: { 'c.json': CSV('/dev/zero') }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /\/dev\/zero.*device/ },
  { name: 'CSV is empty', files: { 'c.json': CSV('e.csv'), 'e.csv': '' }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /e\.csv/ },
  { name: 'CSV has only a header', files: { 'c.json': CSV('e.csv'), 'e.csv': 'a,b,label\n' }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /e\.csv/ },
  { name: 'CSV non-numeric cell', files: { 'c.json': CSV('d.csv'), 'd.csv': 'a,b,label\n1,2,0\n3,4,1\n5,oops,0\n7,8,1\n' }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /d\.csv:4\b.*oops/ },
  { name: 'CSV cell with ESC', files: { 'c.json': CSV('d.csv'), 'd.csv': 'a,b,label\n1,2,0\n3,\u001b[2J,1\n5,6,0\n' }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /d\.csv:3\b.*\\u001b/ },
  { name: 'CSV without the label column', files: { 'c.json': CSV('d.csv'), 'd.csv': 'a,b,cls\n1,2,0\n3,4,1\n' }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /label/ },
  { name: 'CSV header names with ESC, label missing', files: { 'c.json': CSV('d.csv'), 'd.csv': 'a\u001b[31m,b\u0000,cls\n1,2,0\n3,4,1\n' }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /label/ },
  { name: 'CSV label named with ESC', files: { 'c.json': CSV('d.csv', 'l\u001b[2J'), 'd.csv': GOOD_CSV }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /l\\u001b\[2J/ },
  { name: 'CSV ragged row', files: { 'c.json': CSV('d.csv'), 'd.csv': 'a,b,label\n1,2,0\n3,1\n5,6,0\n' }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /d\.csv:3\b/ },
  { name: 'CSV not UTF-8', files: { 'c.json': CSV('d.csv'), 'd.csv': Buffer.from('a,b,label\n1,\xff,0\n', 'latin1') }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /d\.csv/ },
  { name: 'CSV path with ESC, missing', files: { 'c.json': CSV('g\u001b[2J.csv') }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: /g\\u001b\[2J\.csv.*no such file/ },
  { name: 'CSV that trains', files: { 'c.json': CSV('d.csv'), 'd.csv': GOOD_CSV }, args: ['train', 'c.json', '--out', 'o'], code: 0, stderr: null, check: oneSafeFolder(/^base$/) },
  // ---- variant and config names
  { name: "variant '..'", files: { 'c.json': named('..') }, args: ['train', 'c.json', '--out', 'o'], code: 0, stderr: null, check: oneSafeFolder(/^run$/) },
  { name: "variant '.'", files: { 'c.json': named('.') }, args: ['train', 'c.json', '--out', 'o'], code: 0, stderr: null, check: oneSafeFolder(/^run$/) },
  { name: "variant '../../x'", files: { 'c.json': named('../../x') }, args: ['train', 'c.json', '--out', 'o'], code: 0, stderr: null, check: oneSafeFolder(/^x$/) },
  { name: "variant 'a/b'", files: { 'c.json': named('a/b') }, args: ['train', 'c.json', '--out', 'o'], code: 0, stderr: null, check: oneSafeFolder(/^a_b$/) },
  { name: "variant 'a\\\\b'", files: { 'c.json': named('a\\b') }, args: ['train', 'c.json', '--out', 'o'], code: 0, stderr: null, check: oneSafeFolder(/^a_b$/) },
  { name: 'variant with a NUL', files: { 'c.json': named('a\u0000b') }, args: ['train', 'c.json', '--out', 'o'], code: 0, stderr: null, check: oneSafeFolder(/^a_b$/) },
  { name: 'variant ESC[2J', files: { 'c.json': named('\u001b[2J') }, args: ['train', 'c.json', '--out', 'o'], code: 0, stderr: null, check: oneSafeFolder(/^2J$/) },
  { name: 'variant of 300 characters', files: { 'c.json': named(LONG_NAME) }, args: ['train', 'c.json', '--out', 'o'], code: 0, stderr: null, check: oneSafeFolder(/^x{100}$/) },
  { name: 'variant empty after sanitizing', files: { 'c.json': named('/\u0000/') }, args: ['train', 'c.json', '--out', 'o'], code: 0, stderr: null, check: oneSafeFolder(/^run$/) },
  { name: 'variant .git', files: { 'c.json': named('.git') }, args: ['train', 'c.json', '--out', 'o'], code: 0, stderr: null, check: oneSafeFolder(/^git$/) },
  { name: 'variant with bidi override', files: { 'c.json': named('a\u202eb') }, args: ['train', 'c.json', '--out', 'o'], code: 0, stderr: null, check: oneSafeFolder(/^a_b$/) },
  {
    name: 'variants whose names collide get two folders', files: { 'c.json': { ...TINY, variants: [{ name: 'relu/he' }, { name: 'relu he' }] } }, args: ['train', 'c.json', '--out', 'o'], code: 0, stderr: null,
    check: (d) => assert.deepEqual(readdirSync(join(d, 'o')).sort(), ['relu_he', 'relu_he-2']),
  },
  { name: 'config name .. without --out', files: { 'c.json': { ...TINY, name: '..' } }, args: ['train', 'c.json'], code: 0, stderr: null, writes: ['.mlp-lens'] },
  { name: 'config name a/../../b without --out', files: { 'c.json': { ...TINY, name: 'a/../../b' } }, args: ['train', 'c.json'], code: 0, stderr: null, writes: ['.mlp-lens'] },
  { name: '--variant with ESC, unknown', files: { 'c.json': TINY }, args: ['train', 'c.json', '--out', 'o', '--variant', 'v\u001b[2J'], code: 2, stderr: /v\\u001b\[2J/ },
  // ---- output paths
  { name: '--out is a file', files: { 'c.json': TINY, f: 'x' }, args: ['train', 'c.json', '--out', 'f'], code: 2, stderr: /--out 'f'.*a file, not a folder/, writes: [] },
  { name: '--out under a file', files: { 'c.json': TINY, f: 'x' }, args: ['train', 'c.json', '--out', 'f/o'], code: 2, stderr: /--out 'f\/o'.*is a file, not a folder/, writes: [] },
  { name: '--out is a FIFO', files: { 'c.json': TINY, p: 'FIFO' }, args: ['train', 'c.json', '--out', 'p'], code: 2, stderr: /--out 'p'.*FIFO/, writes: [] },
  { name: '--out is a symlink to a file', files: { 'c.json': TINY, f: 'x' }, args: ['train', 'c.json', '--out', 'l'], code: 2, stderr: /--out 'l'.*file, not a folder/, writes: ['l'] },
  { name: '--out is /dev/null', files: { 'c.json': TINY }, args: ['train', 'c.json', '--out', '/dev/null'], code: 2, stderr: /device/, writes: [] },
  { name: '--out under /proc', files: { 'c.json': TINY }, args: ['train', 'c.json', '--out', '/proc/mlp-lens-x'], code: 2, stderr: /proc.*kernel file system/, writes: [] },
  { name: '--out under /sys', files: { 'c.json': TINY }, args: ['train', 'c.json', '--out', '/sys/mlp-lens-x'], code: 2, stderr: /sysfs/, writes: [] },
  { name: '--out name too long', files: { 'c.json': TINY }, args: ['train', 'c.json', '--out', 'o'.repeat(300)], code: 2, stderr: /too long/, writes: [] },
  { name: '--out with ESC in its name', files: { 'c.json': TINY }, args: ['train', 'c.json', '--out', 'o\u001b[2J'], code: 0, stderr: null, writes: ['o\u001b[2J'] },
  { name: '--out locked by a live run', files: { 'c.json': TINY, 'o/.mlp-lens.lock': JSON.stringify({ pid: process.pid, startedAt: Date.now() }) }, args: ['train', 'c.json', '--out', 'o'], code: 2, stderr: new RegExp(`in use by another run \\(pid ${process.pid}; lock file o/\\.mlp-lens\\.lock\\)`) },
  { name: '--out locked by a dead run', files: { 'c.json': TINY, 'o/.mlp-lens.lock': JSON.stringify({ pid: 2 ** 22 + 7, startedAt: 1 }) }, args: ['train', 'c.json', '--out', 'o'], code: 0, stderr: null, check: (d) => assert.ok(!existsSync(join(d, 'o', '.mlp-lens.lock')), 'the lock is released') },
  { name: '--out holds a user folder named like the variant', files: { 'c.json': TINY, 'o/base/notes.txt': 'mine' }, args: ['train', 'c.json', '--out', 'o'], code: 0, stderr: null, check: (d) => { assert.ok(existsSync(join(d, 'o', 'base', 'notes.txt'))); assert.ok(existsSync(join(d, 'o', 'base-2', 'summary.json'))); } },
  { name: '--report is a folder', files: { 'c.json': TINY, r: null }, args: ['train', 'c.json', '--out', 'o', '--report', 'r'], code: 2, stderr: /--report 'r'.*folder/, writes: [] },
  { name: '--report is /dev/full', files: { 'c.json': TINY }, args: ['train', 'c.json', '--out', 'o', '--report', '/dev/full'], code: 2, stderr: /--report '\/dev\/full'.*device/, writes: [] },
  { name: '--report under a file', files: { 'c.json': TINY, f: 'x' }, args: ['train', 'c.json', '--out', 'o', '--report', 'f/r.html'], code: 2, stderr: /--report 'f\/r\.html'.*not a folder/, writes: [] },
  { name: '--report name too long', files: { 'c.json': TINY }, args: ['train', 'c.json', '--out', 'o', '--report', 'r'.repeat(300)], code: 2, stderr: /--report.*too long/, writes: [] },
  { name: '--report under /proc', files: { 'c.json': TINY }, args: ['train', 'c.json', '--out', 'o', '--report', '/proc/x.html'], code: 2, stderr: /--report.*kernel file system/, writes: [] },
  { name: '--report that works', files: { 'c.json': TINY }, args: ['train', 'c.json', '--out', 'o', '--report', 'o/r.html'], code: 0, stderr: null },
  { name: 'dump --out under a file', files: { 'c.json': TINY, f: 'x' }, args: ['dump', 'c.json', '--out', 'f/x'], code: 2, stderr: /--out 'f\/x\.in\.json'.*not a folder/, writes: [] },
  { name: 'dump --out under a device', files: { 'c.json': TINY }, args: ['dump', 'c.json', '--out', '/dev/null/x'], code: 2, stderr: /--out '\/dev\/null\/x\.in\.json'.*not a folder/, writes: [] },
  // ---- flags
  { name: 'unknown flag', files: { 'c.json': TINY }, args: ['train', 'c.json', '--frob'], code: 2, stderr: /unknown option '--frob'/ },
  { name: 'unknown flag with ESC', files: { 'c.json': TINY }, args: ['train', 'c.json', '--\u001b[2J'], code: 2, stderr: /unknown option '--\\u001b\[2J'/ },
  { name: '--seed abc', files: { 'c.json': TINY }, args: ['train', 'c.json', '--seed', 'abc'], code: 2, stderr: /--seed.*abc/ },
  { name: '--seed 1e400', files: { 'c.json': TINY }, args: ['train', 'c.json', '--seed', '1e400'], code: 2, stderr: /--seed/ },
  { name: '--epochs 0', files: { 'c.json': TINY }, args: ['train', 'c.json', '--epochs', '0'], code: 2, stderr: /--epochs/ },
  { name: '--epochs huge', files: { 'c.json': TINY }, args: ['train', 'c.json', '--epochs', '99999999999999999999'], code: 2, stderr: /--epochs/ },
  { name: '--out without a value', files: { 'c.json': TINY }, args: ['train', 'c.json', '--out'], code: 2, stderr: /'--out' needs a value/ },
  { name: '--out= empty', files: { 'c.json': TINY }, args: ['train', 'c.json', '--out='], code: 2, stderr: /'--out' needs a value/ },
  { name: 'two config files', files: { 'c.json': TINY }, args: ['train', 'c.json', 'c.json'], code: 2, stderr: /expected one config file, got 2/ },
  { name: 'empty config argument', args: ['train', ''], code: 2, stderr: /config file name is empty/ },
  { name: 'unknown command with ESC', args: ['tr\u001b[2Jain'], code: 2, stderr: /unknown command 'tr\\u001b\[2Jain'/ },
  { name: 'dump without --out', files: { 'c.json': TINY }, args: ['dump', 'c.json'], code: 2, stderr: /needs --out/ },
];

function listTree(root: string, rel = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of readdirSync(join(root, rel))) {
    const p = rel ? `${rel}/${n}` : n;
    const st = lstatSync(join(root, p));
    out.set(p, `${st.mode}:${st.size}:${st.mtimeMs}`);
    if (st.isDirectory()) for (const [k, v] of listTree(root, p)) out.set(k, v);
  }
  return out;
}

function makeFiles(dir: string, files: Record<string, File>): void {
  for (const [name, content] of Object.entries(files)) {
    const full = join(dir, name);
    mkdirSync(join(full, '..'), { recursive: true });
    if (content === null) mkdirSync(full);
    else if (content === 'FIFO') spawnSync('mkfifo', [full]);
    else if (typeof content === 'string' || Buffer.isBuffer(content)) writeFileSync(full, content);
    else writeFileSync(full, JSON.stringify(content));
  }
}

test(`hostile CLI corpus: ${CASES.length} cases`, () => {
  assert.ok(CASES.length >= 50);
  const failures: string[] = [];
  for (const c of CASES) {
    const dir = tmp('mlp-lens-hostile-');
    makeFiles(dir, c.files ?? {});
    if (c.name === '--out is a symlink to a file') symlinkSync('f', join(dir, 'l'));
    const before = listTree(dir);
    const r = spawnSync(process.execPath, [CLI, ...c.args], { cwd: dir, encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
    const problems: string[] = [];
    if (r.signal) problems.push(`killed (${r.signal}): a hang`);
    if (r.status !== c.code) problems.push(`exit ${r.status}, expected ${c.code}`);
    if (/^ {4}at /m.test(r.stderr)) problems.push('a stack trace on stderr');
    if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/.test(r.stdout + r.stderr)) problems.push('a raw control character printed');
    const lines = r.stderr.split('\n').filter((l) => l.trim());
    if (c.stderr === null) {
      if (lines.length) problems.push('stderr should be empty');
    } else if (lines.length !== 1) problems.push(`${lines.length} lines on stderr, expected 1`);
    else if (!c.stderr.test(lines[0]!)) problems.push(`stderr does not match ${c.stderr}`);
    const allowed = c.writes ?? ['o'];
    const after = listTree(dir);
    for (const [p, v] of after) {
      if (before.get(p) === v) continue;
      if (!allowed.some((a) => p === a || p.startsWith(a + '/'))) problems.push(`wrote ${p} outside ${allowed.join(', ') || 'nothing allowed'}`);
    }
    try {
      c.check?.(dir);
    } catch (e) {
      problems.push((e as Error).message);
    }
    if (problems.length) failures.push(`${c.name} [${c.args.map((a) => JSON.stringify(a)).join(' ')}]: ${problems.join('; ')}\n${show(r)}`);
  }
  assert.equal(failures.length, 0, failures.join('\n\n'));
});
