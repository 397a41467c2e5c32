import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, suiteSetup, test } from 'mocha';
import * as vscode from 'vscode';
import type { MlpLensApi } from '../../../src/extension';
import { resolveExperiment } from '../../../src/engine/experiment';
import { queueOrder } from '../../../src/node/experiment-run';
import type { ExperimentRecord } from '../../../src/runs/experiment-record';
import type { RunSummary } from '../../../src/runs/summary';

/**
 * Sweeps in the extension host (mocha, in-host): Train MLP on a config with a sweep trains every
 * run of its grid in the background pool and the Experiment panel shows every row; Stop leaves
 * the runs in flight "stopped" and no run "running", and training again resumes that folder; two CLI shards writing into one folder open
 * from the Runs view's Open as one experiment with every run. While an experiment trains the status
 * bar shows its runs and Stop Training stops it. A pool worker that dies (the test hook
 * MLP_LENS_TEST_POOL_CRASH) fails its two runs and the experiment goes on. A restored Experiment
 * panel (its serializer) shows only a folder the host lists, its unfinished runs "interrupted".
 */
export default function (): void {
  suite('MLP Lens Experiment', () => {
    let api: MlpLensApi;
    let cliPath: string;
    let ws: string;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const summaries = (folder: string) => fs.readdirSync(folder, { withFileTypes: true }).filter((d) => d.isDirectory())
      .map((d) => path.join(folder, d.name, 'summary.json')).filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as { status: string });

    suiteSetup(async function () {
      this.timeout(60_000);
      const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'mlp-lens')!;
      api = (await ext.activate()) as MlpLensApi;
      cliPath = path.join(ext.extensionPath, 'dist', 'cli.js');
      ws = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    });

    test('Train MLP on a sweep: every run on disk, the Experiment panel shows every row', async function () {
      this.timeout(300_000);
      const uri = vscode.Uri.file(path.join(ws, 'sweep.mlp.json'));
      const r = await vscode.commands.executeCommand('mlpLens.train', uri);
      assert.equal(r, undefined, 'a sweep trains as an experiment');
      const live = api.training.experiments.live;
      assert.ok(live, 'an experiment trains');
      assert.ok(live.folder.startsWith(path.join(ws, '.mlp-lens', 'runs')), live.folder);
      assert.ok(live.pool.size >= 1);
      await live.done;
      assert.equal(api.training.experiments.live, null);
      const rec = JSON.parse(fs.readFileSync(path.join(live.folder, 'experiment.json'), 'utf8')) as ExperimentRecord;
      assert.equal(rec.runs.length, 8);
      assert.deepEqual(rec.runs.map((x) => x.status), Array(8).fill('completed'));
      assert.equal(summaries(live.folder).length, 8);
      const panel = live.panel;
      const t0 = Date.now();
      while (!panel.posts.length) {
        assert.ok(Date.now() - t0 < 30_000, 'the webview got the view');
        await sleep(100);
      }
      assert.equal(panel.view?.rows.length, 8);
      assert.ok(panel.view!.rows.every((x) => x.status === 'completed' && x.testAccuracy !== null && x.curve.accuracy.length === 2));
      assert.match(panel.message ?? '', /^finished: 8 of 8 runs completed/);
      assert.equal(panel.view!.live, false);
      // again: the same config resumes nothing (all completed): a new folder
      panel.dispose();
    });

    test('Stop: the runs in flight end "stopped", none stays "running"', async function () {
      this.timeout(300_000);
      await vscode.commands.executeCommand('mlpLens.train', vscode.Uri.file(path.join(ws, 'sweep-long.mlp.json')));
      const live = api.training.experiments.live!;
      assert.ok(live);
      const t0 = Date.now();
      while (!summaries(live.folder).some((s) => s.status === 'running')) {
        assert.ok(Date.now() - t0 < 60_000, 'a run started within 60 s');
        await sleep(100);
      }
      // the status bar says an experiment trains, and Stop Training is offered (mlpLens.training)
      const t1 = Date.now();
      while (!/^\$\(pulse\) MLP Lens: \d\/6 runs$/.test(api.training.statusText)) {
        assert.ok(Date.now() - t1 < 30_000, `the status bar shows the experiment: ${api.training.statusText}`);
        await sleep(100);
      }
      // its tooltip has Stop (a trusted link to Stop Training)
      const tip = api.training.statusTooltip as vscode.MarkdownString;
      assert.match(tip.value, /\[\$\(debug-stop\) Stop\]\(command:mlpLens\.stop /);
      assert.deepEqual(tip.isTrusted, { enabledCommands: ['mlpLens.stop'] });
      assert.match(tip.value, /experiment sweep-long\*\* \(training\)/);
      await vscode.commands.executeCommand('mlpLens.stop');
      await live.done;
      const all = summaries(live.folder);
      assert.ok(all.length >= 1 && all.length < 6, `${all.length} runs started`);
      assert.ok(all.some((s) => s.status === 'stopped'), all.map((s) => s.status).join(','));
      assert.ok(all.every((s) => s.status === 'stopped' || s.status === 'completed'), all.map((s) => s.status).join(','));
      const rows = live.panel.view!.rows;
      assert.equal(rows.length, 6);
      assert.ok(rows.some((x) => x.status === 'stopped') && rows.some((x) => x.status === 'pending'));
      assert.ok(!rows.some((x) => x.status === 'running'));
      assert.match(live.panel.message ?? '', /^stopped:/);
      // Train MLP again resumes this folder: its stopped and pending runs train, nothing else
      await vscode.commands.executeCommand('mlpLens.train', vscode.Uri.file(path.join(ws, 'sweep-long.mlp.json')));
      const again = api.training.experiments.live!;
      assert.ok(again);
      assert.equal(again.folder, live.folder, 'the unfinished experiment resumes in its folder');
      assert.equal(again.panel, live.panel, 'in its panel');
      assert.match(again.panel.message ?? '', /^resumed/);
      await api.training.experiments.stop();
      assert.equal(api.training.experiments.live, null);
      assert.ok(!summaries(live.folder).some((x) => x.status === 'running'));
      live.panel.dispose();
    });

    test('two CLI shards into one folder open from the Runs view as one experiment with every run', async function () {
      this.timeout(300_000);
      const out = path.join(ws, '.mlp-lens', 'runs', 'sharded-sweep');
      fs.rmSync(out, { recursive: true, force: true });
      const shard = (i: number) => new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [cliPath, 'train', 'sweep.mlp.json', '--out', out, '--shard', `${i}/2`, '--jobs', '1'], { cwd: ws, stdio: 'ignore' });
        child.on('exit', (c) => resolve(c));
      });
      const shards = Promise.all([shard(1), shard(2)]);
      // opened while the shards train: the panel reads the folder again until they are done
      const t0 = Date.now();
      while (!fs.existsSync(path.join(out, 'experiment.json')) || !summaries(out).some((x) => x.status === 'running')) {
        assert.ok(Date.now() - t0 < 60_000, 'the shards started within 60 s');
        await sleep(10);
      }
      await vscode.commands.executeCommand('mlpLens.runs.open', { kind: 'experiment', folder: out, label: 'sweep', dirs: [], roots: [], id: `experiment:${out}`, children: [] });
      const panel = api.training.experiments.panels.find((p) => p.folder === out);
      assert.ok(panel, 'an Experiment panel for the folder');
      assert.deepEqual(await shards, [0, 0]);
      assert.equal(summaries(out).length, 8);
      const t1 = Date.now();
      while (!panel.view || panel.view.rows.some((x) => x.status !== 'completed')) {
        assert.ok(Date.now() - t1 < 60_000, `the panel caught up with the shards: ${panel.view?.rows.map((x) => x.status).join(',')}`);
        await sleep(200);
      }
      assert.equal(panel.view.rows.length, 8);
      assert.deepEqual(panel.view.axes.map((a) => a.name), ['variant', 'layers', 'seed']);
      await api.runs.provider.schedule.now();
      panel.dispose();
    });

    test('a pool worker that dies: its run and the one queued behind it fail, the others complete, one line says it', async function () {
      this.timeout(300_000);
      const file = path.join(ws, 'sweep.mlp.json');
      // the first run handed out dies on its first step (a run is queued behind it by then)
      const first = queueOrder(resolveExperiment(fs.readFileSync(file, 'utf8'), file).runs)[0]!;
      process.env.MLP_LENS_TEST_POOL_CRASH = `exit:${first.name}`;
      let live;
      try {
        await vscode.commands.executeCommand('mlpLens.train', vscode.Uri.file(file));
        live = api.training.experiments.live!;
        assert.ok(live);
        await live.done;
      } finally {
        delete process.env.MLP_LENS_TEST_POOL_CRASH;
      }
      const rec = JSON.parse(fs.readFileSync(path.join(live.folder, 'experiment.json'), 'utf8')) as ExperimentRecord;
      const failed = rec.runs.filter((r) => r.status === 'failed');
      assert.deepEqual(rec.runs.map((r) => r.status).sort(), [...Array(6).fill('completed'), 'failed', 'failed'], rec.runs.map((r) => `${r.name}: ${r.status}`).join(', '));
      assert.ok(failed.some((r) => r.name === first.name), failed.map((r) => r.name).join(','));
      for (const r of failed) {
        assert.match(r.failure ?? '', /^a training worker died \(it exited with code 7\) (while training this run|before this run, queued behind another, started)$/);
        const s = JSON.parse(fs.readFileSync(path.join(live.folder, r.folder, 'summary.json'), 'utf8')) as RunSummary;
        assert.equal(s.status, 'failed');
        assert.equal(s.failure, r.failure);
      }
      assert.ok(!summaries(live.folder).some((s) => s.status === 'running'));
      const deaths = api.training.experiments.workerDeaths;
      assert.equal(deaths.length, 1, deaths.join('\n'));
      assert.match(deaths[0]!, /^experiment sweep: a training worker died \(it exited with code 7\); ".+" and ".+" failed, the other runs go on$/);
      assert.match(live.panel.message ?? '', /^finished: 6 of 8 runs completed; Train MLP on sweep\.mlp\.json resumes it$/);
      live.panel.dispose();
    });

    test('a restored Experiment panel shows a listed folder as it is now; any other state closes it', async function () {
      this.timeout(120_000);
      const runs = path.join(ws, '.mlp-lens', 'runs');
      // a copy of the experiment the first test trained (every run completed) ...
      const trained = fs.readdirSync(runs).map((n) => path.join(runs, n)).find((d) => {
        try {
          const r = JSON.parse(fs.readFileSync(path.join(d, 'experiment.json'), 'utf8')) as ExperimentRecord;
          return r.name === 'sweep' && r.runs.every((x) => x.status === 'completed');
        } catch {
          return false;
        }
      });
      assert.ok(trained, 'a completed sweep experiment');
      const folder = path.join(runs, 'restored-sweep');
      fs.cpSync(trained, folder, { recursive: true });
      // ... with a run left "running" by a process that is gone (as a window reload leaves it)
      const rec = JSON.parse(fs.readFileSync(path.join(folder, 'experiment.json'), 'utf8')) as ExperimentRecord;
      const cut = rec.runs[0]!;
      const sfile = path.join(folder, cut.folder, 'summary.json');
      fs.writeFileSync(sfile, JSON.stringify({ ...JSON.parse(fs.readFileSync(sfile, 'utf8')) as object, status: 'running', finishedAt: null }));
      const make = () => vscode.window.createWebviewPanel('mlpLens.experiment', 'restored', vscode.ViewColumn.Active, { enableScripts: true });
      const exps = api.training.experiments;
      const bad: unknown[] = [undefined, { folder: '/etc' }, { folder: path.join(ws, 'elsewhere') }, { folder: runs }, { folder: path.join(runs, 'gone-since') }, { folder, runDirs: ['/etc'] }, 'x'];
      for (const state of bad) {
        const p = make();
        let disposed = false;
        p.onDidDispose(() => { disposed = true; });
        assert.equal(await exps.restore(p, state), undefined, JSON.stringify(state));
        assert.ok(disposed, `closed: ${JSON.stringify(state)}`);
      }
      for (const p of [...exps.panels]) p.dispose();
      const restored = await exps.restore(make(), { folder, sortKey: 'name', sortDescending: false, metric: 'testAccuracy', x: null, y: null });
      assert.ok(restored, 'restored');
      assert.equal(restored.folder, folder);
      assert.equal(restored.panel.title, 'MLP Lens: sweep');
      const rows = restored.view!.rows;
      assert.equal(rows.length, 8);
      assert.equal(rows.find((r) => r.name === cut.name)?.status, 'interrupted');
      assert.ok(!rows.some((r) => r.status === 'running'));
      assert.equal(restored.view!.message, '1 of 8 runs not finished: 1 interrupted (the process training them ended). Train MLP on sweep.mlp.json resumes the experiment (completed runs are kept).');
      assert.equal(rows.filter((r) => r.status === 'completed').length, 7);
      // a second panel of the same folder is not made
      const dup = make();
      assert.equal(await exps.restore(dup, { folder }), undefined);
      assert.equal(exps.panels.filter((p) => p.folder === folder).length, 1);
      restored.dispose();
      fs.rmSync(folder, { recursive: true, force: true });
    });
  });
}
