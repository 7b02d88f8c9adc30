import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { launchBrowser } from '../../scripts/lib/browser.mjs';
import { freePort } from '../../scripts/lib/code-server.mjs';
import { root } from '../../scripts/lib/tools.mjs';
import { screenshotDir } from './workbench';

const runDir = join(process.env.HOMELAB_UI_RUN_DIR ?? join(root, '.run/test/ui'), 'demo');

function startDemo(port: number): { child: ChildProcess; lines: string[]; waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(root, 'scripts/demo.mjs'), '--port', String(port), '--no-open'], {
    cwd: root,
    env: { ...process.env, HOMELAB_DEMO_RUN_DIR: runDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: Array<[RegExp, (m: RegExpMatchArray) => void]> = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      for (const [re, resolve] of waiters) {
        const m = line.match(re);
        if (m) resolve(m);
      }
    });
  }
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    lines,
    exited,
    waitFor: (re, ms = 120_000) =>
      new Promise((resolve, reject) => {
        const seen = lines.map((l) => l.match(re)).find(Boolean);
        if (seen) return resolve(seen);
        waiters.push([re, resolve]);
        setTimeout(() => reject(new Error(`no line matching ${re} within ${ms} ms; output:\n${lines.join('\n')}`)), ms).unref();
        void exited.then((code) => reject(new Error(`demo exited (${code}) before ${re}; output:\n${lines.join('\n')}`)));
      }),
  };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('UI: npm run demo', () => {
  it('refuses a port already in use with a clear message and leaves nothing behind', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const demo = startDemo(port);
      const code = await demo.exited;
      assert.equal(code, 1);
      assert.match(demo.lines.join('\n'), new RegExp(`port ${port} is already in use`));
      assert.doesNotMatch(demo.lines.join('\n'), /simulator on/, 'nothing was started');
    } finally {
      blocker.close();
    }
  });

  it('serves the extension connected to the simulator, and SIGTERM stops every process', async () => {
    const port = await freePort();
    const demo = startDemo(port);
    let context: Awaited<ReturnType<typeof launchBrowser>> | undefined;
    try {
      const [, simPort] = await demo.waitFor(/simulator on https:\/\/127\.0\.0\.1:(\d+)/);
      const [, url] = await demo.waitFor(/Homelab demo: open (http\S+)/);
      context = await launchBrowser(runDir);
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(url);
      const icon = page.locator('.part.activitybar .action-item a[aria-label^="Homelab"]');
      await icon.waitFor({ timeout: 60_000 });
      await icon.click();
      const row = (text: string) => page.locator('.part.sidebar .monaco-list-row', { hasText: text }).first();
      await row('Demo lab').waitFor({ timeout: 30_000 });
      await row('pve1').waitFor({ timeout: 30_000 });
      await row('pve1').click();
      await row('VMs').click();
      await page.waitForTimeout(500);
      await page.screenshot({ path: join(screenshotDir, 'demo.png') });
      await context.close();
      context = undefined;
      demo.child.kill('SIGTERM');
      assert.equal(await demo.exited, 0);
      assert.ok(await portIsFree(port), 'code-server stopped');
      assert.ok(await portIsFree(Number(simPort)), 'the simulator stopped');
    } finally {
      await context?.close().catch(() => {});
      if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
    }
  });
});
