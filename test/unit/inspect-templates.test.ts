/**
 * "New Experiment Config" templates (src/sideview/templates.ts): every dataset x preset gives a
 * commented config that validates without a single issue and inspects without warnings (the
 * lecture preset's sigmoid variants excepted: their warnings are the point).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { validateConfig } from '../../src/engine/config';
import { InspectSession } from '../../src/engine/inspect/session';
import { findAssetDir, nodeDataIO } from '../../src/node/io';
import { configTemplate, DATASETS, freeName, PRESETS } from '../../src/sideview/templates';
import { tmp } from '../support/cli';

const session = new InspectSession((f) => nodeDataIO(path.dirname(f), findAssetDir()));

test('every dataset x preset validates and inspects cleanly', async () => {
  const dir = tmp('mlp-lens-templates-');
  fs.writeFileSync(path.join(dir, 'data.csv'), 'x,y,label\n' + Array.from({ length: 200 }, (_, i) => `${Math.sin(i)},${Math.cos(i * 1.3)},${i % 3 === 0 ? 'a' : 'b'}`).join('\n'));
  for (const d of DATASETS) {
    for (const p of PRESETS) {
      const file = path.join(dir, `${d.id}-${p.id}.mlp.json`);
      const text = configTemplate(d.id, p.id, { csvPath: 'data.csv', csvLabel: 'label' });
      assert.match(text, /^\/\/ /, 'starts with a comment');
      assert.deepEqual(validateConfig(text, file), [], `${d.id} / ${p.id}`);
      const o = await session.run(text, file);
      assert.equal(o.kind, 'ok', `${d.id} / ${p.id}: ${JSON.stringify(o).slice(0, 300)}`);
      if (o.kind !== 'ok') continue;
      assert.deepEqual(o.inspection.warnings, [], `${d.id} / ${p.id} data warnings`);
      for (const v of o.inspection.variants) {
        if (p.id === 'lecture' && v.variant.startsWith('sigmoid')) continue;
        assert.deepEqual(v.warnings.map((w) => w.message), [], `${d.id} / ${p.id} / ${v.variant}`);
      }
    }
  }
});

test('the lecture preset on digits is the shipped lecture exercise', async () => {
  const text = configTemplate('digits', 'lecture');
  const o = await session.run(text, '/x/digits-lecture.mlp.json');
  assert.ok(o.kind === 'ok');
  if (o.kind !== 'ok') return;
  const codes = o.inspection.variants.map((v) => v.warnings.map((w) => w.code).join());
  assert.deepEqual(codes, ['vanishing-signal', '', 'saturated-init']);
});

test('freeName never overwrites', () => {
  const taken = new Set(['a.mlp.json', 'a-2.mlp.json']);
  assert.equal(freeName('a', (n) => taken.has(n)), 'a-3.mlp.json');
  assert.equal(freeName('b', (n) => taken.has(n)), 'b.mlp.json');
});
