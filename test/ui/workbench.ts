// Opens the packaged extension in a real code-server and a real Chromium, as a user sees it.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../../scripts/lib/browser.mjs';
import { freePort, installVsix, startCodeServer } from '../../scripts/lib/code-server.mjs';
import { root } from '../../scripts/lib/tools.mjs';

const runRoot = process.env.HOMELAB_UI_RUN_DIR ?? join(root, '.run/test/ui');
export const screenshotDir = join(root, 'test-results');

export interface Workbench {
  page: Page;
  url: string;
  screenshot(name: string): Promise<string>;
  runCommand(title: string): Promise<void>;
  openHomelab(): Promise<void>;
  close(): Promise<void>;
}

export interface WorkbenchOptions {
  name: string;
  workspace?: string;
  settings?: Record<string, unknown>;
  env?: Record<string, string>;
  colorScheme?: 'light' | 'dark';
}

const openPages = new Set<Page>();

// A failing UI test leaves a picture of what the browser showed at that moment.
afterEach(async function () {
  if (this.currentTest?.state !== 'failed') return;
  const name = `FAILED-${this.currentTest.fullTitle().replace(/[^\w.-]+/g, '-').slice(0, 120)}`;
  mkdirSync(screenshotDir, { recursive: true });
  let i = 0;
  for (const page of openPages) await page.screenshot({ path: join(screenshotDir, `${name}-${i++}.png`) }).catch(() => {});
});

export async function openWorkbench(o: WorkbenchOptions): Promise<Workbench> {
  const runDir = join(runRoot, o.name);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const workspace = o.workspace ?? join(runDir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  const { version } = require(join(root, 'package.json')) as { version: string };
  await installVsix(runDir, join(root, `homelab-${version}.vsix`));
  const port = await freePort();
  const theme = o.colorScheme === 'light' ? 'Default Light Modern' : 'Default Dark Modern';
  const server = await startCodeServer({
    runDir,
    port,
    workspace,
    env: o.env ?? {},
    settings: { 'workbench.colorTheme': theme, ...o.settings },
  });
  let context: BrowserContext | undefined;
  try {
    context = await launchBrowser(runDir, { colorScheme: o.colorScheme ?? 'dark' });
    const page = context.pages()[0] ?? (await context.newPage());
    openPages.add(page);
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 });
    // Contributions arrive seconds after the workbench: wait for our activity-bar icon.
    await page.locator('.part.activitybar .action-item a[aria-label^="Homelab"]').waitFor({ timeout: 60_000 });
    mkdirSync(screenshotDir, { recursive: true });
    let landingSeen = false;
    const wb: Workbench = {
      page,
      url: server.url,
      async screenshot(name) {
        const path = join(screenshotDir, `${name}.png`);
        await page.screenshot({ path });
        return path;
      },
      async runCommand(title) {
        await page.keyboard.press('F1');
        const input = page.locator('.quick-input-widget .quick-input-box input');
        await input.waitFor();
        await input.fill(`>${title}`);
        await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor();
        await page.keyboard.press('Enter');
      },
      async openHomelab() {
        const icon = page.locator('.part.activitybar .action-item a[aria-label^="Homelab"]');
        if ((await icon.getAttribute('aria-expanded')) !== 'true' && !(await page.locator('.part.sidebar .pane-header[aria-label^="Proxmox"]').count())) {
          await icon.click();
        }
        await page.locator('.part.sidebar .pane-header[aria-label^="Proxmox"]').waitFor({ state: 'attached' });
        if (o.env?.HOMELAB_DEMO_CLUSTER && !landingSeen) {
          // The demo's first activation opens the walkthrough by itself, taking the keyboard focus when
          // it arrives. Let it arrive before a test types, or keys meant for a quick input land in it.
          await page.locator('.getting-started-step').first().waitFor({ timeout: 60_000 });
          await page.waitForTimeout(500);
          landingSeen = true;
        }
      },
      async close() {
        openPages.delete(page);
        await context?.close().catch(() => {});
        await server.stop();
      },
    };
    return wb;
  } catch (err) {
    await context?.close().catch(() => {});
    await server.stop();
    throw err;
  }
}
