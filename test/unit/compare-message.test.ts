/**
 * The Compare webview's messages (parseCompareMessage): the expected shapes pass, anything else
 * is refused with a reason, a run is named only by an index among the runs the host sent; fuzzed
 * with mutated and random messages, it never throws and returns only protocol shapes. And the
 * compare snapshot's legend: what differs, labels.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/engine/rng';
import { parseCompareMessage } from '../../src/host/validate-message';
import { differingFields, labelFor, utcMinute } from '../../src/runs/compare';
import type { CompareRunInfo } from '../../src/shared/protocol';

test('compare messages: the expected shapes pass, anything else is refused', () => {
  assert.deepEqual(parseCompareMessage({ type: 'ready' }, 2), { ok: true, msg: { type: 'ready' } });
  assert.deepEqual(parseCompareMessage({ type: 'openRun', index: 1 }, 2), { ok: true, msg: { type: 'openRun', index: 1 } });
  assert.deepEqual(parseCompareMessage({ type: 'log', level: 'warn', message: 'a\u0000b' }, 2), { ok: true, msg: { type: 'log', level: 'warn', message: 'a\ufffdb' } });
  const bad = (m: unknown, runs: number, why: RegExp) => {
    const r = parseCompareMessage(m, runs);
    assert.equal(r.ok, false, JSON.stringify(m));
    assert.match(r.ok ? '' : r.reason, why);
  };
  bad({ type: 'openRun', index: 2 }, 2, /bad run index/);
  bad({ type: 'openRun', index: -1 }, 2, /bad run index/);
  bad({ type: 'openRun', index: 0.5 }, 2, /bad run index/);
  bad({ type: 'openRun', index: 0 }, 0, /bad run index/);
  bad({ type: 'openRun', index: '0' }, 2, /bad run index/);
  bad({ type: 'openRun', index: 0, dir: '/etc' }, 2, /unexpected fields/);
  bad({ type: 'openRun', runDirs: ['/etc'] }, 2, /unexpected fields/);
  bad({ type: 'ready', x: 1 }, 2, /unexpected fields/);
  bad({ type: 'stop', runId: 'a' }, 2, /unknown message type/);
  bad(null, 2, /not an object/);
  bad([{ type: 'ready' }], 2, /not an object/);
  bad({ type: 'log', level: 'debug', message: '' }, 2, /bad log level/);
});

function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 6 : 8)) {
    case 0: return null;
    case 1: return rng.int(2) === 0;
    case 2: return [0, -1, 1, 1.5, 2, 1e300, NaN, Infinity, 2 ** 53, 5][rng.int(10)];
    case 3: return ['', 'ready', 'openRun', 'log', 'info', '../../x', '\0', 'x'.repeat(3000)][rng.int(8)];
    case 4: return undefined;
    case 5: return BigInt(rng.int(9));
    case 6: return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--) o[['type', 'index', 'level', 'message', 'runDirs', 'x'][rng.int(6)]] = randomValue(rng, depth + 1);
      return o;
    }
  }
}

test('fuzz: the compare validator never throws and returns only protocol shapes', () => {
  const rng = new Rng(20261208);
  const valid: Record<string, unknown>[] = [{ type: 'ready' }, { type: 'openRun', index: 0 }, { type: 'openRun', index: 2 }, { type: 'log', level: 'error', message: 'x' }];
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const runs = rng.int(5);
    let m: unknown;
    if (i % 2 === 0) {
      const v: Record<string, unknown> = { ...valid[rng.int(valid.length)]! };
      const keys = Object.keys(v);
      const key = keys[rng.int(keys.length)]!;
      const how = rng.int(4);
      if (how === 0) v[key] = randomValue(rng);
      else if (how === 1) delete v[key];
      else if (how === 2) v[['extra', 'type', 'index', 'runDirs'][rng.int(4)]!] = randomValue(rng);
      m = v;
    } else m = randomValue(rng);
    let r;
    try {
      r = parseCompareMessage(m, runs);
    } catch (e) {
      assert.fail(`threw on ${String(m)}: ${(e as Error).message}`);
    }
    if (!r.ok) {
      assert.equal(typeof r.reason, 'string');
      continue;
    }
    accepted++;
    const msg = r.msg;
    if (msg.type === 'ready') assert.deepEqual(Object.keys(msg), ['type']);
    else if (msg.type === 'openRun') assert.ok(Number.isInteger(msg.index) && msg.index >= 0 && msg.index < runs, `index ${msg.index} of ${runs}`);
    else {
      assert.equal(msg.type, 'log');
      assert.ok(['info', 'warn', 'error'].includes(msg.level) && typeof msg.message === 'string' && msg.message.length <= 2000);
    }
  }
  assert.ok(accepted > 1000, `only ${accepted} accepted`);
});

const info = (o: Partial<CompareRunInfo>): CompareRunInfo => ({
  label: '', config: 'lecture', variant: 'relu+he', seed: 1, sweep: {}, date: '2026-11-27 21:05', startedAt: '2026-11-27T21:05:00Z', status: 'completed', testAccuracy: 0.9, steps: 225, ...o,
});

test('the legend names what differs between the runs, and only that', () => {
  const a = info({}), b = info({ date: '2026-11-20 09:12' });
  assert.deepEqual(differingFields([a, b]), ['date']);
  assert.equal(labelFor(b, ['date'], [a, b]), '2026-11-20 09:12');
  const c = info({ config: 'lecture-wide', variant: 'sigmoid+glorot' });
  assert.deepEqual(differingFields([a, c]), ['config', 'variant']);
  assert.equal(labelFor(c, ['config', 'variant'], [a, c]), 'lecture-wide · sigmoid+glorot');
  const s1 = info({ seed: 1, sweep: { lr: '0.1', layers: '64x64' } }), s2 = info({ seed: 2, sweep: { lr: '0.3', layers: '64x64' } });
  assert.deepEqual(differingFields([s1, s2]), ['seed', 'sweep']);
  assert.equal(labelFor(s2, ['seed', 'sweep'], [s1, s2]), 'seed 2 · lr=0.3', 'only the swept fields that differ');
  assert.equal(labelFor(a, [], [a]), 'lecture · relu+he', 'nothing differs: config and variant');
  assert.equal(utcMinute('2026-03-02T10:15:59.999Z'), '2026-03-02 10:15');
});
