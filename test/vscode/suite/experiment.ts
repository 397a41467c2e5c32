import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, suiteSetup, test } from 'mocha';
import * as vscode from 'vscode';
import type { MlpLensApi } from '../../../src/extension';
import type { ExperimentRecord } from '../../../src/runs/experiment-record';

/**
 * Sweeps in the extension host (mocha, in-host): Train MLP on a config with a sweep trains every
 * run of its grid in the background pool and the Experiment panel shows every row; Stop leaves
 * the runs in flight "stopped" and no run "running", and training again resumes that folder; two CLI shards writing into one folder open
 * from the Runs view's Open as one experiment with every run.
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
  });
}
