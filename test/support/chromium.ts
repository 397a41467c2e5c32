/**
 * Headless Chromium for tests: Debian's /usr/bin/chromium (or $CHROMIUM_PATH) through
 * playwright-core. Playwright never downloads a browser here: we always pass executablePath.
 */
import { existsSync } from 'node:fs';
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

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
}
