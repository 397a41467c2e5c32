/**
 * The HTML shell of a webview bundle (dist/webview/<name>.js + .css), with a strict Content
 * Security Policy: nothing runs but our own script (by nonce) and nothing styles but our own
 * stylesheet (from cspSource, or inlined by nonce), no inline style attributes, no eval. The
 * extension's webviews inline the bundle (src/host/webview-page.ts: the page then needs no
 * fetches of its own, about 100 ms sooner) and load it by URL only when they cannot read it; the
 * webview test harness makes both pages under the same CSP; the HTML report is the standalone form.
 *
 * Pure: no vscode or node imports.
 */

export interface WebviewHtmlOptions {
  title: string;
  /** webview.cspSource in VS Code; the harness's origin in tests */
  cspSource: string;
  nonce: string;
  /** the bundle by URL: its script, and its stylesheet if any */
  scriptUri?: string;
  styleUri?: string;
  /** or the bundle's text, inlined (script and stylesheet by nonce) */
  inline?: { script: string; style: string };
  /** data the page can read before any message arrives (JSON, id "mlp-bootstrap") */
  bootstrap?: unknown;
  /** extra classes on <body> */
  bodyClass?: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON safe inside a <script type="application/json"> element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value ?? null).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function makeNonce(): string {
  const bytes = new Uint8Array(18);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function cspFor(cspSource: string, nonce: string, inlineStyle = false): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    inlineStyle ? `style-src ${cspSource} 'nonce-${nonce}'` : `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

/** The page both kinds share: CSP, title, what goes in the head, the app's root and what follows it. */
function page(csp: string, title: string, head: string, bodyClass: string | undefined, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">${head}
  <title>${esc(title)}</title>
</head>
<body${bodyClass ? ` class="${esc(bodyClass)}"` : ''}>
  <div id="app" role="main"></div>${body}
</body>
</html>
`;
}

const bootstrapScript = (data: unknown) => `\n  <script type="application/json" id="mlp-bootstrap">${jsonForScript(data)}</script>`;

/** A literal "</script" or "</style" inside inlined text would end its element early. */
const inlineScript = (js: string) => js.replace(/<\/script/gi, '<\\/script');
const inlineStyle = (css: string) => css.replace(/<\/style/gi, '<\\/style');

export function webviewHtml(o: WebviewHtmlOptions): string {
  const boot = o.bootstrap === undefined ? '' : bootstrapScript(o.bootstrap);
  if (o.inline) {
    const head = `\n  <style nonce="${o.nonce}">${inlineStyle(o.inline.style)}</style>`;
    return page(cspFor(o.cspSource, o.nonce, true), o.title, head, o.bodyClass, `${boot}\n  <script nonce="${o.nonce}">${inlineScript(o.inline.script)}</script>`);
  }
  if (!o.scriptUri) throw new Error('webviewHtml: a scriptUri or the inline bundle');
  const head = o.styleUri ? `\n  <link rel="stylesheet" href="${esc(o.styleUri)}">` : '';
  return page(cspFor(o.cspSource, o.nonce), o.title, head, o.bodyClass, `${boot}\n  <script nonce="${o.nonce}" src="${esc(o.scriptUri)}"></script>`);
}

export interface StandaloneHtmlOptions {
  title: string;
  /** the bundle's JavaScript and CSS text, inlined */
  script: string;
  style: string;
  /** embedded data (JSON, id "mlp-bootstrap") */
  bootstrap: unknown;
  nonce?: string;
}

/** A self-contained page (no external resources): the same bundle inlined, same strict CSP but by nonce. */
export function standaloneHtml(o: StandaloneHtmlOptions): string {
  const nonce = o.nonce ?? makeNonce();
  const csp = ["default-src 'none'", 'img-src data:', `style-src 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join('; ');
  const head = `\n  <meta name="generator" content="MLP Lens">\n  <style nonce="${nonce}">${inlineStyle(o.style)}</style>`;
  return page(csp, o.title, head, 'standalone', `${bootstrapScript(o.bootstrap)}\n  <script nonce="${nonce}">${inlineScript(o.script)}</script>`);
}
