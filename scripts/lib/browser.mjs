// Debian's chromium driven by playwright-core (a test tool's own browser download cannot work here).
import { chromium as pw } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from './tools.mjs';

export const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
  // Loopback only: any other name fails to resolve (webview resources are served by a service worker).
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
];

/** A persistent context in a fresh profile inside runDir. */
export async function launchBrowser(runDir, { width = 1440, height = 900, colorScheme = 'dark' } = {}) {
  const profile = mkdtempSync(join(runDir, 'chromium-'));
  return pw.launchPersistentContext(profile, {
    executablePath: chromium,
    args: chromiumArgs,
    headless: true,
    viewport: { width, height },
    colorScheme,
  });
}
