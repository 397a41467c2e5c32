/**
 * Runs the mocha suites of test/vscode/index.ts inside the extension host of a real VS Code
 * (code-server, extension loaded from this folder), and reports each in-host test here.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { closeBrowser, CodeServer, ROOT, Workbench } from './harness';
import { makeWorkspace } from './fixtures';

let cs: CodeServer | undefined;
let wb: Workbench | undefined;
after(async () => {
  await wb?.close();
  await cs?.stop();
  await closeBrowser();
});

test('in-host tests (mocha inside the extension host)', async (t) => {
  const ws = makeWorkspace('ws-inhost');
  const out = join(ROOT, 'dist/test/inhost-results.json');
  rmSync(out, { force: true });
  cs = await CodeServer.start({ name: 'inhost', env: { MLP_LENS_TEST_OUT: out, ...(process.env.MLP_LENS_GREP ? { MLP_LENS_GREP: process.env.MLP_LENS_GREP } : {}), ...(process.env.MLP_LENS_LAG_RUNFOLDER ? { MLP_LENS_LAG_RUNFOLDER: process.env.MLP_LENS_LAG_RUNFOLDER } : {}) } });
  wb = await Workbench.open(cs, { folder: ws, extensionDevelopmentPath: ROOT, extensionTestsPath: join(ROOT, 'dist/test/vscode/index.js') });
  const done = await wb.extensionTestsDone(20 * 60_000);
  const logs = wb.logs.filter((l) => /event loop|stop ->|✔|✖|\d+\) /.test(l));
  if (!existsSync(out)) assert.fail(`the in-host run wrote no results (exit ${done.exitCode}); log:\n${wb.logs.slice(-40).join('\n')}\n${cs.log.slice(-3000)}`);
  const r = JSON.parse(readFileSync(out, 'utf8')) as { passed: number; failed: number; failures: { title: string; error: string }[]; lines: string[] };
  for (const line of r.lines) {
    const ok = line.startsWith('ok ');
    await t.test(line.replace(/^(ok|FAIL) /, '').replace(/: .*$/s, ''), () => {
      if (!ok) {
        const f = r.failures.find((x) => line.includes(x.title));
        assert.fail(f?.error ?? line);
      }
    });
  }
  for (const l of logs) t.diagnostic(l);
  assert.equal(r.failed, 0, `${r.failed} in-host test(s) failed`);
  assert.equal(done.exitCode, 0);
});
