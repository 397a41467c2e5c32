import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite, suiteSetup, test } from 'mocha';
import * as vscode from 'vscode';
import type { MlpLensApi } from '../../../src/extension';
import type { RunModel } from '../../../src/runs/model';

/**
 * Follow Run... in the extension host (mocha, in-host): the CLI trains in a child process into
 * --out DIR; the command follows DIR, its panel's model grows while the CLI runs and ends
 * completed with every step the CLI wrote. And the same for a PyTorch run that mlp_lens.watch is
 * writing (test/pytorch/write_run.py; needs a python3 with torch: without one the test fails when
 * CI=true and is skipped with the reason otherwise).
 */
export default function (): void {
  suite('MLP Lens Follow', () => {
    let api: MlpLensApi;
    let cliPath: string;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    suiteSetup(async function () {
      this.timeout(60_000);
      const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'mlp-lens')!;
      api = (await ext.activate()) as MlpLensApi;
      cliPath = path.join(ext.extensionPath, 'dist', 'cli.js');
    });

    test('Follow Run on the CLI\'s --out folder: the panel grows while the CLI runs and ends completed', async function () {
      this.timeout(180_000);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-lens-follow-'));
      const cfg = { dataset: { type: 'spiral', samples: 3000, classes: 3 }, layers: [64, 64, 64], activation: 'tanh', lr: 0.05, batchSize: 16, epochs: 150, seed: 1 };
      fs.writeFileSync(path.join(dir, 'long.mlp.json'), JSON.stringify(cfg));
      const out = path.join(dir, 'out');
      const child = spawn(process.execPath, [cliPath, 'train', 'long.mlp.json', '--out', out], { cwd: dir, stdio: 'ignore' });
      let exitCode: number | null | undefined;
      const exited = new Promise<number | null>((r) => child.on('exit', (c) => { exitCode = c; r(c); }));
      try {
        const t0 = Date.now();
        // the recorder opens metrics.bin, then writes config.json, then summary.json (what makes a
        // folder a run): wait for all three, or Follow may look between them and find no run
        while (['metrics.bin', 'config.json', 'summary.json'].some((f) => !fs.existsSync(path.join(out, 'base', f)))) {
          assert.ok(Date.now() - t0 < 60_000, 'the CLI wrote no run folder within 60 s');
          await sleep(20);
        }
        const model = await vscode.commands.executeCommand<RunModel | undefined>('mlpLens.followRun', vscode.Uri.file(out));
        assert.ok(model, 'the command returned the followed run');
        assert.ok(api.training.panelFor(model.id), 'a panel shows it');
        const v = model.variants[0]!;
        const seen: number[] = [];
        const t1 = Date.now();
        while (exitCode === undefined) {
          seen.push(v.meta.step);
          assert.ok(Date.now() - t1 < 150_000, 'the CLI ended within 150 s');
          await sleep(250);
        }
        assert.equal(await exited, 0);
        const grew = seen.filter((s, i) => i > 0 && s > seen[i - 1]!).length;
        assert.ok(grew >= 2, `the panel's step count grew while the CLI ran (${seen.join(', ')})`);
        const t2 = Date.now();
        while (model.status === 'running') {
          assert.ok(Date.now() - t2 < 30_000, 'following ended within 30 s of the CLI');
          await sleep(100);
        }
        assert.equal(model.status, 'completed');
        const summary = JSON.parse(fs.readFileSync(path.join(out, 'base', 'summary.json'), 'utf8'));
        assert.equal(v.meta.step, summary.steps);
        assert.equal(v.meta.status, 'completed');
        assert.equal(v.epochs.length, cfg.epochs);
        api.training.panelFor(model.id)?.dispose();
      } finally {
        child.kill();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    test('Follow Run on a PyTorch run mlp_lens.watch is writing: the panel shows it live and ends completed', async function () {
      this.timeout(180_000);
      const python = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
      if (!python) {
        const reason = 'no python3 with torch (apt-get install python3-torch)';
        if (process.env.CI === 'true') assert.fail(reason);
        console.log(`skipped: ${reason}`);
        this.skip();
      }
      const root = vscode.extensions.all.find((e) => e.packageJSON?.name === 'mlp-lens')!.extensionPath;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-lens-follow-torch-'));
      const run = path.join(dir, 'run'), go = path.join(dir, 'go');
      const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
      const child = spawn(python!, [path.join(root, 'test', 'pytorch', 'write_run.py'), run, 'binary', '--pause', go], { stdio: 'ignore', env });
      const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      try {
        const t0 = Date.now();
        while (!fs.existsSync(path.join(run, 'epochs.jsonl')) || fs.readFileSync(path.join(run, 'epochs.jsonl'), 'utf8') === '') {
          assert.ok(Date.now() - t0 < 120_000, 'watch wrote no epoch record within 120 s');
          await sleep(50);
        }
        const model = await vscode.commands.executeCommand<RunModel | undefined>('mlpLens.followRun', vscode.Uri.file(run));
        assert.ok(model, 'the command returned the followed run');
        assert.ok(api.training.panelFor(model.id), 'a panel shows it');
        const v = model.variants[0]!;
        const t1 = Date.now();
        while (v.meta.step < 6) {
          assert.ok(Date.now() - t1 < 30_000, `the first epoch's records show while the run is paused (step ${v.meta.step})`);
          await sleep(100);
        }
        assert.equal(model.status, 'running', 'followed while the PyTorch run waits');
        assert.equal(v.meta.step, 6);
        fs.writeFileSync(go, '');
        assert.equal(await exited, 0);
        const t2 = Date.now();
        while (model.status === 'running') {
          assert.ok(Date.now() - t2 < 30_000, 'following ended within 30 s of the run');
          await sleep(100);
        }
        assert.equal(model.status, 'completed');
        assert.equal(v.meta.step, 21);
        assert.equal(v.epochs.length, 3);
        api.training.panelFor(model.id)?.dispose();
      } finally {
        child.kill();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
