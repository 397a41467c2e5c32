/**
 * Mocha inside the extension host: the module named by extensionTestsPath (code-server's
 * smoke-test driver here, @vscode/test-electron elsewhere). It exports run().
 *
 * HOW ANOTHER TEST ADDS ITSELF: write test/vscode/suite/<name>.ts exporting a default function
 * that declares mocha suites with `import { suite, test } from 'mocha'` (TDD UI), then import it
 * below and add it to SUITES. (Suites are functions because mocha's suite()/test() only work
 * after mocha's pre-require, and esbuild evaluates imports first.)
 *
 * Results go to the console and, when MLP_LENS_TEST_OUT is set (the environment of code-server,
 * inherited by its extension host), to that file as JSON: { passed, failed, failures, lines }.
 */
import { writeFileSync } from 'node:fs';
import { format } from 'node:util';
import Mocha from 'mocha';
import training from './suite/training';
import inspector from './suite/inspector';
import hostile from './suite/hostile';
import follow from './suite/follow';
import seeds from './suite/seeds';
import experiment from './suite/experiment';

const SUITES: (() => void)[] = [training, inspector, hostile, follow, seeds, experiment];

export function run(): Promise<void> {
  // MLP_LENS_GREP (in code-server's environment) runs only the matching tests
  const grep = process.env.MLP_LENS_GREP;
  const mocha = new Mocha({ ui: 'tdd', timeout: 120_000, color: false, reporter: 'spec', ...(grep ? { grep } : {}) });
  mocha.suite.emit('pre-require', globalThis, 'in-host', mocha);
  // the spec reporter logs format strings ("%s (%dms)") with arguments through Base.consoleLog
  // (console.log as mocha found it when loaded); the extension host hands the browser's console
  // the string and the arguments apart, so format them here
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void };
  const log = base.consoleLog;
  base.consoleLog = (...args: unknown[]) => log(format(...args));
  for (const s of SUITES) s();
  const lines: string[] = [];
  const failures: { title: string; error: string }[] = [];
  let passed = 0;
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failed) => {
      const out = process.env.MLP_LENS_TEST_OUT;
      base.consoleLog = log;
      if (out) writeFileSync(out, JSON.stringify({ passed, failed, failures, lines }, null, 2));
      if (failed > 0) reject(new Error(`${failed} in-host test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => {
      passed++;
      lines.push(`ok ${t.fullTitle()} (${t.duration ?? 0} ms)`);
    });
    runner.on('fail', (t, err: Error) => {
      failures.push({ title: t.fullTitle(), error: `${err.message}\n${err.stack ?? ''}` });
      lines.push(`FAIL ${t.fullTitle()}: ${err.message}`);
    });
  });
}
