/**
 * The HTML shell of a webview bundle (dist/webview/<name>.js + .css), with a strict Content
 * Security Policy: nothing loads but our own script (by nonce) and stylesheet (from cspSource),
 * no inline styles, no eval. Used by the extension's panels, by the webview test harness (so
 * the tests run under the same CSP) and, in its standalone form, by the HTML report.
 *
 * Pure: no vscode or node imports.
 */

export interface WebviewHtmlOptions {
  title: string;
  /** webview.cspSource in VS Code; the harness's origin in tests */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri?: string;
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

export function cspFor(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
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

export function webviewHtml(o: WebviewHtmlOptions): string {
  const boot = o.bootstrap === undefined ? '' : bootstrapScript(o.bootstrap);
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
  // a literal "</script" or "</style" inside the inlined text would end the element early
  const script = o.script.replace(/<\/script/gi, '<\\/script');
  const style = o.style.replace(/<\/style/gi, '<\\/style');
  const head = `\n  <meta name="generator" content="MLP Lens">\n  <style nonce="${nonce}">${style}</style>`;
  return page(csp, o.title, head, 'standalone', `${bootstrapScript(o.bootstrap)}\n  <script nonce="${nonce}">${script}</script>`);
}
