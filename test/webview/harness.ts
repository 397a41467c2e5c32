/**
 * Webview-in-Chromium test harness: a built webview bundle (dist/webview/<name>.js + .css) in
 * headless Chromium, inside the same HTML shell and strict CSP the extension uses
 * (src/shared/page.ts; the bundle inlined by nonce, or with `byUrl` by URL, the extension's
 * fallback), with a stub acquireVsCodeApi that records what the webview posts
 * and keeps its setState across reloads (sessionStorage), and VS Code's theme variables.
 *
 * HOW ANOTHER TEST ADDS ITSELF: create test/webview/<name>.test.ts, e.g.
 *
 *   import { after, test } from 'node:test';
 *   import { closeBrowser, openWebview } from './harness';
 *   after(closeBrowser);
 *   test('draws', async () => {
 *     const wv = await openWebview('inspector', { theme: 'dark' });   // dist/webview/inspector.js
 *     await wv.post({ type: 'snapshot', ... });                        // host -> webview message
 *     await wv.waitFor(() => document.querySelectorAll('canvas').length > 0);
 *     const img = await wv.readCanvas('canvas.heatmap');              // RGBA pixels
 *     const sent = await wv.posted();                                  // webview -> host messages
 *     await wv.screenshot('dark');                                     // dist/test/screens/<test>-dark.png
 *     assert.deepEqual(await wv.problems(), []);                       // CSP violations, page errors
 *     await wv.close();
 *   });
 *
 * `npm run build` bundles it to dist/test/webview/ and `npm test` (scripts/test-all.mjs) runs
 * every file there with node's test runner after making sure Chromium is installed.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { webviewHtml } from '../../src/shared/page';
import { launchChromium } from '../support/chromium';
import { BODY_CLASS, themeCss, THEMES, type ThemeName } from './themes';

export const ROOT = resolve(__dirname, '../../..');
export const ORIGIN = 'https://webview.test';
export const SCREEN_DIR = join(ROOT, 'dist/test/screens');

let browserP: Promise<Browser> | null = null;
export function browser(): Promise<Browser> {
  browserP ??= launchChromium();
  return browserP;
}
/**
 * An HTML report file (file://) in its own browser context, with every outside request refused;
 * `errors` collects page errors and console errors. Close with `ctx.close()`.
 */
export async function openReport(file: string, o: { width?: number; height?: number; colorScheme?: 'dark' | 'light' } = {}): Promise<{ page: Page; ctx: BrowserContext; errors: string[] }> {
  const b = await browser();
  const ctx = await b.newContext({ viewport: { width: o.width ?? 1200, height: o.height ?? 900 }, colorScheme: o.colorScheme ?? 'dark' });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.route((u) => !u.href.startsWith('file:'), (r) => r.abort());
  await page.goto(`file://${file}`);
  return { page, ctx, errors };
}
export async function closeBrowser(): Promise<void> {
  if (browserP) await (await browserP).close();
  browserP = null;
}

const MIME: Record<string, string> = {
  '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.json': 'application/json',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.map': 'application/json', '.woff2': 'font/woff2',
};

export interface OpenOptions {
  theme?: ThemeName;
  /** CSS pixels */
  width?: number;
  height?: number;
  /** initial webview state (what getState() returns first) */
  state?: unknown;
  /** bootstrap JSON (as the report embeds it) */
  bootstrap?: unknown;
  /** pretend prefers-reduced-motion: reduce */
  reducedMotion?: boolean;
  /** a name for screenshots (default: the bundle name) */
  name?: string;
  /** a script run in the page before the bundle (e.g. a test's setting) */
  init?: string;
  /**
   * load the bundle by URL (the extension's fallback when it cannot read the bundle) instead of
   * inlined by nonce, as the extension's pages carry it (src/host/webview-page.ts)
   */
  byUrl?: boolean;
}

export interface PixelImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export class WebviewPage {
  readonly errors: string[] = [];
  constructor(readonly page: Page, readonly context: BrowserContext, readonly bundle: string, readonly name: string) {}

  /** Deliver a host -> webview message as VS Code does (a window 'message' event). */
  async post(message: unknown): Promise<void> {
    await this.page.evaluate((m) => window.dispatchEvent(new MessageEvent('message', { data: m })), message);
  }

  /** Every message the webview posted to the host so far (optionally clearing the list). */
  async posted<T = { type: string }>(clear = false): Promise<T[]> {
    return this.page.evaluate((c) => {
      const w = window as unknown as { __posted: unknown[] };
      const out = w.__posted.slice();
      if (c) w.__posted.length = 0;
      return out;
    }, clear) as Promise<T[]>;
  }

  /** The state the webview last saved with setState. */
  state<T = unknown>(): Promise<T | undefined> {
    return this.page.evaluate(() => {
      const s = sessionStorage.getItem('__vscodeState');
      return s ? JSON.parse(s) : undefined;
    }) as Promise<T | undefined>;
  }

  /** Reload the page (as VS Code does when a hidden panel is shown again); state survives. */
  async reload(): Promise<void> {
    await this.page.reload({ waitUntil: 'load' });
  }

  /** Switch theme the way VS Code does: rewrite the variables on <html> and the body class. */
  async setTheme(theme: ThemeName): Promise<void> {
    await this.page.evaluate(({ vars, cls }) => {
      const root = document.documentElement;
      for (const [k, v] of Object.entries(vars)) root.style.setProperty(`--vscode-${k}`, v);
      document.body.classList.remove('vscode-light', 'vscode-dark', 'vscode-high-contrast', 'vscode-high-contrast-light');
      document.body.classList.add(cls);
    }, { vars: THEMES[theme], cls: BODY_CLASS[theme] });
    // the webview redraws on the next animation frame (the panel over the next few)
    await this.settled();
  }

  /**
   * Two animation frames, then until the page has nothing left to draw: the training panel draws
   * in jobs over several frames and lets off-screen ones wait (its #app[data-pending] counts them).
   */
  async settled(timeoutMs = 5000): Promise<void> {
    await this.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await this.page.waitForFunction(() => (document.getElementById('app')?.dataset.pending ?? '0') === '0', undefined, { timeout: timeoutMs });
  }

  /** Wait until fn() is truthy in the page. */
  async waitFor(fn: () => unknown, timeoutMs = 5000): Promise<void> {
    await this.page.waitForFunction(fn, undefined, { timeout: timeoutMs });
  }

  /** The RGBA pixels of the index-th canvas matching selector (backing-store resolution). */
  async readCanvas(selector: string, index = 0): Promise<PixelImage> {
    const r = await this.page.evaluate(({ selector, index }) => {
      const c = document.querySelectorAll(selector)[index] as HTMLCanvasElement | undefined;
      if (!c) throw new Error(`no canvas ${selector} #${index}`);
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let s = '';
      for (let i = 0; i < d.length; i += 8192) s += String.fromCharCode(...d.subarray(i, i + 8192));
      return { width: c.width, height: c.height, b64: btoa(s) };
    }, { selector, index });
    return { width: r.width, height: r.height, data: new Uint8Array(Buffer.from(r.b64, 'base64')) };
  }

  /** Screenshot of the page (or an element) to dist/test/screens/<name>-<suffix>.png; returns the path. */
  async screenshot(suffix: string, selector?: string): Promise<string> {
    mkdirSync(SCREEN_DIR, { recursive: true });
    const path = join(SCREEN_DIR, `${this.name}-${suffix}.png`);
    if (selector) await this.page.locator(selector).first().screenshot({ path });
    else await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  /** CSP violations and uncaught page errors / console errors seen so far. */
  async problems(): Promise<string[]> {
    const csp = await this.page.evaluate(() => (window as unknown as { __csp: string[] }).__csp.slice());
    return [...csp.map((c) => `CSP: ${c}`), ...this.errors];
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

/** A pixel of an image as [r, g, b, a]. */
export function pixelAt(img: PixelImage, x: number, y: number): [number, number, number, number] {
  const o = (Math.floor(y) * img.width + Math.floor(x)) * 4;
  return [img.data[o]!, img.data[o + 1]!, img.data[o + 2]!, img.data[o + 3]!];
}

/** Mean colour of a rectangle given in fractions of the image (0..1). */
export function meanColor(img: PixelImage, x0: number, y0: number, x1: number, y1: number): [number, number, number] {
  const X0 = Math.floor(x0 * img.width), X1 = Math.max(X0 + 1, Math.floor(x1 * img.width));
  const Y0 = Math.floor(y0 * img.height), Y1 = Math.max(Y0 + 1, Math.floor(y1 * img.height));
  let r = 0, g = 0, b = 0, n = 0;
  for (let y = Y0; y < Y1; y++) {
    for (let x = X0; x < X1; x++) {
      const p = pixelAt(img, x, y);
      r += p[0]; g += p[1]; b += p[2]; n++;
    }
  }
  return [r / n, g / n, b / n];
}

/** Pixels that differ between two same-sized images. */
export function diffCount(a: PixelImage, b: PixelImage): number {
  if (a.width !== b.width || a.height !== b.height) return Math.max(a.data.length, b.data.length) / 4;
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    if (a.data[i] !== b.data[i] || a.data[i + 1] !== b.data[i + 1] || a.data[i + 2] !== b.data[i + 2]) n++;
  }
  return n;
}

const STUB = `(() => {
  window.__posted = [];
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__csp.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + (e.sample ? ' (' + e.sample + ')' : ''));
  });
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return {
      postMessage: (m) => { window.__posted.push(JSON.parse(JSON.stringify(m))); },
      getState: () => { const s = sessionStorage.getItem('__vscodeState'); return s ? JSON.parse(s) : undefined; },
      setState: (s) => { sessionStorage.setItem('__vscodeState', JSON.stringify(s)); return s; },
    };
  };
})();`;

/** Open dist/webview/<bundle>.js in a fresh page. Build first (npm run build). */
export async function openWebview(bundle: string, o: OpenOptions = {}): Promise<WebviewPage> {
  const js = join(ROOT, 'dist/webview', `${bundle}.js`);
  if (!existsSync(js)) throw new Error(`${js} is missing: run npm run build`);
  const hasCss = existsSync(join(ROOT, 'dist/webview', `${bundle}.css`));
  const theme = o.theme ?? 'dark';
  const b = await browser();
  const context = await b.newContext({
    viewport: { width: o.width ?? 1200, height: o.height ?? 900 },
    reducedMotion: o.reducedMotion ? 'reduce' : 'no-preference',
    colorScheme: theme === 'light' ? 'light' : 'dark',
  });
  const page = await context.newPage();
  const wv = new WebviewPage(page, context, bundle, o.name ?? bundle);
  page.on('pageerror', (e) => wv.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') wv.errors.push(`console: ${m.text()}`);
  });
  const html = webviewHtml({
    title: bundle,
    cspSource: ORIGIN,
    nonce: 'testnonce0123456789',
    ...(o.byUrl
      ? { scriptUri: `${ORIGIN}/dist/webview/${bundle}.js`, styleUri: hasCss ? `${ORIGIN}/dist/webview/${bundle}.css` : undefined }
      : { inline: { script: readFileSync(js, 'utf8'), style: hasCss ? readFileSync(join(ROOT, 'dist/webview', `${bundle}.css`), 'utf8') : '' } }),
    bodyClass: BODY_CLASS[theme],
    bootstrap: o.bootstrap,
  }).replace('<title>', `<link rel="stylesheet" href="${ORIGIN}/__theme.css">\n  <title>`);
  await page.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/' || url.pathname === '/index.html') return route.fulfill({ contentType: 'text/html', body: html });
    if (url.pathname === '/__theme.css') return route.fulfill({ contentType: 'text/css', body: `:root { ${themeCss(theme)} }` });
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
    const file = join(ROOT, rel);
    const allowed = (rel.startsWith('dist/webview/') || rel.startsWith('media/')) && existsSync(file);
    if (!allowed) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ contentType: MIME[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) });
  });
  // anything else (there should be nothing) fails fast instead of touching the network
  await page.route((url) => !url.href.startsWith(ORIGIN), (route) => route.abort());
  await page.addInitScript(STUB);
  if (o.init) await page.addInitScript({ content: o.init });
  if (o.state !== undefined) {
    await page.addInitScript((s) => {
      if (sessionStorage.getItem('__vscodeState') === null) sessionStorage.setItem('__vscodeState', JSON.stringify(s));
    }, o.state);
  }
  await page.goto(`${ORIGIN}/index.html`, { waitUntil: 'load' });
  return wv;
}
