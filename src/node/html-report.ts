/**
 * The training panel as one self-contained HTML file: the panel's webview bundle
 * (dist/webview/panel.js and .css) inlined, the run embedded as the snapshot message the panel
 * gets in VS Code. Written by `mlp-lens train --report out.html` and by Export Run...
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostToPanel } from '../shared/protocol';
import { standaloneHtml } from '../shared/page';

/** dist/webview next to the running bundle (dist/cli.js, dist/extension.js). */
export function defaultBundleDir(): string {
  return path.join(__dirname, 'webview');
}

export function reportHtml(snapshot: Extract<HostToPanel, { type: 'snapshot' }>, bundleDir = defaultBundleDir()): string {
  const read = (f: string) => {
    const p = path.join(bundleDir, f);
    try {
      return fs.readFileSync(p, 'utf8');
    } catch (e) {
      throw new Error(`cannot read the panel bundle ${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing (run npm run build)' : (e as Error).message}`);
    }
  };
  // drop the source-map comments: the maps are not inlined
  const script = read('panel.js').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  const style = read('panel.css').replace(/\/\*# sourceMappingURL=\S+ \*\/\s*$/, '');
  return standaloneHtml({ title: `MLP Lens: ${snapshot.run.title}`, script, style, bootstrap: { ...snapshot, report: { generatedAt: new Date().toISOString() } } });
}
