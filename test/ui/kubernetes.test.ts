import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startK8sServer, type K8sTestServer } from '../k8s-server';
import { openWorkbench, type Workbench } from './workbench';

describe('UI: Kubernetes tree, scale from the context menu, logs terminal', () => {
  let wb: Workbench;
  let server: K8sTestServer;
  let tmp: string;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'homelab-k8s-ui-'));
    server = await startK8sServer({ podReadyDelayMs: 200, namespaces: ['default', 'kube-system', 'apps'] });
    server.store.create('deployments', {
      metadata: { name: 'web', namespace: 'apps', labels: { app: 'web' } },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] } } },
    });
    const kubeconfig = server.writeKubeconfig(join(tmp, 'config'), { contexts: [{ name: 'homelab-k3s', server: server.url, caPem: server.caPem, token: server.token }] });
    // The DOM renderer keeps the terminal's text in the page, where the test can read it.
    wb = await openWorkbench({ name: 'kubernetes', env: { KUBECONFIG: kubeconfig }, settings: { 'terminal.integrated.gpuAcceleration': 'off' } });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await wb?.screenshot('kubernetes-failure').catch(() => undefined);
  });
  after(async () => {
    await wb?.close();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('expands a Deployment, scales it from the context menu, sees the new count, opens the logs terminal', async () => {
    const { page } = wb;
    await wb.openHomelab();
    // The Kubernetes view starts collapsed (package.json "visibility": "collapsed"): open it.
    const header = page.locator('.part.sidebar .pane-header[aria-label^="Kubernetes"]');
    await header.waitFor();
    assert.equal(await header.getAttribute('aria-expanded'), 'false');
    await header.click();
    await page.locator('.part.sidebar .pane-header[aria-label^="Kubernetes"][aria-expanded="true"]').waitFor();
    // The Proxmox view (empty here) would keep most of the height: fold it so the tree's lower rows render.
    const proxmox = page.locator('.part.sidebar .pane-header[aria-label^="Proxmox"]');
    if ((await proxmox.getAttribute('aria-expanded')) === 'true') await proxmox.click();
    await page.locator('.part.sidebar .pane-header[aria-label^="Proxmox"][aria-expanded="false"]').waitFor();
    /** Right-clicks a row and picks a menu entry (hover first: a click during the menu's fade-in is lost). */
    const contextMenu = async (target: ReturnType<typeof row>, entry: string) => {
      const action = page.locator('.context-view .action-item', { hasText: new RegExp(`^${entry}$`) });
      for (let attempt = 1; ; attempt++) {
        await target.click({ button: 'right' });
        try {
          await action.waitFor({ timeout: 3000 });
          break;
        } catch (e) {
          if (attempt === 3) throw e; // focus moving to an editor can close a menu that just opened
          await page.keyboard.press('Escape');
        }
      }
      await page.waitForTimeout(300);
      await action.hover();
      await action.click();
      await page.locator('.context-view .monaco-menu').waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
    };
    const row = (text: string | RegExp) => page.locator('.part.sidebar .monaco-list-row', { hasText: text }).first();
    await row('homelab-k3s').waitFor({ timeout: 30_000 });
    await row(/^apps/).waitFor({ timeout: 30_000 });
    await row(/^apps/).click();
    await row('Deployments').click();
    const web = row(/web.*1\/1 ready/);
    await web.waitFor({ timeout: 30_000 });
    await web.click(); // a Deployment expands into its conditions
    await row(/Available=True|No conditions reported yet/).waitFor({ timeout: 30_000 });
    assert.equal(await web.getAttribute('aria-expanded'), 'true');

    await contextMenu(web, 'Scale');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill('3');
    await page.keyboard.press('Enter');
    await row(/web.*3\/3 ready/).waitFor({ timeout: 30_000 });
    assert.equal(server.store.get('deployments', 'apps', 'web')?.spec && (server.store.get('deployments', 'apps', 'web')!.spec as { replicas: number }).replicas, 3);
    await wb.screenshot('kubernetes-scaled');

    await row('Pods').click();
    const pod = row(/web-.*Running/);
    await pod.waitFor({ timeout: 30_000 });
    const podName = (await pod.innerText()).match(/web-[a-z0-9]+-[a-z0-9]{5}/)![0];
    await pod.hover();
    await pod.locator('.actions .action-label[aria-label="Show Logs"]').click(); // the inline action
    await page.locator('.terminal-tabs-entry, .single-terminal-tab', { hasText: `Logs: ${podName}` }).first().waitFor({ timeout: 30_000 }).catch(() => undefined);
    await page.locator('.xterm-rows', { hasText: 'main ready' }).waitFor({ timeout: 30_000 });
    server.store.appendLog('apps', podName, 'main', 'GET / 200 (from the UI test)');
    await page.locator('.xterm-rows', { hasText: 'GET / 200 (from the UI test)' }).waitFor({ timeout: 30_000 });
    await wb.screenshot('kubernetes-logs');

    // A shell in another pod, from its context menu.
    const other = page.locator('.part.sidebar .monaco-list-row', { hasText: /web-.*Running/ }).nth(1);
    await contextMenu(other, 'Open Shell in Container');
    await page.locator('.xterm-rows', { hasText: '/ #' }).waitFor({ timeout: 30_000 });
    await page.keyboard.type('hostname\n');
    await page.locator('.xterm-rows', { hasText: /hostname\s*web-/ }).waitFor({ timeout: 30_000 });
    await wb.screenshot('kubernetes-shell');
  });
});
