/**
 * Theme colours for canvas drawing, read from the CSS variables VS Code puts on a webview's
 * <html> element (--vscode-editor-background, --vscode-charts-red, ...) and the body classes
 * (vscode-light, vscode-dark, vscode-high-contrast, vscode-high-contrast-light).
 *
 * Canvas code cannot use CSS variables directly, so read a Theme object and redraw when
 * onThemeChange fires (VS Code rewrites the variables and classes in place on a theme switch).
 * Outside VS Code (the HTML report) the fallbacks below give a light or dark theme following
 * prefers-color-scheme.
 */

export type RGBA = [number, number, number, number];
export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

export interface Theme {
  kind: ThemeKind;
  /** CSS colour strings, resolved */
  foreground: string;
  background: string;
  /** secondary text (descriptionForeground) */
  muted: string;
  border: string;
  focus: string;
  error: string;
  warning: string;
  /** charts.foreground / charts.lines */
  chartsForeground: string;
  chartsLines: string;
  /** series colours in order: charts.blue, red, green, yellow, orange, purple */
  series: string[];
  /** named chart colours */
  charts: { red: string; blue: string; yellow: string; orange: string; green: string; purple: string };
  fontFamily: string;
  fontSize: number;
  editorFontFamily: string;
  /** true in the two high-contrast themes: draw outlines, thicker lines */
  highContrast: boolean;
}

const FALLBACK: Record<'light' | 'dark', Record<string, string>> = {
  light: {
    'foreground': '#3b3b3b', 'editor-background': '#ffffff', 'descriptionForeground': '#717171',
    'panel-border': '#e5e5e5', 'focusBorder': '#005fb8', 'errorForeground': '#f85149',
    'editorWarning-foreground': '#bf8803', 'charts-foreground': '#616161', 'charts-lines': 'rgba(97,97,97,0.5)',
    'charts-red': '#e51400', 'charts-blue': '#1a85ff', 'charts-yellow': '#bf8803', 'charts-orange': '#d18616',
    'charts-green': '#388a34', 'charts-purple': '#652d90',
  },
  dark: {
    'foreground': '#cccccc', 'editor-background': '#1f1f1f', 'descriptionForeground': '#9d9d9d',
    'panel-border': '#2b2b2b', 'focusBorder': '#0078d4', 'errorForeground': '#f85149',
    'editorWarning-foreground': '#cca700', 'charts-foreground': '#cccccc', 'charts-lines': 'rgba(204,204,204,0.5)',
    'charts-red': '#f14c4c', 'charts-blue': '#3794ff', 'charts-yellow': '#cca700', 'charts-orange': '#d18616',
    'charts-green': '#89d185', 'charts-purple': '#b180d7',
  },
};

export function themeKind(body: HTMLElement = document.body): ThemeKind {
  const c = body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-dark')) return 'dark';
  if (c.contains('vscode-light')) return 'light';
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function readTheme(root: HTMLElement = document.documentElement, body: HTMLElement = document.body): Theme {
  const kind = themeKind(body);
  const style = getComputedStyle(root);
  const fb = FALLBACK[kind === 'dark' || kind === 'high-contrast' ? 'dark' : 'light'];
  const v = (name: string, ...more: string[]): string => {
    for (const n of [name, ...more]) {
      const val = style.getPropertyValue(`--vscode-${n}`).trim();
      if (val) return val;
    }
    return fb[name] ?? fb[more[0] ?? ''] ?? '';
  };
  const charts = {
    blue: v('charts-blue'), red: v('charts-red'), green: v('charts-green'),
    yellow: v('charts-yellow'), orange: v('charts-orange'), purple: v('charts-purple'),
  };
  const highContrast = kind === 'high-contrast' || kind === 'high-contrast-light';
  return {
    kind,
    foreground: v('foreground'),
    background: v('editor-background'),
    muted: v('descriptionForeground'),
    border: highContrast ? v('contrastBorder', 'panel-border') : v('panel-border'),
    focus: v('focusBorder'),
    error: v('errorForeground'),
    warning: v('editorWarning-foreground'),
    chartsForeground: v('charts-foreground', 'foreground'),
    chartsLines: v('charts-lines', 'panel-border'),
    series: [charts.blue, charts.red, charts.green, charts.yellow, charts.orange, charts.purple],
    charts,
    fontFamily: style.getPropertyValue('--vscode-font-family').trim() || 'system-ui, sans-serif',
    fontSize: parseFloat(style.getPropertyValue('--vscode-font-size')) || 13,
    editorFontFamily: style.getPropertyValue('--vscode-editor-font-family').trim() || 'monospace',
    highContrast,
  };
}

let probe: CanvasRenderingContext2D | null = null;
/** Any CSS colour (#rgb, rgb(), rgba(), names) as RGBA bytes; unparseable colours give opaque grey. */
export function parseColor(css: string): RGBA {
  const s = css.trim();
  let m = /^#([0-9a-f]{3,8})$/i.exec(s);
  if (m) {
    let h = m[1]!;
    if (h.length === 3 || h.length === 4) h = [...h].map((c) => c + c).join('');
    const n = (i: number) => parseInt(h.slice(i, i + 2), 16);
    return [n(0), n(2), n(4), h.length === 8 ? n(6) : 255];
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/i.exec(s);
  if (m) {
    const a = m[4] === undefined ? 1 : m[4].endsWith('%') ? parseFloat(m[4]) / 100 : parseFloat(m[4]);
    return [Math.round(+m[1]!), Math.round(+m[2]!), Math.round(+m[3]!), Math.round(a * 255)];
  }
  // anything else (names, hsl(), color-mix()): let the canvas resolve it
  probe ??= document.createElement('canvas').getContext('2d');
  if (!probe) return [128, 128, 128, 255];
  probe.fillStyle = '#808080';
  probe.fillStyle = s;
  const r = probe.fillStyle;
  return r.startsWith('#') || r.startsWith('rgb') ? parseColor(r) : [128, 128, 128, 255];
}

/** Composite a possibly translucent colour over an opaque background. */
export function over(fg: RGBA, bg: RGBA): RGBA {
  const a = fg[3] / 255;
  return [0, 1, 2].map((i) => Math.round(fg[i]! * a + bg[i]! * (1 - a))).concat(255) as RGBA;
}

/**
 * Calls `cb` (debounced to one animation frame) whenever the theme may have changed: VS Code
 * changing the body classes or the variables on <html>, or the OS colour scheme / reduced-motion
 * preference. Returns an unsubscribe function.
 */
export function onThemeChange(cb: (theme: Theme) => void): () => void {
  let queued = false;
  const fire = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      cb(readTheme());
    });
  };
  const mo = new MutationObserver(fire);
  mo.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind', 'data-vscode-theme-id'] });
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  const queries = ['(prefers-color-scheme: dark)', '(prefers-reduced-motion: reduce)', '(forced-colors: active)']
    .map((q) => (typeof matchMedia === 'function' ? matchMedia(q) : null))
    .filter((q): q is MediaQueryList => q !== null);
  for (const q of queries) q.addEventListener('change', fire);
  return () => {
    mo.disconnect();
    for (const q of queries) q.removeEventListener('change', fire);
  };
}
