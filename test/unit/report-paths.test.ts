import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { reportPath } from '../../src/node/html-report';
import { cli, show, tmp } from '../support/cli';

test('an HTML report names no folder of this machine: a CSV outside the config folder, runs inside and outside', () => {
  const root = tmp('mlp-report-');
  const data = path.join(root, 'elsewhere', 'data.csv');
  fs.mkdirSync(path.dirname(data));
  const rows = ['a,b,label'];
  for (let i = 0; i < 60; i++) rows.push(`${Math.sin(i)},${Math.cos(i * 1.7)},${i % 2 ? 'x' : 'y'}`);
  fs.writeFileSync(data, rows.join('\n') + '\n');
  const proj = path.join(root, 'project');
  fs.mkdirSync(proj);
  const cfg = path.join(proj, 'abs.mlp.json');
  fs.writeFileSync(cfg, JSON.stringify({ dataset: { type: 'csv', path: data, label: 'label' }, layers: [4], epochs: 1, batchSize: 8 }));
  for (const out of [path.join(proj, 'runs'), path.join(root, 'out')]) {
    const report = path.join(root, `report-${path.basename(out)}.html`);
    const r = cli(['train', cfg, '--out', out, '--report', report], proj);
    assert.equal(r.status, 0, show(r));
    const html = fs.readFileSync(report, 'utf8');
    assert.ok(!html.includes(root), `the report embeds ${root}: ${html.slice(Math.max(0, html.indexOf(root) - 80), html.indexOf(root) + 120)}`);
    assert.ok(html.includes('…/data.csv'), 'the CSV is named by its base name');
    assert.ok(html.includes('abs.mlp.json'), 'the config is named relative to its folder');
  }
});

test('reportPath: relative inside the config folder, the base name outside', () => {
  assert.equal(reportPath('/home/u/p/data/x.csv', '/home/u/p'), 'data/x.csv');
  assert.equal(reportPath('/home/u/q/x.csv', '/home/u/p'), '…/x.csv');
  assert.equal(reportPath('data/x.csv', '/home/u/p'), 'data/x.csv');
  assert.equal(reportPath('C:\\Users\\u\\x.csv', null), '…/x.csv');
});
