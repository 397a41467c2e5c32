/**
 * Train MLP on a config with seeds, in a real extension host: every variant × seed trains (on
 * one worker per core) into one experiment folder of ordinary run records named as the CLI names
 * them, with experiment.json; the one panel gets every run grouped by variant; Stop stops them
 * all; the runs opened again from disk show the same groups; the panel's exports (CSV, a
 * picture) are written where the target says, and a picture that is not one is refused.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, suiteSetup, test } from 'mocha';
import * as vscode from 'vscode';
import type { MlpLensApi } from '../../../src/extension';
import type { RunModel } from '../../../src/runs/model';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

const SEEDS_CONFIG = {
  name: 'seeds-inhost', dataset: { type: 'moons', samples: 300 }, layers: [16, 16], epochs: 3, batchSize: 16, lr: 0.3,
  seeds: [0, 1, 2],
  variants: [{ name: 'tanh', activation: 'tanh' }, { name: 'relu', activation: 'relu' }],
};

export default function (): void {
  suite('Seeds in the panel (in the extension host)', function () {
    this.timeout(180_000);
    let api: MlpLensApi;
    let ws: string;
    let trained: RunModel | undefined;
    const file = () => path.join(ws, 'seeds-inhost.mlp.json');

    suiteSetup(async () => {
      const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'mlp-lens');
      assert.ok(ext, 'the extension is installed');
      api = (await ext.activate()) as MlpLensApi;
      ws = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
      fs.writeFileSync(file(), JSON.stringify(SEEDS_CONFIG, null, 2));
    });

    test('Train MLP on a seeds config trains every variant × seed into one experiment folder; the panel gets them grouped', async () => {
      await api.training.whenIdle();
      const model = await api.training.train(vscode.Uri.file(file()));
      assert.ok(model, 'training started');
      const panel = api.training.panelFor(model.id);
      assert.ok(panel, 'one panel');
      await api.training.whenIdle();
      const names = ['tanh seed=0', 'tanh seed=1', 'tanh seed=2', 'relu seed=0', 'relu seed=1', 'relu seed=2'];
      assert.deepEqual(model.variants.map((v) => v.meta.name), names, 'every run, named as the CLI names them');
      assert.equal(model.status, 'completed');
      assert.deepEqual(model.groups, [{ name: 'tanh', members: [0, 1, 2], seeds: [0, 1, 2] }, { name: 'relu', members: [3, 4, 5], seeds: [0, 1, 2] }]);
      // one experiment folder under the workspace's run folder, one ordinary run record per run
      const dirs = model.variants.map((v) => v.meta.runDir!);
      const expDir = path.dirname(dirs[0]!);
      assert.ok(expDir.startsWith(path.join(ws, '.mlp-lens', 'runs')), expDir);
      assert.match(path.basename(expDir), /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(\.\d+)?-seeds-inhost$/);
      assert.deepEqual(dirs.map((d) => path.basename(d)), ['tanh_seed_0', 'tanh_seed_1', 'tanh_seed_2', 'relu_seed_0', 'relu_seed_1', 'relu_seed_2']);
      const accs: number[] = [];
      for (const [k, d] of dirs.entries()) {
        assert.equal(path.dirname(d), expDir);
        const summary = JSON.parse(fs.readFileSync(path.join(d, 'summary.json'), 'utf8'));
        const config = JSON.parse(fs.readFileSync(path.join(d, 'config.json'), 'utf8'));
        assert.equal(summary.status, 'completed', d);
        assert.equal(summary.epochs, 3);
        assert.equal(config.seed, k % 3, `${d}: the run's seed`);
        assert.equal(config.variant, names[k]);
        assert.ok(fs.existsSync(path.join(d, 'model.json')));
        accs.push(summary.test.accuracy);
      }
      assert.ok(new Set(accs).size > 1, `the seeds train differently: ${accs.join(', ')}`);
      // experiment.json: the grid and every run's final state (written at the end)
      await waitFor(() => {
        try {
          const e = JSON.parse(fs.readFileSync(path.join(expDir, 'experiment.json'), 'utf8'));
          return e.runs.length === 6 && e.runs.every((r: { status: string }) => r.status === 'completed');
        } catch {
          return false;
        }
      }, 20_000, 'experiment.json with every run completed');
      const exp = JSON.parse(fs.readFileSync(path.join(expDir, 'experiment.json'), 'utf8'));
      assert.deepEqual(exp.grid.seeds, [0, 1, 2]);
      assert.deepEqual(exp.runs.map((r: { test: { accuracy: number } }) => r.test.accuracy), accs);
      // the panel: a snapshot whose run carries the groups (the webview's seed view)
      await waitFor(() => panel.posts.some((p) => p.type === 'snapshot'), 30_000, 'the webview to load');
      assert.deepEqual(model.runInfo().groups, model.groups);
      trained = model;
    });

    test('the panel\'s exports: CSV of every seed, a PNG as posted; a picture that is not one is refused', async () => {
      assert.ok(trained, 'the training test ran');
      const panel = api.training.panelFor(trained.id)!;
      const out = fs.mkdtempSync(path.join(ws, 'exports-'));
      const targets: string[] = [];
      api.training.panelExport.setTarget((format) => {
        const f = path.join(out, `panel.${format}`);
        targets.push(f);
        return vscode.Uri.file(f);
      });
      try {
        const before = api.training.panelExport.written.length;
        panel.receive({ type: 'exportCsv', runId: trained.id });
        await waitFor(() => api.training.panelExport.written.length > before, 30_000, 'the CSV');
        const csv = fs.readFileSync(path.join(out, 'panel.csv'), 'utf8').split('\r\n');
        assert.equal(csv[0], 'run,variant,seed,step,epoch,layer,quantity,value');
        const runs = new Map<string, string>();
        for (const line of csv.slice(1)) {
          if (!line) continue;
          const [run, variant, seed] = line.split(',');
          runs.set(run!, `${variant} ${seed}`);
        }
        assert.deepEqual([...runs.entries()].sort(), [
          ['relu seed=0', 'relu 0'], ['relu seed=1', 'relu 1'], ['relu seed=2', 'relu 2'],
          ['tanh seed=0', 'tanh 0'], ['tanh seed=1', 'tanh 1'], ['tanh seed=2', 'tanh 2'],
        ]);
        // a 1x1 PNG as the webview posts it: written byte for byte
        const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';
        panel.receive({ type: 'exportImage', runId: trained.id, format: 'png', data: png });
        await waitFor(() => fs.existsSync(path.join(out, 'panel.png')), 30_000, 'the PNG');
        await waitFor(() => api.training.panelExport.written.length > before + 1, 10_000, 'the PNG written');
        assert.deepEqual(fs.readFileSync(path.join(out, 'panel.png')), Buffer.from(png, 'base64'));
        // refused by the validator: nothing asked, nothing written
        const asked = targets.length;
        panel.receive({ type: 'exportImage', runId: trained.id, format: 'svg', data: '<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>' });
        panel.receive({ type: 'exportImage', runId: trained.id, format: 'png', data: 'not a png' });
        await sleep(300);
        assert.equal(targets.length, asked, 'no target asked for a refused picture');
        assert.ok(!fs.existsSync(path.join(out, 'panel.svg')));
      } finally {
        api.training.panelExport.setTarget(null);
      }
    });

    test('the runs opened again from disk show the same seed groups', async () => {
      assert.ok(trained, 'the training test ran');
      const dirs = trained.variants.map((v) => v.meta.runDir!);
      const opened = await api.training.openRunDirs(dirs);
      assert.deepEqual(opened.groups, trained.groups);
      assert.deepEqual(opened.variants.map((v) => v.meta.summary?.test?.accuracy), trained.variants.map((v) => v.meta.summary?.test?.accuracy));
      // runs of different experiments (or one run) are no seed view
      assert.ok((await api.training.openRunDirs([dirs[0]!])).groups === null, 'one run: no seed view');
    });

    test('a seeds config whose data cannot be read trains nothing and leaves no experiment folder', async () => {
      await api.training.whenIdle();
      const bad = path.join(ws, 'seeds-missing.mlp.json');
      fs.writeFileSync(bad, JSON.stringify({ name: 'seeds-missing', dataset: { type: 'csv', path: 'nowhere.csv', label: 'y' }, layers: [8], seeds: 2 }));
      const result = await api.training.train(vscode.Uri.file(bad));
      assert.equal(result, undefined);
      await api.training.whenIdle();
      const runs = path.join(ws, '.mlp-lens', 'runs');
      await waitFor(() => !fs.readdirSync(runs).some((d) => d.endsWith('-seeds-missing')), 10_000, 'the experiment folder to go');
      const diags = vscode.languages.getDiagnostics(vscode.Uri.file(bad)).filter((d) => d.source === 'MLP Lens');
      assert.match(diags[0]?.message ?? '', /cannot read CSV file 'nowhere\.csv'/);
    });

    test('Stop stops every seed\'s run: each ends stopped, its record kept', async () => {
      await api.training.whenIdle();
      fs.writeFileSync(file(), JSON.stringify({ ...SEEDS_CONFIG, epochs: 400 }, null, 2));
      const model = await api.training.train(vscode.Uri.file(file()));
      assert.ok(model);
      await waitFor(() => model.variants.every((v) => v.meta.step > 0), 60_000, 'every run to train');
      assert.equal(api.training.live?.workers.length, Math.min(6, (await import('node:os')).availableParallelism()), 'one worker per core');
      // the status bar counts the experiment's runs
      await waitFor(() => /^\$\(pulse\) MLP Lens: 0\/6 runs$/.test(api.training.statusText), 10_000, `the status bar to show the runs (${api.training.statusText})`);
      await vscode.commands.executeCommand('mlpLens.stop');
      await api.training.whenIdle();
      // experiment.json says every run stopped
      const expDir = path.dirname(model.variants[0]!.meta.runDir!);
      await waitFor(() => (JSON.parse(fs.readFileSync(path.join(expDir, 'experiment.json'), 'utf8')) as { runs: { status: string }[] }).runs.every((r) => r.status === 'stopped'), 10_000, 'experiment.json to say stopped');
      assert.equal(api.training.live, null);
      assert.equal(model.status, 'stopped');
      for (const v of model.variants) {
        assert.equal(v.meta.status, 'stopped', v.meta.name);
        const summary = JSON.parse(fs.readFileSync(path.join(v.meta.runDir!, 'summary.json'), 'utf8'));
        assert.equal(summary.status, 'stopped', v.meta.runDir ?? '');
        assert.ok(summary.steps > 0 && summary.steps < summary.stepsPlanned, `${v.meta.name}: ${summary.steps} steps`);
      }
    });
  });
}
