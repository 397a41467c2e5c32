/**
 * The training panel as one self-contained HTML file: the panel's webview bundle
 * (dist/webview/panel.js and .css) inlined, the run embedded as the snapshot message the panel
 * gets in VS Code. Written by `mlp-lens train --report out.html` and by Export Run...
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostToCompare, HostToPanel } from '../shared/protocol';
import { standaloneHtml } from '../shared/page';

/** dist/webview next to the running bundle (dist/cli.js, dist/extension.js). */
export function defaultBundleDir(): string {
  return path.join(__dirname, 'webview');
}

/** A webview bundle's script and style, their source-map comments dropped (the maps are not inlined). */
function bundle(name: string, bundleDir: string): { script: string; style: string } {
  const read = (f: string) => {
    const p = path.join(bundleDir, f);
    try {
      return fs.readFileSync(p, 'utf8');
    } catch (e) {
      throw new Error(`cannot read the panel bundle ${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing (run npm run build)' : (e as Error).message}`);
    }
  };
  return {
    script: read(`${name}.js`).replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'),
    style: read(`${name}.css`).replace(/\/\*# sourceMappingURL=\S+ \*\/\s*$/, ''),
  };
}

export function reportHtml(snapshot: Extract<HostToPanel, { type: 'snapshot' }>, bundleDir = defaultBundleDir()): string {
  const { script, style } = bundle('panel', bundleDir);
  const shown = withoutMachinePaths(snapshot);
  return standaloneHtml({ title: `MLP Lens: ${shown.run.title}`, script, style, bootstrap: { ...shown, report: { generatedAt: new Date().toISOString() } } });
}

/**
 * The Compare panel as one self-contained HTML file (`mlp-lens report`): the compare bundle
 * inlined, the snapshot embedded, every absolute path in its strings shown as reportPath shows
 * it, relative to `baseDir` (where the report is written from) when inside it.
 */
export function compareReportHtml(snapshot: HostToCompare, baseDir: string | null, bundleDir = defaultBundleDir()): string {
  const { script, style } = bundle('compare', bundleDir);
  const shown = { ...snapshot, run: redactPaths(snapshot.run, baseDir), runs: redactPaths(snapshot.runs, baseDir) };
  return standaloneHtml({ title: `MLP Lens: ${shown.run.title}`, script, style, bootstrap: { ...shown, report: { generatedAt: new Date().toISOString() } } });
}

/** Absolute paths in text: POSIX (/a/b) or Windows (C:\a\b), at a word's start or after a quote or bracket. */
const ABSOLUTE = /(^|[\s'"`(=])((?:\/|[A-Za-z]:[\\/])(?:[^\s'"`)\\/]+[\\/])+[^\s'"`)\\/:,;]+)/g;

/**
 * A path as a shared report shows it: relative to the config's folder when inside it, else its
 * base name after "…/" (a report goes to other people: it names no folder of this machine).
 */
export function reportPath(p: string, configDir: string | null): string {
  if (!path.isAbsolute(p) && !path.win32.isAbsolute(p)) return p;
  if (configDir && path.isAbsolute(p)) {
    const rel = path.relative(configDir, p);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  }
  return `…/${p.split(/[\\/]/).filter(Boolean).pop() ?? ''}`;
}

/**
 * The snapshot with every absolute path in its run's strings (the config file, run folders, a
 * CSV's path in the dataset line, paths quoted in messages) shown by reportPath. Only plain objects
 * and arrays are copied: typed arrays (the packed columns) and other objects are kept as they are.
 */
export function withoutMachinePaths<T extends Extract<HostToPanel, { type: 'snapshot' }>>(snapshot: T): T {
  const configDir = snapshot.run.configFile ? path.dirname(snapshot.run.configFile) : null;
  return { ...snapshot, run: redactPaths(snapshot.run, configDir) }; // not the columns: their packed data are base64 text, full of '/'
}

/** `value` (plain objects, arrays, strings) with every absolute path in its strings shown by reportPath. */
export function redactPaths<V>(value: V, configDir: string | null): V {
  const text = (s: string) => s.replace(ABSOLUTE, (_, before: string, p: string) => before + reportPath(p, configDir));
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(walk);
    const proto = v !== null && typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
    if (proto !== Object.prototype && proto !== null) return v; // typed arrays (the packed columns), ProbeArrays: numbers
    return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, walk(x)]));
  };
  return walk(value) as V;
}
