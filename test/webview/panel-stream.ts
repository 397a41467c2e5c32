/**
 * A recorded message stream for the training panel: a config trained by the real worker
 * (dist/worker.js), its messages replayed into a RunModel, and the host -> panel messages the
 * extension would send (a snapshot, then one batched delta per worker message), built with the
 * same cursors as src/host/panel.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { resolveConfig } from '../../src/engine/config';
import { resolveExperiment } from '../../src/engine/experiment';
import type { SeedGroup } from '../../src/shared/seed-stats';
import { groupBySeed } from '../../src/shared/seed-stats';
import type { HostToPanel, HostToWorker, WorkerToHost } from '../../src/shared/protocol';
import { freshCursor } from '../../src/shared/columns';
import { DEFAULT_PANEL_SETTINGS, RunModel } from '../../src/runs/model';
import { ROOT } from './harness';

export type Snapshot = Extract<HostToPanel, { type: 'snapshot' }>;

export async function recordWorker(configText: string, name = 'x.mlp.json', seeds = false): Promise<{ msgs: WorkerToHost[]; file: string }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-stream-'));
  const file = path.join(out, name);
  fs.writeFileSync(file, configText);
  const w = new Worker(path.join(ROOT, 'dist/worker.js'));
  const msgs: WorkerToHost[] = [];
  await new Promise<void>((resolve, reject) => {
    w.on('message', (m: WorkerToHost) => {
      msgs.push(m);
      if (m.type === 'finished' || m.type === 'inputError' || m.type === 'crashed') resolve();
    });
    w.on('error', reject);
    // seeds: every run of the experiment in this one worker (the extension shares them over one per core)
    const runs = seeds ? resolveExperiment(configText, file).runs.map((_, index) => ({ index, dir: path.join(out, 'runs', `run${index}`) })) : undefined;
    const start: HostToWorker = { type: 'start', configText, configFile: file, outDir: path.join(out, 'runs'), assetDir: path.join(ROOT, 'media/datasets'), postIntervalMs: 30, ...(runs ? { runs } : {}) };
    w.postMessage(start);
  });
  await w.terminate();
  return { msgs, file };
}

/**
 * The panel messages for a recorded run: [snapshot, ...deltas], and the final model. The deltas'
 * columns are typed arrays, as src/host/panel.ts posts them (the HTML report's base64 form is
 * tested with the report).
 */
export function panelStream(msgs: WorkerToHost[], configText: string, file: string, capacity = 1000, runId = 'run-test-1', seeds = false): { messages: HostToPanel[]; model: RunModel } {
  const exp = seeds ? resolveExperiment(configText, file) : null;
  const cfgs = exp ? exp.runs.map((r) => r.config) : resolveConfig(configText, file);
  const model = new RunModel(runId, cfgs[0]!.name, file, cfgs, capacity, '2026-01-01T00:00:00.000Z');
  if (exp) model.groups = groupBySeed(exp.runs.length, (i) => exp.runs[i]!.variant, (i) => exp.runs[i]!.seed) satisfies SeedGroup[];
  const cursors = model.variants.map(() => freshCursor());
  const epochsSent = model.variants.map(() => 0);
  const regionsSent = model.variants.map(() => 0);
  const picturesSent = model.variants.map(() => [0, 0]);
  let planeSent = false;
  const messages: HostToPanel[] = [{
    type: 'snapshot', run: model.runInfo(), columns: model.variants.map(() => null), epochs: model.variants.map(() => []), settings: DEFAULT_PANEL_SETTINGS,
  }];
  const delta = (): HostToPanel => {
    const plane = !planeSent && model.plane ? model.plane : undefined;
    if (plane) planeSent = true;
    return {
      type: 'delta', runId, status: model.status, message: model.message, live: model.live,
      variants: model.variants.map((v, i) => {
        const columns = v.store.meta ? v.store.takeSince(cursors[i]!, true) : null;
        const sent = epochsSent[i]!;
        epochsSent[i] = v.epochs.length;
        const regions = v.regionsGen !== regionsSent[i] ? v.regions[v.regions.length - 1] : undefined;
        regionsSent[i] = v.regionsGen;
        const weights = v.weightsGen !== picturesSent[i]![0] ? v.pictures.weights ?? undefined : undefined;
        const errorStrip = v.errorsGen !== picturesSent[i]![1] ? v.pictures.errors ?? undefined : undefined;
        picturesSent[i] = [v.weightsGen, v.errorsGen];
        return {
          index: i, meta: { ...v.meta, layers: v.meta.layers ?? v.store.meta }, columns, epochs: v.epochs.slice(sent),
          ...(regions ? { regions } : {}), ...(weights ? { weights } : {}), ...(errorStrip ? { errorStrip } : {}),
        };
      }),
      ...(plane ? { plane } : {}),
    };
  };
  for (const m of msgs) {
    if (m.type === 'started') model.started(m.variants, m.runDirs, m.dataset);
    else if (m.type === 'packedRecords') model.packedRecords(m.variant, m.layers, m.data, m.count, m.epochs, m.progress);
    else if (m.type === 'plane') model.setPlane(m.plane);
    else if (m.type === 'regions') model.setRegions(m.variant, [m.frame]);
    else if (m.type === 'pictures') model.setPictures(m.variant, { weights: m.weights, errors: m.errors });
    else if (m.type === 'variantDone') model.variantDone(m.variant, m.runDir, m.summary);
    else if (m.type === 'finished') model.finish(m.stopped ? 'stopped' : RunModel.overall(model.variants.map((v) => v.meta.status)));
    else continue;
    messages.push(structuredClone(delta()));
  }
  return { messages, model };
}

export const LECTURE = fs.readFileSync(path.join(ROOT, 'examples/lecture.mlp.json'), 'utf8');

/** One variant diverges at step 17 (epoch 2) in hidden layer 2: a linear net with too large a learning rate. */
export const DIVERGING = JSON.stringify({
  name: 'diverging', dataset: { type: 'spiral', samples: 300, classes: 3 }, layers: [32, 32], epochs: 3, batchSize: 16, seed: 1,
  variants: [
    { name: 'tame', activation: 'tanh', lr: 0.05 },
    { name: 'wild', activation: 'linear', lr: 0.6, init: { scheme: 'normal', std: 0.5 } },
  ],
});

/** Two variants x three seeds on a small spiral: the seed view. */
export const SEEDS = JSON.stringify({
  name: 'seeds', dataset: { type: 'moons', samples: 300 }, layers: [16, 16], epochs: 6, batchSize: 16, lr: 0.3,
  seeds: [0, 1, 2],
  variants: [{ name: 'tanh', activation: 'tanh' }, { name: 'relu', activation: 'relu' }],
});
