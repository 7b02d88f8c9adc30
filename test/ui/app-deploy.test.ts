// Deploy Application in real VS Code: from a context's menu, the wizard typed as a user types it
// (a bad DATABASE_URL kept on its step with the message, Back once), the summary, then the terminal
// with its steps. The secret answers never show on the page.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startK8sServer, type K8sTestServer } from '../k8s-server';
import { openWorkbench, type Workbench } from './workbench';

const GH_SECRET = 'ui-GHSECRET-4b7d0e91';
const DB_PASS = 'ui-DBPASS-c2a8f3';

describe('UI: Deploy Application from a context menu', () => {
  let wb: Workbench;
  let server: K8sTestServer;
  let tmp: string;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'homelab-app-ui-'));
    server = await startK8sServer({ podReadyDelayMs: 200, namespaces: ['default', 'kube-system'] });
    // the ingress controller: publishes an address for each new Ingress
    server.store.on('event', (e: { plural: string; type: string; object: { metadata: { name: string; namespace?: string } } }) => {
      if (e.plural === 'ingresses' && e.type === 'ADDED') setTimeout(() => { try { server.store.setStatus('ingresses', e.object.metadata.namespace, e.object.metadata.name, { loadBalancer: { ingress: [{ ip: '192.168.1.240' }] } }); } catch { /* gone */ } }, 20);
    });
    const kubeconfig = server.writeKubeconfig(join(tmp, 'config'), { contexts: [{ name: 'homelab-k3s', server: server.url, caPem: server.caPem, token: server.token }] });
    wb = await openWorkbench({ name: 'app-deploy', env: { KUBECONFIG: kubeconfig }, settings: { 'terminal.integrated.gpuAcceleration': 'off' } });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await wb?.screenshot('app-deploy-failure').catch(() => undefined);
  });
  after(async () => {
    await wb?.close();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('deploys the basic level through the wizard; the terminal shows each step', async () => {
    const { page } = wb;
    await wb.openHomelab();
    const header = page.locator('.part.sidebar .pane-header[aria-label^="Kubernetes"]');
    await header.waitFor();
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    const row = page.locator('.part.sidebar .monaco-list-row', { hasText: 'homelab-k3s' }).first();
    await row.waitFor({ timeout: 30_000 });
    const action = page.locator('.context-view .action-item', { hasText: /^Deploy Application \(Hacky Stack\)…$/ });
    for (let attempt = 1; ; attempt++) {
      await row.click({ button: 'right' });
      try { await action.waitFor({ timeout: 3000 }); break; } catch (e) { if (attempt === 3) throw e; await page.keyboard.press('Escape'); }
    }
    await page.waitForTimeout(300);
    await action.hover();
    await action.click();

    const widget = page.locator('.quick-input-widget');
    const input = widget.locator('.quick-input-box input');
    const title = (t: RegExp) => widget.locator('.quick-input-title', { hasText: t }).first().waitFor({ timeout: 20_000 });
    const answer = async (t: RegExp, value?: string) => {
      await title(t);
      if (value !== undefined) await input.fill(value);
      await page.keyboard.press('Enter');
    };
    await title(/Deploy Application: Level/);
    await input.fill('basic');
    await widget.locator('.monaco-list-row', { hasText: 'basic' }).first().waitFor();
    await page.keyboard.press('Enter');
    await answer(/Deploy Application: Namespace/, 'shop');
    await answer(/Deploy Application: Image/, 'ghcr.io/me/hacky-stack');
    await answer(/Deploy Application: Tag/, 'v1');
    // Back from the replicas step: the tag step again, with its answer
    await title(/Deploy Application: Replicas/);
    await widget.locator('.quick-input-titlebar a[aria-label="Back"], .quick-input-titlebar .codicon-quick-input-back').first().click();
    await title(/Deploy Application: Tag/);
    assert.equal(await input.inputValue(), 'v1');
    await page.keyboard.press('Enter');
    await answer(/Deploy Application: Replicas/);
    await answer(/Deploy Application: NEXTAUTH_SECRET/, '');
    await answer(/Deploy Application: NEXTAUTH_URL/);
    await answer(/Deploy Application: GitHub OAuth client id/, 'ui-client-id');
    await answer(/Deploy Application: GitHub OAuth client secret/, GH_SECRET);
    assert.equal(await input.getAttribute('type'), 'password', 'DATABASE_URL is a password input');
    await answer(/Deploy Application: DATABASE_URL/, `mysql://app:${DB_PASS}@db/hacky`);
    await widget.locator('.quick-input-message', { hasText: /postgresql:\/\// }).waitFor({ timeout: 10_000 });
    await answer(/Deploy Application: DATABASE_URL/, `postgresql://app:${DB_PASS}@db.lab.example:5432/hacky`);
    await title(/Deploy Application: Summary/);
    await widget.locator('.monaco-list-row', { hasText: 'DATABASE_URL' }).filter({ hasText: 'db.lab.example:5432/hacky' }).waitFor();
    await wb.screenshot('app-deploy-summary');
    await page.keyboard.press('Enter');

    await page.locator('.xterm-rows', { hasText: /hacky-stack is deployed to shop/ }).first().waitFor({ timeout: 60_000 });
    const text = await page.locator('.xterm-rows').first().innerText();
    // (the DOM renderer holds the visible rows: the last steps)
    assert.match(text, /deployment\/hacky-stack: 2 of 2 replicas available/);
    assert.match(text, /▶ Checking health/);
    assert.match(text, /endpoints: ok: 2 ready endpoints/);
    await wb.screenshot('app-deploy-done');
    assert.equal(server.store.get('deployments', 'shop', 'hacky-stack')?.metadata.name, 'hacky-stack');
    const html = await page.content();
    for (const s of [GH_SECRET, DB_PASS]) assert.ok(!html.includes(s) && !text.includes(s), 'a secret shows on the page');
  });
});
