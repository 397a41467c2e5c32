/**
 * Headless Chromium for tests: Debian's /usr/bin/chromium (or $CHROMIUM_PATH) through
 * playwright-core. Playwright never downloads a browser here: we always pass executablePath.
 */
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];

export function chromiumPath(): string {
  const p = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(p)) throw new Error(`no Chromium at ${p}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  return p;
}

/**
 * Run as root, Chromium raises its GPU process (software compositing here: no GPU) to nice -8,
 * above the extension host and the training worker whose responsiveness the real-VS-Code tests
 * measure; a desktop user's browser or Electron cannot do that. So when we are root, Chromium
 * starts without CAP_SYS_NICE (util-linux setpriv) and all its processes stay at normal priority.
 */
let wrapper: string | null = null;
function executable(): string {
  const p = chromiumPath();
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv')) return p;
  if (!wrapper) {
    wrapper = join(mkdtempSync(join(tmpdir(), 'mlp-lens-chromium-')), 'chromium');
    writeFileSync(wrapper, `#!/bin/sh\nexec /usr/bin/setpriv --bounding-set -sys_nice -- '${p.replace(/'/g, `'\\''`)}' "$@"\n`);
    chmodSync(wrapper, 0o755);
  }
  return wrapper;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: executable(), args: CHROMIUM_ARGS, headless: true });
}
