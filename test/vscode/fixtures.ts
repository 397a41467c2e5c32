/** Workspace folders for the real-VS-Code tests: the lecture example and configs that exercise long runs and faults. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** the repository (this file is bundled into dist/test/vscode/) */
const ROOT = resolve(__dirname, '../../..');

const lecture = readFileSync(join(ROOT, 'examples/lecture.mlp.json'), 'utf8').replace(/^\s*"\$schema":.*\n/m, '');

export const FIXTURES: Record<string, string> = {
  'lecture.mlp.json': lecture,
  // the lecture, long enough to watch, stop, close and crash
  'long.mlp.json': lecture.replace('"name": "lecture"', '"name": "long"').replace('"epochs": 5', '"epochs": 4000'), // far longer than the test's way to Stop, however fast the machine
  'bad.mlp.json': lecture.replace('"name": "lecture"', '"name": "bad"').replace('"lr": 0.1', '"lr": -0.1'),
  'missing-csv.mlp.json': JSON.stringify({ name: 'missing-csv', dataset: { type: 'csv', path: 'nowhere.csv', label: 'y' }, layers: [8] }, null, 2),
  // two variants x three seeds: the panel's seed view
  'seeds.mlp.json': JSON.stringify({
    name: 'seeds', dataset: { type: 'moons', samples: 300 }, layers: [16, 16], epochs: 6, batchSize: 16, lr: 0.3, seeds: [0, 1, 2],
    variants: [{ name: 'tanh', activation: 'tanh' }, { name: 'relu', activation: 'relu' }],
  }, null, 2),
  'diverging.mlp.json': JSON.stringify({
    name: 'diverging', dataset: { type: 'spiral', samples: 300, classes: 3 }, layers: [32, 32], epochs: 3, batchSize: 16, seed: 1,
    variants: [
      { name: 'tame', activation: 'tanh', lr: 0.05 },
      { name: 'wild', activation: 'linear', lr: 0.6, init: { scheme: 'normal', std: 0.5 } },
    ],
  }, null, 2),
  // a sweep: sigmoid and ReLU x one and three hidden layers x two seeds, 2 epochs each (8 short runs)
  'sweep.mlp.json': JSON.stringify({
    name: 'sweep', dataset: { type: 'digits', testFraction: 0.2, seed: 0 }, layers: [16], optimizer: 'sgd', lr: 0.1, batchSize: 32, epochs: 2, seeds: 2,
    variants: [{ name: 'sigmoid', activation: 'sigmoid', init: 'glorot_uniform' }, { name: 'relu', activation: 'relu', init: 'he_normal' }],
    sweep: { layers: [[16], [16, 16, 16]] },
  }, null, 2),
  // a sweep of long runs, to stop
  'sweep-long.mlp.json': JSON.stringify({
    name: 'sweep-long', dataset: { type: 'spiral', samples: 3000, classes: 3 }, layers: [64, 64], activation: 'tanh', batchSize: 16, epochs: 2000, seed: 1,
    sweep: { lr: [0.01, 0.02, 0.03, 0.04, 0.05, 0.06] },
  }, null, 2),
};

/** A fresh workspace folder dist/test/<name>/ holding the fixtures. */
export function makeWorkspace(name: string): string {
  const ws = join(ROOT, 'dist/test', name);
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws, { recursive: true });
  for (const [f, text] of Object.entries(FIXTURES)) writeFileSync(join(ws, f), text);
  return ws;
}
