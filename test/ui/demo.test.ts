import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../../scripts/lib/browser.mjs';
import { freePort } from '../../scripts/lib/code-server.mjs';
import { root } from '../../scripts/lib/tools.mjs';
import { webview } from './lab-workspace';
import { screenshotDir } from './workbench';

const runRoot = join(process.env.HOMELAB_UI_RUN_DIR ?? join(root, '.run/test/ui'), 'demo');
const netHook = join(root, 'test/harness/loopback-only.cjs');

interface Demo {
  child: ChildProcess;
  lines: string[];
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  runDir: string;
  netLog: string;
}

/** Starts the demo exactly as the README says (`npm run demo`), every Node process under the loopback-only hook. */
function startDemo(port: number, name: string): Demo {
  const runDir = join(runRoot, name);
  mkdirSync(runDir, { recursive: true });
  const netLog = join(runDir, 'net.log');
  rmSync(netLog, { force: true });
  const child = spawn('npm', ['run', 'demo', '--', '--port', String(port), '--no-open'], {
    cwd: root,
    env: {
      ...process.env,
      HOMELAB_DEMO_RUN_DIR: runDir,
      HOMELAB_NET_LOG: netLog,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${netHook}`.trim(),
      // npm's own once-a-week version check is npm's, not the demo's: off, so the log shows only ours.
      npm_config_update_notifier: 'false',
    },
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
    runDir,
    netLog,
    waitFor: (re, ms = 170_000) =>
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process in the process groups the demo started, from /proc (the extension host included). */
function groupMembers(pgids: number[]): number[] {
  const out: number[] = [];
  for (const name of require('node:fs').readdirSync('/proc') as string[]) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && pgids.includes(Number(fields[2]))) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface NetEntry { pid: number; argv: string; event: 'loaded' | 'lookup' | 'connect'; host?: string }
const readNet = (file: string): NetEntry[] =>
  existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as NetEntry) : [];

const isLoopbackUrl = (u: string) => {
  if (!/^(https?|wss?):/.test(u)) return true; // data:, blob:, vscode-webview: stay in the page
  const h = new URL(u).hostname.replace(/^\[|\]$/g, '');
  return h === '127.0.0.1' || h === 'localhost' || h === '::1' || h.endsWith('.localhost');
};

describe('UI: npm run demo', () => {
  it('refuses a port already in use with a clear message and leaves nothing behind', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const demo = startDemo(port, 'busy');
      const code = await demo.exited;
      assert.notEqual(code, 0);
      assert.match(demo.lines.join('\n'), new RegExp(`port ${port} is already in use`));
      assert.ok(!existsSync(join(demo.runDir, 'demo.json')), 'nothing was started');
    } finally {
      blocker.close();
    }
  });

  it('prints one URL line, shows the whole product, contacts only loopback, and stops everything when npm is killed', async function () {
    this.timeout(400_000);
    const port = await freePort();
    rmSync(join(runRoot, 'full'), { recursive: true, force: true });
    const demo = startDemo(port, 'full');
    let context: Awaited<ReturnType<typeof launchBrowser>> | undefined;
    let outsideRequests = (): string[] => [];
    try {
      const [, url] = await demo.waitFor(/Homelab demo: open (http\S+)/);
      // npm echoes the script it runs ("> homelab@… demo"); of the demo's own output, only the URL line.
      const own = demo.lines.filter((l) => l.trim() && !l.startsWith('> '));
      assert.deepEqual(own.length, 1, `one line of output, got:\n${own.join('\n')}`);
      assert.doesNotMatch(demo.lines.join('\n'), /package\.json|extension\.js|DONE/, 'no re-packaging and no file tree: the .vsix is fresh');
      const state = JSON.parse(readFileSync(join(demo.runDir, 'demo.json'), 'utf8')) as { pid: number; pids: number[]; ports: number[] };
      assert.equal(state.ports.length, 3, 'code-server, the Proxmox simulator and the Kubernetes server');

      context = await launchBrowser(demo.runDir);
      // Webview resources use https://*.vscode-resource.vscode-cdn.net URLs that the webview's service
      // worker answers from the server (loopback): those never reach the network; anything else would.
      const pending = new Map<unknown, string>();
      context.on('request', (r) => {
        if (!isLoopbackUrl(r.url())) pending.set(r, r.url());
      });
      context.on('response', (r) => {
        if (r.fromServiceWorker()) pending.delete(r.request());
      });
      outsideRequests = () => [...pending.values()];
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(url);
      await landing(page);
      await kubernetesTree(page);
      await journalAndTracker(page);
      await cloneWizard(page);

      // What the processes saw: every Node process of the demo loaded the hook, none looked up another host.
      const net = readNet(demo.netLog);
      const loaded = net.filter((e) => e.event === 'loaded').map((e) => e.argv);
      for (const what of [/npm/, /scripts\/demo\.mjs/, /proxmox-sim/, /k8s-server/, /code-server/, /type=extensionHost/]) {
        assert.ok(loaded.some((a) => what.test(a)), `the hook ran in ${what} (loaded: ${loaded.join(' | ')})`);
      }
      assert.deepEqual(net.filter((e) => e.event !== 'loaded'), [], 'no lookup of, or connection to, a host other than loopback');
      await page.waitForTimeout(500); // responses of the last requests
      assert.deepEqual(outsideRequests(), [], 'the browser requested nothing outside loopback');

      await context.close();
      context = undefined;
      // npm does not pass SIGTERM on: the demo must notice npm's end by itself.
      const groups = state.pids;
      assert.ok(groupMembers(groups).length >= 3, 'the demo started its processes in their own groups');
      demo.child.kill('SIGTERM');
      await demo.exited;
      await until('the demo script ends', () => !alive(state.pid));
      await until('every process the demo started ends (extension host included)', () => groupMembers(groups).length === 0);
      for (const p of state.ports) assert.ok(await portIsFree(p), `port ${p} is free again`);
      assert.ok(!existsSync(join(demo.runDir, 'demo.json')));
    } catch (err) {
      for (const p of context?.pages() ?? []) await p.screenshot({ path: join(screenshotDir, 'FAILED-demo.png') }).catch(() => {});
      throw err;
    } finally {
      await context?.close().catch(() => {});
      if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
      const left = existsSync(join(demo.runDir, 'demo.json')) ? (JSON.parse(readFileSync(join(demo.runDir, 'demo.json'), 'utf8')) as { pid: number; pids: number[] }) : undefined;
      if (left) {
        for (const pid of left.pids) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
        try { process.kill(left.pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
  });

  it('Ctrl-C (SIGINT to the terminal\'s process group) stops everything too', async function () {
    this.timeout(300_000);
    const port = await freePort();
    const demo = startDemo(port, 'ctrl-c');
    try {
      await demo.waitFor(/Homelab demo: open (http\S+)/);
      const state = JSON.parse(readFileSync(join(demo.runDir, 'demo.json'), 'utf8')) as { pid: number; pids: number[]; ports: number[] };
      // A terminal sends SIGINT to its foreground group: npm, the shell and the demo script.
      for (const pid of [demo.child.pid!, ...launchChain(state.pid, demo.child.pid!)]) try { process.kill(pid, 'SIGINT'); } catch { /* gone */ }
      await until('the demo script ends', () => !alive(state.pid));
      await until('every process the demo started ends', () => groupMembers(state.pids).length === 0);
      for (const p of state.ports) assert.ok(await portIsFree(p), `port ${p} is free again`);
    } finally {
      if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
    }
  });
});

/** The processes between npm and the demo script (the `sh -c` npm runs it through). */
function launchChain(pid: number, npmPid: number): number[] {
  const out: number[] = [];
  for (let p = pid, i = 0; p > 1 && p !== npmPid && i < 5; i++) {
    out.push(p);
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return out;
}

const row = (page: Page, text: string | RegExp) => page.locator('.part.sidebar .monaco-list-row', { hasText: text }).first();

/** First start: the Homelab container and the walkthrough open by themselves; the Proxmox view has the room. */
async function landing(page: Page): Promise<void> {
  await row(page, 'Demo lab').waitFor({ timeout: 90_000 });
  await row(page, 'pve1').waitFor({ timeout: 30_000 });
  await page.locator('.getting-started-step', { hasText: 'Connect a Proxmox cluster' }).first().waitFor({ timeout: 30_000 });
  // Ticked from real state (the demo lab is connected, the workspace has a journal), no button pressed.
  for (const step of ['connect', 'journal']) {
    await page.locator(`[data-done-step-id$="#${step}"][aria-checked="true"]`).first().waitFor({ state: 'attached', timeout: 30_000 });
  }
  assert.equal(await page.locator('[data-done-step-id$="#deployCluster"][aria-checked="true"]').count(), 0, 'a step not done stays unticked');
  // The Pipeline view is not shown while no pipeline exists: Proxmox has the room.
  assert.equal(await page.locator('.part.sidebar .pane-header[aria-label^="Pipeline"]').count(), 0);
  await page.waitForTimeout(1000);
  await page.screenshot({ path: join(screenshotDir, 'demo-landing.png') });
}

async function kubernetesTree(page: Page): Promise<void> {
  const header = page.locator('.part.sidebar .pane-header[aria-label^="Kubernetes"]');
  await header.waitFor();
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
  // The Proxmox view folded away for the picture: the cluster's groups (Nodes, Applications) and a
  // namespace's workloads need the height, and a list renders only the rows it shows.
  const proxmox = page.locator('.part.sidebar .pane-header[aria-label^="Proxmox"]');
  if ((await proxmox.getAttribute('aria-expanded')) === 'true') await proxmox.click();
  await row(page, 'demo-k3s').waitFor({ timeout: 30_000 });
  await row(page, /^apps/).click();
  await row(page, 'Deployments').click();
  await row(page, /web.*2\/2 ready/).waitFor({ timeout: 30_000 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(screenshotDir, 'demo-kubernetes.png') });
  await proxmox.click();
  await row(page, 'Demo lab').waitFor({ timeout: 30_000 });
}

async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** The demo workspace's journal (phases, retrospectives, activity history) and tracker (epics, stories). */
async function journalAndTracker(page: Page): Promise<void> {
  await runCommand(page, 'Homelab: Open Journal');
  let frame = webview(page);
  await frame.locator('.timeline .phase').first().waitFor({ timeout: 30_000 });
  const phases = await frame.locator('.timeline .phase h3').allInnerTexts();
  assert.ok(phases.length >= 4, `four phases, got ${phases.join(' | ')}`);
  assert.ok(await frame.locator('.activity').count() >= 5, 'the activity log has history');
  await frame.locator('.retro-link').first().waitFor();
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(screenshotDir, 'demo-journal.png') });
  await runCommand(page, 'View: Close All Editors');
  await page.locator('iframe.webview.ready').waitFor({ state: 'detached', timeout: 10_000 });

  await runCommand(page, 'Homelab: Open Learning Tracker');
  frame = webview(page);
  await frame.locator('section.file').first().waitFor({ timeout: 30_000 });
  await frame.locator('section.file[data-key$="Phase3-learning-tracker.md"] tr[data-line]').first().waitFor();
  assert.ok(await frame.locator('section.file[data-key$="Phase3-learning-tracker.md"] .status-icon.status-done').count() >= 2, 'stories already done show as done');
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(screenshotDir, 'demo-tracker.png') });
}

/** The clone wizard on the demo lab: an error shown on its step (the wizard stays), the demo key offered, a summary, then the clone. */
async function cloneWizard(page: Page): Promise<void> {
  await runCommand(page, 'Homelab: Clone Template or VM');
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  const row = (text: string | RegExp) => widget.locator('.monaco-list-row', { hasText: text }).first();
  const title = (text: string | RegExp) => widget.locator('.quick-input-title', { hasText: text }).first();
  await title(/Clone which/).waitFor({ timeout: 30_000 });
  await input.fill('tpl-nixos');
  await row('tpl-nixos-24-11').waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await title(/Name/).waitFor({ timeout: 30_000 });
  await input.fill('web_1');
  await page.keyboard.press('Enter');
  // The message is on the step itself and the wizard is still there, with what was typed.
  await widget.locator('.quick-input-message', { hasText: /"_" is not allowed/ }).waitFor({ timeout: 10_000 });
  assert.equal(await input.inputValue(), 'web_1');
  await page.screenshot({ path: join(screenshotDir, 'demo-wizard-step-error.png') });
  await input.fill('web-1');
  await page.keyboard.press('Enter');
  // VM ID, clone mode (linked), cores, memory, disk, user: the suggestions.
  for (const step of [/VM ID/, /Clone mode/, /CPU cores/, /Memory/, /Disk size/, /Cloud-init user/]) {
    await title(step).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
  }
  // The demo's own key is offered and ticked.
  await title(/SSH public keys/).waitFor({ timeout: 10_000 });
  await row(/demo_ed25519\.pub/).waitFor({ timeout: 5000 });
  await page.keyboard.press('Enter');
  for (const step of [/IP configuration/, /Start the new VM/]) {
    await title(step).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
  }
  await title(/Summary/).waitFor({ timeout: 10_000 });
  await row(/Clone tpl-nixos-24-11 as web-1/).waitFor();
  await row(/SSH keys/).waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(screenshotDir, 'demo-wizard-summary.png') });
  const guests = Number(/(\d+) guests/.exec(await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Demo lab' }).first().innerText())![1]);
  await page.keyboard.press('Enter');
  // Cloned, configured and started in the simulator: the lab has one guest more.
  await page.locator('.part.sidebar .monaco-list-row', { hasText: `${guests + 1} guests` }).first().waitFor({ timeout: 60_000 });
}
