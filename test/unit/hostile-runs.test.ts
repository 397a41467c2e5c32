/**
 * Hostile run folders: a corpus of run folders built to hang, exhaust or crash a reader (symlinks
 * to devices and out of the folder, FIFOs, a 100 MB line, a config of 20,000,000 units, records
 * declaring 20-million-entry arrays, wrong types, `__proto__` keys, JSON nested 100,000 deep...),
 * each with its expected outcome: skipped by the scan with a reason, refused by the loader with a
 * message naming the file, or loaded with N bad lines. The whole corpus is scanned (the side view's
 * lastRun, Open Run's findRunGroups) and loaded within a bound on time and memory.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { findRunGroups, loadRunModel } from '../../src/runs/loader';
import { readRunRecords } from '../../src/runs/read';
import { scanRunFolder } from '../../src/runs/scan';
import { newSummary } from '../../src/runs/summary';
import { checkRecord } from '../../src/runs/validate';
import { encodeStep, headerBytes, writerLayout } from '../../src/runs/steps-format';
import type { StepRecord } from '../../src/engine/trainer';
import { lastRun } from '../../src/sideview/runs';
import { makeConfig } from '../support/fixtures';
import { tmp } from '../support/cli';
import { goodStep } from '../support/run-records';

const cfg = makeConfig({ name: 'hostile', layers: [3, 2], epochs: 2, probes: { every: 1, histogramBins: 4, unitSaturation: true } });
const MB = 1 << 20;

/** Expected: the scan keeps the folder (`scan: true`) or skips it with a reason; the loader refuses it or loads it with `bad` bad lines. */
interface Case {
  name: string;
  build(dir: string, env: Env): void;
  scan: true | RegExp | 'silent';
  load: { refused: RegExp } | { bad: number; good?: number; message?: RegExp };
}
interface Env { outside: string; cfgFile: string; runs: string }

const summaryOf = (env: Env, over: Record<string, unknown> = {}) => ({
  ...newSummary(cfg, env.cfgFile, { parameters: 10, stepsPlanned: 20, batchSize: 8, kernel: 'js-f64' }),
  status: 'completed', startedAt: '2026-01-01T00:00:00.000Z', ...over,
});
const epochLine = (e: number) => JSON.stringify({ kind: 'epoch', epoch: e, step: e * 2, train: { loss: 1, accuracy: 0.5 }, test: null });
const goodLines = [JSON.stringify(goodStep(1)), JSON.stringify(goodStep(2)), epochLine(1)];

/** A whole, good run folder; `over` replaces files by name (a string: its text; a function: makes it). */
function write(dir: string, env: Env, over: Record<string, string | ((file: string) => void)> = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  const files: Record<string, string | ((file: string) => void)> = {
    'summary.json': JSON.stringify(summaryOf(env)), 'config.json': JSON.stringify(cfg), 'metrics.jsonl': goodLines.join('\n') + '\n', ...over,
  };
  for (const [name, v] of Object.entries(files)) {
    const f = path.join(dir, name);
    fs.rmSync(f, { force: true, recursive: true });
    if (typeof v === 'string') fs.writeFileSync(f, v);
    else v(f);
  }
}
const link = (to: string) => (f: string) => fs.symlinkSync(to, f);
const fifo = (f: string) => execFileSync('mkfifo', [f]);
const folder = (f: string) => fs.mkdirSync(f);
const sparse = (bytes: number) => (f: string) => { const fd = fs.openSync(f, 'w'); fs.ftruncateSync(fd, bytes); fs.closeSync(fd); };
const lines = (...ls: string[]) => ls.join('\n') + '\n';
const stepWith = (over: Record<string, unknown>) => JSON.stringify({ ...goodStep(3), ...over });
const layerWith = (k: number, over: Record<string, unknown>) => {
  const s = goodStep(3);
  (s.layers as Record<string, unknown>[])[k] = { ...(s.layers as Record<string, unknown>[])[k], ...over };
  return JSON.stringify(s);
};
const OUT = /symbolic link to .* outside /;

const summaryCases: Case[] = [
  { name: 'summary-devzero', build: (d, e) => write(d, e, { 'summary.json': link('/dev/zero') }), scan: OUT, load: { refused: OUT } },
  { name: 'summary-urandom', build: (d, e) => write(d, e, { 'summary.json': link('/dev/urandom') }), scan: OUT, load: { refused: OUT } },
  { name: 'summary-fifo', build: (d, e) => write(d, e, { 'summary.json': fifo }), scan: /summary\.json'?: it is a FIFO/, load: { refused: /it is a FIFO/ } },
  { name: 'summary-folder', build: (d, e) => write(d, e, { 'summary.json': folder }), scan: /it is a folder/, load: { refused: /it is a folder/ } },
  { name: 'summary-passwd', build: (d, e) => write(d, e, { 'summary.json': link('/etc/passwd') }), scan: OUT, load: { refused: OUT } },
  { name: 'summary-big-outside', build: (d, e) => write(d, e, { 'summary.json': link(path.join(e.outside, 'big')) }), scan: OUT, load: { refused: OUT } },
  { name: 'summary-big', build: (d, e) => write(d, e, { 'summary.json': sparse(2 * MB) }), scan: /2\.0 MiB; the limit is 1\.0 MiB/, load: { refused: /the limit is 1\.0 MiB/ } },
  { name: 'summary-loop', build: (d, e) => write(d, e, { 'summary.json': link('summary.json') }), scan: /too many symbolic links/, load: { refused: /too many symbolic links/ } },
  { name: 'summary-not-json', build: (d, e) => write(d, e, { 'summary.json': '{"format": "mlp-lens-run/v1", ' }), scan: /summary\.json is not JSON/, load: { refused: /summary\.json is not JSON/ } },
  { name: 'summary-not-utf8', build: (d, e) => write(d, e, { 'summary.json': (f) => fs.writeFileSync(f, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])) }), scan: /not UTF-8/, load: { refused: /not UTF-8/ } },
  { name: 'summary-status-evil', build: (d, e) => write(d, e, { 'summary.json': JSON.stringify(summaryOf(e, { status: 'evil' })) }), scan: /not a run summary: "status"/, load: { refused: /not a run summary: "status"/ } },
  { name: 'summary-array', build: (d, e) => write(d, e, { 'summary.json': '[1,2,3]' }), scan: /not a JSON object/, load: { refused: /not a JSON object/ } },
  { name: 'summary-null', build: (d, e) => write(d, e, { 'summary.json': 'null' }), scan: /not a JSON object/, load: { refused: /not a JSON object/ } },
  { name: 'summary-string-numbers', build: (d, e) => write(d, e, { 'summary.json': JSON.stringify(summaryOf(e, { epochs: '5' })) }), scan: /"epochs"/, load: { refused: /"epochs"/ } },
  { name: 'summary-huge-number', build: (d, e) => write(d, e, { 'summary.json': JSON.stringify(summaryOf(e)).replace('"steps":0', '"steps":1e999') }), scan: /"steps"/, load: { refused: /"steps"/ } },
  { name: 'summary-name-object', build: (d, e) => write(d, e, { 'summary.json': JSON.stringify(summaryOf(e, { name: { replace: 1 } })) }), scan: /"name"/, load: { refused: /"name"/ } },
  { name: 'summary-started-number', build: (d, e) => write(d, e, { 'summary.json': JSON.stringify(summaryOf(e, { startedAt: 5 })) }), scan: /"startedAt"/, load: { refused: /"startedAt"/ } },
  { name: 'summary-divergence-bad', build: (d, e) => write(d, e, { 'summary.json': JSON.stringify(summaryOf(e, { divergence: { message: 5 } })) }), scan: /"divergence"/, load: { refused: /"divergence"/ } },
  { name: 'summary-deep', build: (d, e) => write(d, e, { 'summary.json': JSON.stringify(summaryOf(e)).replace('"name":"hostile"', `"name":${'['.repeat(100_000)}${']'.repeat(100_000)}`) }), scan: /"name"/, load: { refused: /"name"/ } },
  { name: 'summary-proto-only', build: (d, e) => write(d, e, { 'summary.json': `{"__proto__": ${JSON.stringify(summaryOf(e))}}` }), scan: /"format"/, load: { refused: /"format"/ } },
  { name: 'summary-proto-extra', build: (d, e) => write(d, e, { 'summary.json': JSON.stringify(summaryOf(e)).replace('{', '{"__proto__": {"status": "evil", "polluted": true},') }), scan: true, load: { bad: 0, good: 3 } },
  { name: 'folder-link-out', build: (d, e) => { write(path.join(e.outside, 'run'), e); fs.symlinkSync(path.join(e.outside, 'run'), d); }, scan: OUT, load: { bad: 0, good: 3 } },
  { name: 'no-summary', build: (d, e) => write(d, e, { 'summary.json': (f) => fs.rmSync(f, { force: true }) }), scan: 'silent', load: { refused: /no such file/ } },
];

const configCases: Case[] = [
  { name: 'config-20M-units', build: (d, e) => write(d, e, { 'config.json': JSON.stringify({ ...cfg, layers: [20_000_000] }) }), scan: true, load: { refused: /config\.json is not a run's resolved config: "layers"\[0\] is 20000000; a layer has 1 to 4096 units/ } },
  { name: 'config-17-layers', build: (d, e) => write(d, e, { 'config.json': JSON.stringify({ ...cfg, layers: Array(17).fill(4), activation: Array(17).fill('relu') }) }), scan: true, load: { refused: /17 hidden layers/ } },
  { name: 'config-bins', build: (d, e) => write(d, e, { 'config.json': JSON.stringify({ ...cfg, probes: { ...cfg.probes, histogramBins: 1e6 } }) }), scan: true, load: { refused: /histogramBins/ } },
  { name: 'config-string-layers', build: (d, e) => write(d, e, { 'config.json': JSON.stringify({ ...cfg, layers: '64' }) }), scan: true, load: { refused: /"layers" is the string "64"/ } },
  { name: 'config-null', build: (d, e) => write(d, e, { 'config.json': 'null' }), scan: true, load: { refused: /config\.json is not a run's resolved config: not a JSON object/ } },
  { name: 'config-fifo', build: (d, e) => write(d, e, { 'config.json': fifo }), scan: true, load: { refused: /config\.json'?: it is a FIFO/ } },
  { name: 'config-devzero', build: (d, e) => write(d, e, { 'config.json': link('/dev/zero') }), scan: true, load: { refused: OUT } },
  { name: 'config-big', build: (d, e) => write(d, e, { 'config.json': sparse(3 * MB) }), scan: true, load: { refused: /the limit is 1\.0 MiB/ } },
  { name: 'config-missing', build: (d, e) => write(d, e, { 'config.json': (f) => fs.rmSync(f, { force: true }) }), scan: true, load: { refused: /config\.json: no such file/ } },
];

const notObject = /not a JSON object/;
const metricsCases: Case[] = [
  { name: 'metrics-devzero', build: (d, e) => write(d, e, { 'metrics.jsonl': link('/dev/zero') }), scan: OUT, load: { refused: OUT } },
  { name: 'metrics-urandom', build: (d, e) => write(d, e, { 'metrics.jsonl': link('/dev/urandom') }), scan: OUT, load: { refused: OUT } },
  { name: 'metrics-passwd', build: (d, e) => write(d, e, { 'metrics.jsonl': link('/etc/passwd') }), scan: OUT, load: { refused: OUT } },
  { name: 'metrics-fifo', build: (d, e) => write(d, e, { 'metrics.jsonl': fifo }), scan: true, load: { refused: /metrics\.jsonl: it is a FIFO/ } },
  { name: 'metrics-folder', build: (d, e) => write(d, e, { 'metrics.jsonl': folder }), scan: true, load: { refused: /metrics\.jsonl: it is a folder/ } },
  { name: 'metrics-missing', build: (d, e) => write(d, e, { 'metrics.jsonl': (f) => fs.rmSync(f, { force: true }) }), scan: 'silent', load: { refused: /metrics\.jsonl: no such file/ } },
  { name: 'metrics-100MB-no-newline', build: (d, e) => write(d, e, { 'metrics.jsonl': sparse(100 * MB) }), scan: true, load: { bad: 1, good: 0, message: /longer than 16777216 bytes/ } },
  {
    name: 'metrics-17MB-line-then-good', build: (d, e) => write(d, e, { 'metrics.jsonl': (f) => fs.writeFileSync(f, Buffer.concat([Buffer.from('{"kind":"step","pad":"'), Buffer.alloc(17 * MB, 97), Buffer.from('"}\n' + goodLines.join('\n'))])) }),
    scan: true, load: { bad: 1, good: 3, message: /line 1: longer than/ },
  },
  { name: 'metrics-20M-units-declared', build: (d, e) => write(d, e, { 'metrics.jsonl': lines(layerWith(0, { unitSaturation: { length: 20_000_000 } }), ...goodLines) }), scan: true, load: { bad: 1, good: 3, message: /unitSaturation is an object/ } },
  { name: 'metrics-20M-layers-declared', build: (d, e) => write(d, e, { 'metrics.jsonl': lines(stepWith({ layers: { length: 20_000_000 } }), ...goodLines) }), scan: true, load: { bad: 1, good: 3, message: /"layers" is an object/ } },
  { name: 'metrics-20M-hist-declared', build: (d, e) => write(d, e, { 'metrics.jsonl': lines(layerWith(1, { histogram: { min: 0, max: 1, counts: { length: 20_000_000 } } }), ...goodLines) }), scan: true, load: { bad: 1, good: 3, message: /counts is an object/ } },
  { name: 'metrics-long-array', build: (d, e) => write(d, e, { 'metrics.jsonl': lines(layerWith(0, { unitSaturation: Array(1_000_000).fill(0) }), ...goodLines) }), scan: true, load: { bad: 1, good: 3, message: /1000000 entries, not 3/ } },
  {
    name: 'metrics-wrong-types', build: (d, e) => write(d, e, {
      'metrics.jsonl': lines(stepWith({ loss: 'NaN' }), stepWith({ step: '1' }), stepWith({ kind: null }), stepWith({ layers: null }), stepWith({ lr: { nested: { deeper: [] } } }), layerWith(0, { mean: 'Infinity' }), layerWith(2, { activation: 7 }), 'null', '42', '"step"', ...goodLines),
    }), scan: true, load: { bad: 10, good: 3, message: /line 1: "loss" is the string "NaN"/ },
  },
  { name: 'metrics-deep-array', build: (d, e) => write(d, e, { 'metrics.jsonl': lines('['.repeat(100_000) + ']'.repeat(100_000), ...goodLines) }), scan: true, load: { bad: 1, good: 3, message: notObject } },
  { name: 'metrics-deep-object', build: (d, e) => write(d, e, { 'metrics.jsonl': lines('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000), ...goodLines) }), scan: true, load: { bad: 1, good: 3, message: /"step"/ } },
  { name: 'metrics-deep-in-field', build: (d, e) => write(d, e, { 'metrics.jsonl': lines(stepWith({ layers: 'X' }).replace('"X"', '['.repeat(100_000) + ']'.repeat(100_000)), ...goodLines) }), scan: true, load: { bad: 1, good: 3, message: /"layers" has 1 entries/ } },
  { name: 'metrics-proto', build: (d, e) => write(d, e, { 'metrics.jsonl': lines(`{"__proto__": ${JSON.stringify(goodStep(1))}}`, JSON.stringify(goodStep(1)).replace('{', '{"__proto__": {"polluted": true},'), ...goodLines) }), scan: true, load: { bad: 1, good: 4 } },
  { name: 'metrics-huge-numbers', build: (d, e) => write(d, e, { 'metrics.jsonl': lines(stepWith({ step: 'X' }).replace('"X"', '1e999'), stepWith({ loss: 1e308 }), stepWith({ epoch: 1e300 }), ...goodLines) }), scan: true, load: { bad: 2, good: 4 } },
  { name: 'metrics-negative', build: (d, e) => write(d, e, { 'metrics.jsonl': lines(stepWith({ step: -1 }), stepWith({ step: 1.5 }), stepWith({ epoch: -2 }), ...goodLines) }), scan: true, load: { bad: 3, good: 3 } },
  { name: 'metrics-wrong-shapes', build: (d, e) => write(d, e, { 'metrics.jsonl': lines(layerWith(0, { histogram: { min: 0, max: 1, counts: [1, 2, 3] } }), stepWith({ layers: [] }), layerWith(0, { unitSaturation: [1] }), ...goodLines) }), scan: true, load: { bad: 3, good: 3 } },
  { name: 'metrics-too-many-epochs', build: (d, e) => write(d, e, { 'metrics.jsonl': lines(...goodLines, epochLine(2), epochLine(2), epochLine(2)) }), scan: true, load: { bad: 2, good: 4, message: /more epoch records than the run's 2 epochs/ } },
  { name: 'metrics-junk-lines', build: (d, e) => write(d, e, { 'metrics.jsonl': lines(...goodLines, ...Array(5000).fill('x'), ...goodLines) }), scan: true, load: { bad: 1000, good: 3, message: /reading stopped at line 1003/ } },
  { name: 'metrics-binary', build: (d, e) => write(d, e, { 'metrics.jsonl': (f) => fs.writeFileSync(f, Buffer.concat([Buffer.from([0x7b, 0xff, 0xfe, 0x0a]), Buffer.from(lines(...goodLines))])) }), scan: true, load: { bad: 1, good: 3 } },
  { name: 'metrics-crlf-blank', build: (d, e) => write(d, e, { 'metrics.jsonl': goodLines.join('\r\n\r\n') }), scan: true, load: { bad: 0, good: 3 } },
];

const entryCases: Case[] = [
  { name: 'entry-fifo', build: (d) => execFileSync('mkfifo', [d]), scan: 'silent', load: { refused: /./ } },
  { name: 'entry-devzero', build: (d) => fs.symlinkSync('/dev/zero', d), scan: OUT, load: { refused: /./ } },
  { name: 'entry-file', build: (d) => fs.writeFileSync(d, 'x'), scan: 'silent', load: { refused: /./ } },
  { name: 'sibling-links', build: (d, e) => { write(d, e); for (const f of ['summary.json', 'config.json', 'metrics.jsonl']) { fs.renameSync(path.join(d, f), path.join(e.runs, `kept-${f}`)); fs.symlinkSync(`../kept-${f}`, path.join(d, f)); } }, scan: true, load: { refused: OUT } },
  { name: 'inside-links', build: (d, e) => { write(d, e); fs.mkdirSync(path.join(d, 'real')); for (const f of ['summary.json', 'metrics.jsonl']) { fs.renameSync(path.join(d, f), path.join(d, 'real', f)); fs.symlinkSync(`real/${f}`, path.join(d, f)); } }, scan: true, load: { bad: 0, good: 3 } },
];

/** metrics.bin of the good steps for `c` (another config: frames of another layout), then `tail`. */
const stepsBin = (c = cfg, tail = Buffer.alloc(0)) => (f: string) => {
  const L = writerLayout(c, 2, 8);
  const frames = Buffer.alloc(2 * L.frameBytes);
  const view = new DataView(frames.buffer, frames.byteOffset, frames.byteLength);
  for (const i of [0, 1]) encodeStep(goodStep(i + 1) as unknown as StepRecord, 8, L, view, frames, i * L.frameBytes);
  fs.writeFileSync(f, Buffer.concat([headerBytes(L), frames, tail]));
};
/** A run folder in the binary form: metrics.bin and epochs.jsonl instead of metrics.jsonl. */
const writeBin = (d: string, e: Env, over: Record<string, string | ((file: string) => void)> = {}) =>
  write(d, e, { 'metrics.jsonl': (f) => fs.rmSync(f, { force: true }), 'metrics.bin': stepsBin(), 'epochs.jsonl': lines(epochLine(1)), ...over });
const binaryCases: Case[] = [
  { name: 'bin-good-torn-tail', build: (d, e) => writeBin(d, e, { 'metrics.bin': stepsBin(cfg, Buffer.alloc(37, 7)) }), scan: true, load: { bad: 0, good: 3 } },
  { name: 'bin-devzero', build: (d, e) => writeBin(d, e, { 'metrics.bin': link('/dev/zero') }), scan: OUT, load: { refused: OUT } },
  { name: 'bin-fifo', build: (d, e) => writeBin(d, e, { 'metrics.bin': fifo }), scan: true, load: { refused: /metrics\.bin: it is a FIFO/ } },
  { name: 'bin-folder', build: (d, e) => writeBin(d, e, { 'metrics.bin': folder }), scan: true, load: { refused: /metrics\.bin: it is a folder/ } },
  { name: 'bin-100MB-zeros', build: (d, e) => writeBin(d, e, { 'metrics.bin': sparse(100 * MB) }), scan: true, load: { refused: /does not start with MLPLSTP1/ } },
  { name: 'bin-2GB-header', build: (d, e) => writeBin(d, e, { 'metrics.bin': (f) => fs.writeFileSync(f, Buffer.concat([Buffer.from('MLPLSTP1'), Buffer.from([0xff, 0xff, 0xff, 0x7f])])) }), scan: true, load: { refused: /header is 2147483647 bytes/ } },
  { name: 'bin-other-layout', build: (d, e) => writeBin(d, e, { 'metrics.bin': stepsBin(makeConfig({ layers: [3, 2], probes: { every: 1, histogramBins: 5, unitSaturation: true } })) }), scan: true, load: { refused: /fields are not those of the run's config/ } },
  { name: 'bin-epochs-fifo', build: (d, e) => writeBin(d, e, { 'epochs.jsonl': fifo }), scan: true, load: { refused: /epochs\.jsonl: it is a FIFO/ } },
  { name: 'bin-epochs-passwd', build: (d, e) => writeBin(d, e, { 'epochs.jsonl': link('/etc/passwd') }), scan: true, load: { refused: OUT } },
];
const CASES = [...summaryCases, ...configCases, ...metricsCases, ...binaryCases, ...entryCases];

test(`a corpus of ${CASES.length} hostile run folders: each skipped, refused or loaded as expected, within bounds of time and memory`, async () => {
  assert.ok(CASES.length >= 40);
  const base = tmp('mlp-lens-hostile-');
  const env: Env = { outside: path.join(base, 'outside'), cfgFile: path.join(base, 'hostile.mlp.json'), runs: path.join(base, 'runs') };
  fs.mkdirSync(env.outside, { recursive: true });
  fs.mkdirSync(env.runs, { recursive: true });
  sparse(200 * MB)(path.join(env.outside, 'big'));
  const dirOf = (i: number, name: string) => path.join(env.runs, `2026-01-01T00-${String(Math.floor(i / 60)).padStart(2, '0')}-${String(i % 60).padStart(2, '0')}-hostile-${name}`);
  CASES.forEach((c, i) => c.build(dirOf(i, c.name), env));
  // the good run: later than every hostile one, two variants
  const good = ['a', 'b'].map((v) => {
    const d = path.join(env.runs, `2026-01-02T00-00-00-hostile-${v}`);
    write(d, env, { 'summary.json': JSON.stringify(summaryOf(env, { variant: v, startedAt: '2026-01-02T00:00:00.000Z' })), 'config.json': JSON.stringify({ ...cfg, variant: v }) });
    return d;
  });

  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  const t0 = performance.now();

  // Open Run's scan (the side view's does not need metrics.jsonl): what is kept, what is skipped and why
  const reports: string[] = [];
  const scanned = new Set((await scanRunFolder(env.runs, { needMetrics: true, report: (m) => reports.push(m) })).map((r) => path.basename(r.dir)));
  CASES.forEach((c, i) => {
    const name = path.basename(dirOf(i, c.name));
    const said = reports.filter((m) => m.includes(`${name}:`) || m.includes(`${name}/`));
    if (c.scan === true) assert.ok(scanned.has(name) && !said.length, `${c.name}: kept by the scan (${said.join('; ')})`);
    else {
      assert.ok(!scanned.has(name), `${c.name}: not kept by the scan`);
      if (c.scan === 'silent') assert.deepEqual(said, [], `${c.name}: skipped silently`);
      else assert.ok(said.some((m) => (c.scan as RegExp).test(m)), `${c.name}: skipped with a reason matching ${c.scan}: ${said.join('; ') || 'nothing said'}`);
    }
  });
  for (const d of good) assert.ok(scanned.has(path.basename(d)));

  // the side view's last run: the good run only
  const last = await lastRun(env.cfgFile, [env.runs]);
  assert.deepEqual(last.map((r) => r.runDir).sort(), good);
  // Open Run's groups: no hostile folder it could not read
  const groups = await findRunGroups([env.runs], () => undefined);
  assert.deepEqual(groups[0]!.dirs, good);
  assert.ok(groups.every((g) => g.dirs.every((d) => scanned.has(path.basename(d)))));

  // each folder opened directly
  for (const [i, c] of CASES.entries()) {
    const dir = dirOf(i, c.name);
    const loaded = loadRunModel([dir], 50, c.name);
    if ('refused' in c.load) {
      const re = c.load.refused;
      await assert.rejects(loaded, (e: Error) => {
        assert.ok(e.message.startsWith(`cannot read the run in ${dir}: `), `${c.name}: names the folder: ${e.message}`);
        assert.match(e.message, re, c.name);
        assert.doesNotMatch(e.message, /is not a function|undefined|\[object/, c.name);
        return true;
      });
      continue;
    }
    const m = await loaded.catch((e: Error) => assert.fail(`${c.name}: refused: ${e.message}`));
    const v = m.variants[0]!;
    if (c.load.good !== undefined) assert.equal(v.store.count + v.epochs.length, c.load.good, `${c.name}: good records`);
    if (c.load.bad === 0) assert.equal(m.message, null, `${c.name}: ${m.message}`);
    else {
      assert.match(m.message ?? '', /unreadable metrics lines skipped/, c.name);
      const counted = /\(lines? ([\d, ]+?)(?: and (\d+) more)?;/.exec(m.message!);
      assert.ok(counted, `${c.name}: ${m.message}`);
      const n = counted[1]!.split(',').length + Number(counted[2] ?? 0);
      assert.equal(n, c.load.bad, `${c.name}: bad lines: ${m.message}`);
      if (c.load.message) assert.match(m.message!, c.load.message, c.name);
    }
  }
  // a folder inside the folder Open Run scanned may link to files elsewhere in it
  const sibling = dirOf(CASES.findIndex((c) => c.name === 'sibling-links'), 'sibling-links');
  const viaRoot = await loadRunModel([sibling], 50, 'sibling', [fs.realpathSync(env.runs)]);
  assert.equal(viaRoot.variants[0]!.store.count, 2);

  clearInterval(sampler);
  const ms = performance.now() - t0;
  peak = Math.max(peak, process.memoryUsage().rss);
  const grew = (peak - rss0) / MB;
  console.log(`${CASES.length} hostile run folders scanned and loaded in ${ms.toFixed(0)} ms; rss grew at most ${grew.toFixed(0)} MB`);
  assert.ok(ms < 30_000, `${ms.toFixed(0)} ms`);
  assert.ok(grew < 300, `rss grew ${grew.toFixed(0)} MB`);
});

test('metrics lines: a line longer than the cap is one bad line, the reader resynchronises at the next newline', async () => {
  const dir = tmp('mlp-lens-longline-');
  const long = '{"kind":"step",' + 'x'.repeat(5000) + '}';
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines(JSON.stringify(goodStep(1)), long, JSON.stringify(goodStep(2)), long, long) + long);
  for (const chunk of [7, 100, 4096]) {
    const steps: number[] = [];
    const r = await readRunRecords(dir, (v) => checkRecord(v, cfg), (s) => steps.push(...s.map((x) => x.step)), { chunk, maxLine: 4096 });
    assert.deepEqual(steps, [1, 2], `chunk ${chunk}`);
    assert.deepEqual(r.badLines, [2, 4, 5, 6], `chunk ${chunk}`);
    assert.match(r.problems[0]!, /line 2: longer than 4096 bytes/);
  }
});

test('a folder of 5,000 entries is looked at up to the budget, and says so', async () => {
  const dir = tmp('mlp-lens-many-');
  for (let i = 0; i < 5000; i++) fs.writeFileSync(path.join(dir, `f${i}`), '');
  const said: string[] = [];
  const t0 = performance.now();
  assert.deepEqual(await scanRunFolder(dir, { report: (m) => said.push(m) }), []);
  assert.deepEqual(said, [`stopped looking in ${dir} after 2000 entries`]);
  assert.ok(performance.now() - t0 < 5000);
});

test('a huge (sparse) summary is refused unread and does not use up the scan\'s byte budget', async () => {
  const env: Env = { outside: tmp('mlp-lens-out-'), cfgFile: '', runs: tmp('mlp-lens-runs-') };
  env.cfgFile = path.join(env.outside, 'hostile.mlp.json');
  // the huge one first and last in any directory order: ten good runs around two sparse ones
  for (let i = 0; i < 10; i++) write(path.join(env.runs, `good-${i}`), env);
  for (const name of ['huge-a', 'huge-b']) write(path.join(env.runs, name), env, { 'summary.json': sparse(3 * 1024 * MB) });
  const said: string[] = [];
  // a budget of bytes that the good summaries fit in, and either sparse one alone would exceed
  const found = await scanRunFolder(env.runs, { maxBytes: 64 * 1024, report: (m) => said.push(m) });
  assert.equal(found.length, 10, said.join('\n'));
  assert.equal(said.length, 2);
  for (const m of said) assert.match(m, /huge-[ab]: .*3072 MiB; the limit is 1\.0 MiB/);
});
