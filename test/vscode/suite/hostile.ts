import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite, suiteSetup, test } from 'mocha';
import * as vscode from 'vscode';
import type { MlpLensApi } from '../../../src/extension';

/**
 * A config whose run folder holds hostile run records, opened in the extension host (mocha,
 * in-host): symlinks to devices and out of the folder, a FIFO, a 3 GB sparse summary, and a run
 * whose readable summary hides a config declaring 20,000,000 units and a 100 MB metrics file
 * without a newline. The host's event loop keeps running (measured while the side view scans),
 * the side view reports the folders it skipped, Open Run refuses the hostile run with a message
 * naming its file, and the good run still opens.
 */
export default function (): void {
  suite('MLP Lens in a hostile workspace', () => {
    let api: MlpLensApi;
    let dir: string;
    let runs: string;
    let goodDirs: string[];
    let evilDir: string;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const config = () => vscode.Uri.file(path.join(dir, 'hostile.mlp.json'));

    suiteSetup(async function () {
      this.timeout(120_000);
      const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'mlp-lens')!;
      api = (await ext.activate()) as MlpLensApi;
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-lens-hostile-'));
      const lecture = fs.readFileSync(path.join(ext.extensionPath, 'examples', 'lecture.mlp.json'), 'utf8')
        .replace(/^\s*"\$schema":.*\n/m, '').replace('"name": "lecture"', '"name": "hostile"');
      fs.writeFileSync(config().fsPath, lecture);
      // a good run, written by the CLI as a user would (default run folder under the config's folder)
      const cli = spawnSync(process.execPath, [path.join(ext.extensionPath, 'dist', 'cli.js'), 'train', 'hostile.mlp.json', '--epochs', '1'], { cwd: dir, encoding: 'utf8' });
      assert.equal(cli.status, 0, cli.stderr);
      runs = path.join(dir, '.mlp-lens', 'runs');
      goodDirs = fs.readdirSync(runs).map((d) => path.join(runs, d));
      assert.equal(goodDirs.length, 3);
      // hostile neighbours, all named as later runs of the same config
      const mk = (name: string) => {
        const d = path.join(runs, name);
        fs.mkdirSync(d);
        return d;
      };
      const zero = mk('20991231-235959-hostile-zero');
      fs.symlinkSync('/dev/zero', path.join(zero, 'summary.json'));
      fs.symlinkSync('/dev/zero', path.join(zero, 'metrics.jsonl'));
      fs.symlinkSync('/dev/urandom', path.join(zero, 'config.json'));
      const fifo = mk('20991231-235958-hostile-fifo');
      assert.equal(spawnSync('mkfifo', [path.join(fifo, 'summary.json'), path.join(fifo, 'metrics.jsonl')]).status, 0);
      const passwd = mk('20991231-235957-hostile-passwd');
      fs.symlinkSync('/etc/passwd', path.join(passwd, 'summary.json'));
      const sparse = mk('20991231-235956-hostile-sparse');
      const fd = fs.openSync(path.join(sparse, 'summary.json'), 'w');
      fs.ftruncateSync(fd, 3 * 1024 ** 3);
      fs.closeSync(fd);
      // readable summary, hostile config and metrics: the side view's "last run", refused on opening
      evilDir = mk('20991231-235955-hostile-evil');
      const good = goodDirs[0]!;
      const summary = JSON.parse(fs.readFileSync(path.join(good, 'summary.json'), 'utf8'));
      fs.writeFileSync(path.join(evilDir, 'summary.json'), JSON.stringify({ ...summary, variant: 'evil', startedAt: '2099-12-31T23:59:55.000Z' }));
      const cfg = JSON.parse(fs.readFileSync(path.join(good, 'config.json'), 'utf8'));
      fs.writeFileSync(path.join(evilDir, 'config.json'), JSON.stringify({ ...cfg, variant: 'evil', layers: [20_000_000, 64] }));
      const mfd = fs.openSync(path.join(evilDir, 'metrics.jsonl'), 'w');
      fs.ftruncateSync(mfd, 100 * 1024 ** 2);
      fs.closeSync(mfd);
    });

    test('opening the config: the host keeps running, the side view lists the readable run and reports the skipped ones', async () => {
      // the event loop's longest gap while the config is opened and its run folder scanned
      let last = performance.now();
      let maxGap = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
      }, 20);
      try {
        const doc = await vscode.workspace.openTextDocument(config());
        await vscode.window.showTextDocument(doc);
        await vscode.commands.executeCommand('mlpLens.inspect', doc.uri);
        let shown = api.inspector.runs();
        for (let i = 0; i < 300 && !(shown.length && api.inspector.runsSkipped().length >= 4); i++, await sleep(100)) shown = api.inspector.runs();
        assert.deepEqual(shown.map((r) => r.variant), ['evil'], 'the newest readable run of this config');
        const skipped = api.inspector.runsSkipped().join('\n');
        assert.match(skipped, /hostile-zero[\s\S]*(device|regular file)/);
        assert.match(skipped, /hostile-fifo[\s\S]*FIFO/);
        assert.match(skipped, /hostile-passwd[\s\S]*outside/);
        assert.match(skipped, /hostile-sparse[\s\S]*(MiB|limit)/);
      } finally {
        clearInterval(timer);
      }
      console.log(`event loop while scanning hostile run folders: longest gap ${maxGap.toFixed(0)} ms`);
      // a functional bound: never blocked for seconds (reading /dev/zero whole never returns)
      assert.ok(maxGap < 3000, `event loop blocked for ${maxGap.toFixed(0)} ms`);
      assert.ok(process.memoryUsage().rss < 4 * 1024 ** 3, `host RSS ${process.memoryUsage().rss}`);
    });

    test('Open Run refuses the hostile run with its file named; the good run still opens', async () => {
      await assert.rejects(api.training.openRunDirs([evilDir]), (e: Error) => {
        assert.match(e.message, /hostile-evil/);
        assert.match(e.message, /config\.json/);
        assert.doesNotMatch(e.message, /is not a function|undefined/);
        return true;
      });
      for (const d of [path.join(runs, '20991231-235959-hostile-zero'), path.join(runs, '20991231-235958-hostile-fifo')]) {
        await assert.rejects(api.training.openRunDirs([d]), (e: Error) => /summary\.json/.test(e.message) && !/is not a function/.test(e.message));
      }
      const model = await api.training.openRunDirs(goodDirs);
      assert.deepEqual(model.variants.map((v) => v.meta.status), ['completed', 'completed', 'completed']);
      // Train MLP on a config that is a FIFO: refused at once, not a read that never returns
      const fifoConfig = path.join(dir, 'pipe.mlp.json');
      assert.equal(spawnSync('mkfifo', [fifoConfig]).status, 0);
      await assert.rejects(api.training.train(vscode.Uri.file(fifoConfig)), /pipe\.mlp\.json'?: it is a FIFO/);
      // the host still answers commands
      await vscode.commands.executeCommand('mlpLens.inspect', config());
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
  });
}
