/**
 * The host side of the training panel without VS Code: validation of webview messages, the
 * run model fed by the real training worker versus the same run reopened from disk (they must
 * look the same), grouping run folders for Open Run, and `mlp-lens train --report`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { resolveConfig } from '../../src/engine/config';
import { parsePanelMessage } from '../../src/host/validate-message';
import { cspFor, jsonForScript, webviewHtml } from '../../src/shared/page';
import type { HostToPanel, HostToWorker, WorkerToHost } from '../../src/shared/protocol';
import { findRunGroups, loadRunModel } from '../../src/runs/loader';
import { DEFAULT_PANEL_SETTINGS, panelTitles, RunModel } from '../../src/runs/model';

const root = path.resolve(__dirname, '../../..');

test('panel titles: a config trained again gets tabs told apart by their runs\' start times', () => {
  const at = (h: number, m: number, s: number) => new Date(2026, 10, 28, h, m, s).toISOString();
  const one = panelTitles([{ id: 'a', title: 'lecture', startedAt: at(14, 2, 5) }]);
  assert.equal(one.get('a'), 'MLP Lens: lecture');
  const three = panelTitles([
    { id: 'a', title: 'lecture', startedAt: at(14, 2, 5) },
    { id: 'b', title: 'spiral', startedAt: at(14, 3, 0) },
    { id: 'c', title: 'lecture', startedAt: at(9, 41, 59) },
  ]);
  assert.equal(three.get('a'), 'MLP Lens: lecture (14:02:05)');
  assert.equal(three.get('b'), 'MLP Lens: spiral');
  assert.equal(three.get('c'), 'MLP Lens: lecture (09:41:59)');
  // a run whose start is unknown keeps the plain title
  assert.equal(panelTitles([{ id: 'a', title: 'x', startedAt: 'n/a' }, { id: 'b', title: 'x', startedAt: at(1, 2, 3) }]).get('a'), 'MLP Lens: x');
});

test('webview messages: the expected shapes pass, anything else is refused', () => {
  const ok = (m: unknown) => {
    const r = parsePanelMessage(m);
    assert.ok(r.ok, JSON.stringify(m));
    return r.msg;
  };
  const bad = (m: unknown, why: RegExp) => {
    const r = parsePanelMessage(m);
    assert.ok(!r.ok, `accepted ${JSON.stringify(m)}`);
    assert.match(r.reason, why);
  };
  assert.deepEqual(ok({ type: 'ready', runId: null }), { type: 'ready', runId: null });
  assert.deepEqual(ok({ type: 'ready' }), { type: 'ready', runId: null });
  assert.deepEqual(ok({ type: 'stop', runId: 'run-abc-1' }), { type: 'stop', runId: 'run-abc-1' });
  assert.deepEqual(ok({ type: 'export', runId: 'opened-x-2' }), { type: 'export', runId: 'opened-x-2' });
  assert.deepEqual(ok({ type: 'openConfig', runId: 'r' }), { type: 'openConfig', runId: 'r' });
  assert.deepEqual(ok({ type: 'resync', runId: 'r' }), { type: 'resync', runId: 'r' });
  assert.deepEqual(ok({ type: 'weightPage', runId: 'r', first: 64 }), { type: 'weightPage', runId: 'r', first: 64 });
  bad({ type: 'weightPage', runId: 'r', first: -1 }, /bad first unit/);
  bad({ type: 'weightPage', runId: 'r', first: 1.5 }, /bad first unit/);
  bad({ type: 'weightPage', runId: 'r', first: 1e9 }, /bad first unit/);
  bad({ type: 'weightPage', runId: 'r', first: 0, layer: 2 }, /unexpected fields/);
  bad({ type: 'weightPage', first: 0 }, /bad runId/);
  assert.equal((ok({ type: 'log', level: 'error', message: 'x'.repeat(5000) }) as { message: string }).message.length, 2000);
  bad(null, /not an object/);
  bad([{ type: 'stop' }], /not an object/);
  bad('stop', /not an object/);
  bad({ type: 'stop' }, /bad runId/);
  bad({ type: 'stop', runId: 42 }, /bad runId/);
  bad({ type: 'stop', runId: '../../etc/passwd' }, /bad runId/);
  bad({ type: 'stop', runId: 'r', extra: 1 }, /unexpected fields/);
  bad({ type: 'log', level: 'debug', message: 'x' }, /level/);
  bad({ type: 'log', level: 'info', message: { toString: 1 } }, /not a string/);
  bad({ type: 'train', runId: 'r' }, /unknown message type/);
  bad(JSON.parse('{"type":"ready","__proto__":{"polluted":true}}'), /unexpected fields/);
  bad({ type: 'ready', runId: 'x'.repeat(201) }, /bad runId/);
});

test('the webview HTML has a strict CSP: scripts by nonce, styles from our origin, nothing inline', () => {
  const html = webviewHtml({ title: 'a<b', cspSource: 'https://x.test', nonce: 'N0NCE', scriptUri: 'https://x.test/p.js', styleUri: 'https://x.test/p.css', bootstrap: { s: '</script><script>alert(1)</script>' } });
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; img-src https:\/\/x.test data:; style-src https:\/\/x.test; font-src https:\/\/x.test; script-src &#39;nonce-N0NCE&#39;">/);
  assert.equal(cspFor('S', 'n').includes('unsafe'), false);
  assert.doesNotMatch(html, /style=/);
  assert.equal((html.match(/<script/g) ?? []).length, 2, 'the bundle and the JSON data block');
  assert.doesNotMatch(html, /<\/script><script>alert/);
  assert.equal(JSON.parse(jsonForScript({ s: '</script>\u2028' })).s, '</script>\u2028');
  assert.match(html, /<title>a&#60;b<\/title>/);
});

test('the inlined webview page: script and stylesheet by nonce, neither able to end its element early', () => {
  const html = webviewHtml({ title: 't', cspSource: 'https://x.test', nonce: 'N0NCE', inline: { script: 'let a = "</script><script>alert(1)</script>";', style: 'p{color:red}</style><img src=x onerror=alert(2)>' } });
  assert.match(html, /content="default-src &#39;none&#39;; img-src https:\/\/x.test data:; style-src https:\/\/x.test &#39;nonce-N0NCE&#39;; font-src https:\/\/x.test; script-src &#39;nonce-N0NCE&#39;">/);
  assert.equal((html.match(/<script nonce/g) ?? []).length, 1, 'one script element');
  assert.equal((html.match(/<\/script>/g) ?? []).length, 1);
  assert.equal((html.match(/<\/style>/g) ?? []).length, 1);
  assert.match(html, /<style nonce="N0NCE">p\{color:red\}<\\\/style>/);
  assert.match(html, /<script nonce="N0NCE">let a = "<\\\/script>/);
  assert.doesNotMatch(html, /<script[^>]*src=|<link/, "nothing fetched");
  assert.throws(() => webviewHtml({ title: 't', cspSource: 'x', nonce: 'n' }), /scriptUri or the inline bundle/);
});

function runWorker(configText: string, configFile: string, outDir: string): Promise<WorkerToHost[]> {
  const w = new Worker(path.join(root, 'dist/worker.js'));
  const msgs: WorkerToHost[] = [];
  return new Promise((resolve, reject) => {
    w.on('message', (m: WorkerToHost) => {
      msgs.push(m);
      if (m.type === 'finished' || m.type === 'inputError' || m.type === 'crashed') {
        void w.terminate();
        resolve(msgs);
      }
    });
    w.on('error', reject);
    const start: HostToWorker = { type: 'start', configText, configFile, outDir, assetDir: path.join(root, 'media/datasets'), postIntervalMs: 50 };
    w.postMessage(start);
  });
}

test('a run fed live from the worker and the same run reopened from disk look the same', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-panel-'));
  const file = path.join(root, 'examples/lecture.mlp.json');
  const text = fs.readFileSync(file, 'utf8');
  const cfgs = resolveConfig(text, file);
  const live = new RunModel('live', cfgs[0]!.name, file, cfgs, 64); // small capacity: compaction happens
  const t0 = performance.now();
  const msgs = await runWorker(text, file, out);
  const ms = performance.now() - t0;
  const interleaved: string[] = [];
  for (const m of msgs) {
    if (m.type === 'started') live.started(m.variants, m.runDirs, m.dataset);
    if (m.type === 'packedRecords') {
      assert.ok(m.data instanceof Float64Array);
      live.packedRecords(m.variant, m.layers, m.data, m.count, m.epochs, m.progress);
      if (m.count) interleaved.push(m.variant);
    }
    if (m.type === 'variantDone') live.variantDone(m.variant, m.runDir, m.summary);
  }
  live.finish(RunModel.overall(live.variants.map((v) => v.meta.status)));
  // side by side: the variants' record batches interleave instead of coming one variant after another
  const firstOf = (v: string) => interleaved.indexOf(v);
  const lastOf = (v: string) => interleaved.lastIndexOf(v);
  assert.ok(firstOf('relu+he') < lastOf('sigmoid+glorot') && firstOf('sigmoid+normal(1)') < lastOf('relu+he'), `interleaved: ${interleaved.join(' ')}`);
  assert.equal(live.status, 'completed');
  const reopened = await loadRunModel(live.runDirs, 64, 'disk');
  assert.equal(reopened.status, 'completed');
  const a = live.snapshot(DEFAULT_PANEL_SETTINGS), b = reopened.snapshot(DEFAULT_PANEL_SETTINGS);
  assert.deepEqual(b.columns, a.columns, 'the same columns, bit for bit');
  assert.deepEqual(b.epochs, a.epochs);
  assert.deepEqual(b.run.variants.map((v) => [v.name, v.status, v.step, v.totalSteps, v.layers]), a.run.variants.map((v) => [v.name, v.status, v.step, v.totalSteps, v.layers]));
  assert.ok(live.variants.every((v) => v.store.count <= 64 && v.store.stride === 4), '225 records in at most 64 columns');
  console.log(`lecture, 3 variants side by side in the worker: ${ms.toFixed(0)} ms`);
});

test('Open Run groups run folders: a CLI --out folder, or the worker\'s <time>-<config>-<variant> folders', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-groups-'));
  const cfg = JSON.stringify({ name: 'tiny', dataset: { type: 'xor', samples: 64 }, layers: [4], epochs: 1, variants: [{ name: 'a' }, { name: 'b', activation: 'relu' }] });
  fs.writeFileSync(path.join(out, 'tiny.mlp.json'), cfg);
  execFileSync(process.execPath, [path.join(root, 'dist/cli.js'), 'train', path.join(out, 'tiny.mlp.json'), '--out', path.join(out, 'cli')], { stdio: 'pipe' });
  await runWorker(cfg, path.join(out, 'tiny.mlp.json'), path.join(out, 'runs'));
  await new Promise((r) => setTimeout(r, 1100)); // a later second: another time stamp
  await runWorker(cfg, path.join(out, 'tiny.mlp.json'), path.join(out, 'runs'));
  const cliGroups = await findRunGroups([path.join(out, 'cli')]);
  assert.equal(cliGroups.length, 1);
  assert.deepEqual(cliGroups[0]!.dirs.map((d) => path.basename(d)).sort(), ['a', 'b']);
  const runGroups = await findRunGroups([path.join(out, 'runs')]);
  assert.equal(runGroups.length, 2, 'two trainings, each with its two variants');
  for (const g of runGroups) assert.equal(g.dirs.length, 2);
  assert.ok(runGroups[0]!.startedAt >= runGroups[1]!.startedAt, 'most recent first');
  assert.equal((await findRunGroups([path.join(out, 'cli', 'a', 'summary.json')]))[0]!.dirs.length, 1, 'summary.json picks its own folder');
  assert.deepEqual(await findRunGroups([path.join(out, 'nothing-here')]), []);
  // a killed run: summary says running; reopened it is "interrupted", its lines still load
  const dir = cliGroups[0]!.dirs[0]!;
  const s = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ ...s, status: 'running' }));
  const bin = fs.readFileSync(path.join(dir, 'metrics.bin'));
  const fb = (JSON.parse(bin.subarray(12, 12 + bin.readUInt32LE(8)).toString()) as { frameBytes: number }).frameBytes;
  bin[bin.length - fb - 10] ^= 1; // a frame before the last one fails its CRC
  fs.writeFileSync(path.join(dir, 'metrics.bin'), Buffer.concat([bin, bin.subarray(bin.length - 20)])); // and a torn frame at the end
  const m = await loadRunModel([dir], 100, 'x');
  assert.equal(m.variants[0]!.meta.status, 'interrupted');
  assert.equal(m.status, 'interrupted');
  assert.match(m.message ?? '', /unreadable metrics records skipped in [ab] \(record \d+; frame \d+: its CRC does not match its bytes\)/);
  // an unreadable folder: the loader rejects, naming it (Open Run shows that as its message)
  const other = cliGroups[0]!.dirs[1]!;
  fs.renameSync(path.join(other, 'metrics.bin'), path.join(other, 'metrics.moved'));
  await assert.rejects(loadRunModel([dir, other], 100, 'y'), (e: Error) => e.message.startsWith(`cannot read the run in ${other}: `) && /metrics\.jsonl: no such file/.test(e.message));
  fs.renameSync(path.join(other, 'metrics.moved'), path.join(other, 'metrics.bin'));
  fs.writeFileSync(path.join(other, 'summary.json'), '{"format": "mlp-lens-run/v1", ');
  await assert.rejects(loadRunModel([dir, other], 100, 'y'), (e: Error) => e.message.startsWith(`cannot read the run in ${other}: `) && /JSON/.test(e.message));
});

test('mlp-lens train --report writes the panel as one self-contained HTML file with the run embedded', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-report-'));
  const report = path.join(out, 'sub', 'report.html');
  const stdout = execFileSync(process.execPath, [path.join(root, 'dist/cli.js'), 'train', path.join(root, 'examples/lecture.mlp.json'), '--out', path.join(out, 'runs'), '--report', report], { encoding: 'utf8' });
  assert.match(stdout, /report: .*report\.html/);
  const html = fs.readFileSync(report, 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|@import/i, 'no external resources');
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replace(/&#39;/g, "'");
  assert.ok(csp);
  assert.match(csp, /^default-src 'none'; img-src data:; style-src 'nonce-\w+'; script-src 'nonce-\w+'$/);
  const panelJs = fs.readFileSync(path.join(root, 'dist/webview/panel.js'), 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  assert.ok(html.includes(panelJs.slice(0, 2000)) && html.includes(panelJs.slice(-2000).replace(/<\/script/gi, '<\\/script')), 'the same webview bundle, inlined');
  const boot = /<script type="application\/json" id="mlp-bootstrap">([\s\S]*?)<\/script>/.exec(html)![1]!;
  const snap = JSON.parse(boot) as Extract<HostToPanel, { type: 'snapshot' }>;
  assert.equal(snap.type, 'snapshot');
  assert.deepEqual(snap.run.variants.map((v) => [v.name, v.status, v.step]), [['sigmoid+glorot', 'completed', 225], ['relu+he', 'completed', 225], ['sigmoid+normal(1)', 'completed', 225]]);
  assert.ok(snap.columns.every((c) => c && c.count === 225));
  assert.equal(snap.run.status, 'completed');
  assert.ok(html.length < 3_000_000, `${html.length} bytes`);
});
