import * as assert from 'node:assert/strict';
import { suite, test } from 'mocha';
import * as vscode from 'vscode';

export default function (): void {
  suite('MLP Lens training', () => {
    test('the extension activates and registers its commands', async () => {
      const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'mlp-lens');
      assert.ok(ext, 'extension present');
      await ext.activate();
      const cmds = await vscode.commands.getCommands(true);
      for (const c of ['mlpLens.train', 'mlpLens.stop', 'mlpLens.openRun', 'mlpLens.exportRun']) assert.ok(cmds.includes(c), c);
    });
  });
}
