/**
 * The two webview validators (src/host/validate-message.ts): the inspector's expected shapes
 * pass and others are refused with a reason; the side view acts only on paths it offered; and
 * both validators, fuzzed with mutated and random messages, never throw and only ever return
 * messages of the protocol's shapes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/engine/rng';
import { OfferedPaths, parseInspectorMessage, parsePanelMessage } from '../../src/host/validate-message';
import type { HostToInspector, InspectorView } from '../../src/shared/protocol';

test('inspector messages: the expected shapes pass, anything else is refused', () => {
  const ok = (m: unknown) => {
    const r = parseInspectorMessage(m);
    assert.ok(r.ok, `refused ${JSON.stringify(m)}: ${r.ok ? '' : r.reason}`);
    return r.msg;
  };
  const bad = (m: unknown, why: RegExp) => {
    const r = parseInspectorMessage(m);
    assert.ok(!r.ok, `accepted ${JSON.stringify(m)}`);
    assert.match(r.reason, why);
  };
  assert.deepEqual(ok({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(ok({ type: 'newConfig' }), { type: 'newConfig' });
  assert.deepEqual(ok({ type: 'openExample' }), { type: 'openExample' });
  assert.deepEqual(ok({ type: 'train', file: '/w/a.mlp.json' }), { type: 'train', file: '/w/a.mlp.json' });
  assert.deepEqual(ok({ type: 'openRun', runDirs: ['/w/runs/a', '/w/runs/b'] }), { type: 'openRun', runDirs: ['/w/runs/a', '/w/runs/b'] });
  assert.deepEqual(ok({ type: 'reveal', file: '/w/a.mlp.json', line: 3, column: 1 }), { type: 'reveal', file: '/w/a.mlp.json', line: 3, column: 1 });
  assert.deepEqual(ok({ type: 'rendered', file: 'untitled:Untitled-1', version: 7, state: 'stale' }), { type: 'rendered', file: 'untitled:Untitled-1', version: 7, state: 'stale' });
  assert.equal((ok({ type: 'log', level: 'warn', message: 'y'.repeat(9000) }) as { message: string }).message.length, 2000);
  assert.equal((ok({ type: 'log', level: 'info', message: 'a\u001b[2Jb\0c\nd' }) as { message: string }).message, 'a\ufffd[2Jb\ufffdc\nd');

  bad(null, /not an object/);
  bad([], /not an object/);
  bad({ type: 'dispose' }, /unknown message type/);
  bad({ type: 'log', level: 'dispose', message: 'x' }, /bad log level/);
  bad({ type: 'log', level: 'replace', message: 'x' }, /bad log level/);
  bad({ type: 'ready', x: 1 }, /unexpected fields/);
  bad({ type: 'train' }, /bad file/);
  bad({ type: 'train', file: '' }, /bad file/);
  bad({ type: 'train', file: 'a\0b' }, /bad file/);
  bad({ type: 'train', file: 'a'.repeat(4097) }, /bad file/);
  bad({ type: 'train', file: ['a'] }, /bad file/);
  bad({ type: 'openRun', runDirs: [] }, /bad runDirs/);
  bad({ type: 'openRun', runDirs: 'a' }, /bad runDirs/);
  bad({ type: 'openRun', runDirs: ['a', 3] }, /bad runDirs/);
  bad({ type: 'openRun', runDirs: Array(257).fill('a') }, /bad runDirs/);
  bad({ type: 'reveal', file: 'a', line: -1, column: 1 }, /bad line or column/);
  bad({ type: 'reveal', file: 'a', line: 1.5, column: 1 }, /bad line or column/);
  bad({ type: 'reveal', file: 'a', line: '1', column: 1 }, /bad line or column/);
  bad({ type: 'rendered', file: 'a', version: 1, state: 'gone' }, /bad state/);
  bad(JSON.parse('{"type":"newConfig","__proto__":{"polluted":true}}'), /unexpected fields/);
});

function view(file: string, problemFiles: string[] = []): InspectorView {
  return {
    file, fileName: file.split('/').pop()!, version: 1, state: 'fresh', inspection: null,
    problems: problemFiles.map((f) => ({ severity: 'error', message: 'm', path: '$', line: 1, column: 1, file: f })) as InspectorView['problems'],
    locations: {}, timings: null, latencyMs: null, editedAt: null, postedAt: 0,
  };
}

test('panel exports: a PNG in base64 or an SVG that only draws; anything else is refused', () => {
  const ok = (m: unknown) => {
    const r = parsePanelMessage(m);
    assert.ok(r.ok, `refused ${JSON.stringify(m).slice(0, 200)}: ${r.ok ? '' : r.reason}`);
    return r.msg;
  };
  const bad = (m: unknown, why: RegExp) => {
    const r = parsePanelMessage(m);
    assert.ok(!r.ok, `accepted ${JSON.stringify(m).slice(0, 200)}`);
    assert.match(r.reason, why);
  };
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';
  const svg = (body: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">${body}</svg>`;
  assert.deepEqual(ok({ type: 'exportCsv', runId: 'run-1' }), { type: 'exportCsv', runId: 'run-1' });
  assert.deepEqual(ok({ type: 'exportImage', runId: 'r', format: 'png', data: png }), { type: 'exportImage', runId: 'r', format: 'png', data: png });
  ok({ type: 'exportImage', runId: 'r', format: 'svg', data: svg(`<path d="M0 0L1 1" stroke="#fff"/><image href="data:image/png;base64,${png}" width="1" height="1"/>`) });
  bad({ type: 'exportCsv', runId: 'r', file: '/etc/passwd' }, /unexpected fields/);
  bad({ type: 'exportImage', runId: 'r', format: 'gif', data: png }, /bad format/);
  bad({ type: 'exportImage', runId: '../x', format: 'png', data: png }, /bad runId/);
  bad({ type: 'exportImage', runId: 'r', format: 'png', data: 42 }, /not a string/);
  bad({ type: 'exportImage', runId: 'r', format: 'png', data: 'R0lGODlhAQABAAAAACw=' }, /not a PNG/); // a GIF
  bad({ type: 'exportImage', runId: 'r', format: 'png', data: `${png}<script>` }, /not a PNG/);
  bad({ type: 'exportImage', runId: 'r', format: 'png', data: 'iVBORw0KGgo' + 'A'.repeat(48 * 1024 * 1024) + '=' }, /over \d+ characters/);
  bad({ type: 'exportImage', runId: 'r', format: 'svg', data: '<html><svg></svg></html>' }, /not an SVG/);
  bad({ type: 'exportImage', runId: 'r', format: 'svg', data: svg('<script>alert(1)</script>') }, /not drawing/);
  bad({ type: 'exportImage', runId: 'r', format: 'svg', data: svg('<foreignObject><div/></foreignObject>') }, /not drawing/);
  bad({ type: 'exportImage', runId: 'r', format: 'svg', data: svg('<a href="https://x"><text>t</text></a>') }, /not drawing/);
  bad({ type: 'exportImage', runId: 'r', format: 'svg', data: svg('<rect onload="alert(1)"/>') }, /script/);
  bad({ type: 'exportImage', runId: 'r', format: 'svg', data: svg('<image href="https://example.com/x.png"/>') }, /link/);
  bad({ type: 'exportImage', runId: 'r', format: 'svg', data: svg('<image href="file:///etc/passwd"/>') }, /link/);
  bad({ type: 'exportImage', runId: 'r', format: 'svg', data: svg('<style>@import "https://x/y.css";</style>') }, /not drawing/);
  bad({ type: 'exportImage', runId: 'r', format: 'svg', data: svg('<rect fill="url(https://x/y.svg#p)"/>') }, /outside itself/);
  ok({ type: 'exportImage', runId: 'r', format: 'svg', data: svg('<clipPath id="c0"><rect/></clipPath><g clip-path="url(#c0)"><path d="M0 0"/></g>') });
});

test('the side view acts only on paths it offered', () => {
  const o = new OfferedPaths();
  const run = (runDir: string) => ({ variant: 'v', runDir, status: 'completed', epochs: 1, epochsPlanned: 1, trainAccuracy: null, testAccuracy: null, finishedAt: null });
  // nothing offered yet: no path passes, messages without paths do
  assert.equal(o.allows({ type: 'train', file: '/w/a.mlp.json' }), false);
  assert.equal(o.allows({ type: 'ready' }), true);
  o.offer({ type: 'view', view: view('/w/a.mlp.json', ['/w/data.csv']) });
  o.offer({ type: 'runs', file: '/w/a.mlp.json', runs: [run('/w/runs/r1-a-x'), run('/w/runs/r1-a-y')], training: false, skipped: [], skippedCount: 0 });
  assert.equal(o.allows({ type: 'train', file: '/w/a.mlp.json' }), true);
  assert.equal(o.allows({ type: 'reveal', file: '/w/data.csv', line: 2, column: 1 }), true);
  assert.equal(o.allows({ type: 'train', file: '/etc/passwd' }), false);
  assert.equal(o.allows({ type: 'reveal', file: '/w/other.mlp.json', line: 1, column: 1 }), false);
  assert.equal(o.allows({ type: 'openRun', runDirs: ['/w/runs/r1-a-x', '/w/runs/r1-a-y'] }), true);
  assert.equal(o.allows({ type: 'openRun', runDirs: ['/w/runs/r1-a-x', '/home/u/.ssh'] }), false);
  // a new view replaces what the last one offered
  o.offer({ type: 'view', view: view('/w/b.mlp.json') } as HostToInspector);
  assert.equal(o.allows({ type: 'train', file: '/w/a.mlp.json' }), false);
  assert.equal(o.allows({ type: 'train', file: '/w/b.mlp.json' }), true);
  o.offer({ type: 'empty' });
  assert.equal(o.allows({ type: 'train', file: '/w/b.mlp.json' }), false);
  assert.equal(o.allows({ type: 'openRun', runDirs: ['/w/runs/r1-a-x'] }), false);
});

/** A random JSON-like value: what a hostile page could post (structured clone keeps these). */
function randomValue(rng: Rng, depth = 0): unknown {
  const k = rng.int(depth > 2 ? 6 : 9);
  switch (k) {
    case 0: return null;
    case 1: return rng.int(2) === 0;
    case 2: return [0, -1, 1.5, 1e300, -0, NaN, Infinity, 2 ** 53, 7][rng.int(9)];
    case 3: return ['', 'a', '../../etc/passwd', '\0', 'x'.repeat(5000), '__proto__', 'dispose', '/w/a.mlp.json', 'ready'][rng.int(9)];
    case 4: return undefined;
    case 5: return BigInt(rng.int(100));
    case 6: return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(5); i > 0; i--) o[['type', 'file', 'runId', 'runDirs', 'line', 'column', 'level', 'message', 'version', 'state', 'x'][rng.int(11)]] = randomValue(rng, depth + 1);
      return o;
    }
  }
}

/** A valid message with one field replaced, removed or added. */
function mutate(rng: Rng, valid: Record<string, unknown>): unknown {
  const m: Record<string, unknown> = { ...valid };
  const keys = Object.keys(m);
  const key = keys[rng.int(keys.length)];
  switch (rng.int(3)) {
    case 0: m[key] = randomValue(rng); break;
    case 1: delete m[key]; break;
    default: m[['extra', 'type', 'file', 'runDirs'][rng.int(4)]] = randomValue(rng);
  }
  return m;
}

test('fuzz: both validators never throw and return only protocol shapes', () => {
  const rng = new Rng(20261207);
  const panelValid = [{ type: 'ready', runId: null }, { type: 'stop', runId: 'run-1' }, { type: 'pause', runId: 'r' }, { type: 'step', runId: 'r' }, { type: 'resume', runId: 'r' }, { type: 'continueRun', runId: 'r' }, { type: 'export', runId: 'r' }, { type: 'openConfig', runId: 'r' }, { type: 'resync', runId: 'r' }, { type: 'log', level: 'info', message: 'm' }, { type: 'exportCsv', runId: 'r' }, { type: 'exportImage', runId: 'r', format: 'png', data: 'iVBORw0KGgoAAAAN' }];
  const inspectorValid = [{ type: 'ready' }, { type: 'train', file: '/w/a.mlp.json' }, { type: 'openRun', runDirs: ['/w/r'] }, { type: 'reveal', file: '/w/a', line: 1, column: 2 }, { type: 'rendered', file: '/w/a', version: 3, state: 'fresh' }, { type: 'log', level: 'error', message: 'm' }, { type: 'newConfig' }, { type: 'openExample' }];
  const allowed: Record<string, string[]> = {
    ready: ['type', 'runId'], stop: ['type', 'runId'], pause: ['type', 'runId'], step: ['type', 'runId'], resume: ['type', 'runId'], continueRun: ['type', 'runId'], export: ['type', 'runId'], openConfig: ['type', 'runId'], resync: ['type', 'runId'],
    log: ['type', 'level', 'message'], newConfig: ['type'], openExample: ['type'], train: ['type', 'file'], openRun: ['type', 'runDirs'],
    reveal: ['type', 'file', 'line', 'column'], rendered: ['type', 'file', 'version', 'state'],
    exportCsv: ['type', 'runId'], exportImage: ['type', 'runId', 'format', 'data'],
  };
  let accepted = 0;
  for (let i = 0; i < 30000; i++) {
    const panelMsg = i % 2 === 0 ? mutate(rng, panelValid[rng.int(panelValid.length)]) : randomValue(rng);
    const inspMsg = i % 2 === 0 ? mutate(rng, inspectorValid[rng.int(inspectorValid.length)]) : randomValue(rng);
    for (const [parse, msg] of [[parsePanelMessage, panelMsg], [parseInspectorMessage, inspMsg]] as const) {
      const r = (parse as (x: unknown) => { ok: boolean; msg?: Record<string, unknown>; reason?: string })(msg);
      if (!r.ok) {
        assert.equal(typeof r.reason, 'string');
        continue;
      }
      accepted++;
      const out = r.msg!;
      assert.ok(allowed[out.type as string], `accepted type ${String(out.type)}`);
      for (const k of Object.keys(out)) assert.ok(allowed[out.type as string].includes(k), `field ${k} in ${String(out.type)}`);
      for (const v of Object.values(out)) {
        if (typeof v === 'string') assert.ok(v.length <= 4096 && !v.includes('\0'));
        else if (typeof v === 'number') assert.ok(Number.isInteger(v) && v >= 0);
      }
      // a message that passed passes again unchanged (the validator's output is its own fixed point)
      assert.deepEqual((parse as (x: unknown) => { msg?: unknown })(structuredClone(out)).msg, out);
    }
  }
  assert.ok(accepted > 500, `only ${accepted} of the fuzzed messages were valid: the mutations are too rough to test acceptance`);
});

test('panel messages: Pause, Step, Resume and Continue carry a run id and nothing else', () => {
  for (const type of ['pause', 'step', 'resume', 'continueRun']) {
    const r = parsePanelMessage({ type, runId: 'run-7' });
    assert.ok(r.ok, `refused ${type}`);
    assert.deepEqual(r.msg, { type, runId: 'run-7' });
    const extra = parsePanelMessage({ type, runId: 'run-7', epochs: 5 });
    assert.ok(!extra.ok && /unexpected fields in/.test(extra.reason), `${type} with an extra field`);
    const noId = parsePanelMessage({ type });
    assert.ok(!noId.ok && /bad runId/.test(noId.reason));
    const badId = parsePanelMessage({ type, runId: '../x y' });
    assert.ok(!badId.ok && /bad runId/.test(badId.reason));
  }
  const steps = parsePanelMessage({ type: 'steps', runId: 'r' });
  assert.ok(!steps.ok && /unknown message type/.test(steps.reason));
});
