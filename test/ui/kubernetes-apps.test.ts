import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startK8sServer, type K8sTestServer } from '../k8s-server';
import { openWorkbench, type Workbench } from './workbench';

const FAKE = 'ui-fake-password-91b3';

describe('UI: Kubernetes Applications group', () => {
  let wb: Workbench;
  let server: K8sTestServer;
  let tmp: string;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'homelab-k8s-apps-ui-'));
    server = await startK8sServer({ podReadyDelayMs: 200, namespaces: ['default', 'kube-system', 'hacky-stack'] });
    const ns = 'hacky-stack';
    const web = { 'app.kubernetes.io/part-of': 'hacky-stack', 'app.kubernetes.io/component': 'web', 'app.kubernetes.io/name': 'hacky-stack' };
    server.store.create('secrets', { metadata: { name: 'hacky-stack-secrets', namespace: ns, labels: web }, data: { DATABASE_URL: Buffer.from(`postgresql://hacky:${FAKE}@db.example.invalid:5432/hackystack`).toString('base64') } } as never);
    server.store.create('services', { metadata: { name: 'hacky-stack', namespace: ns, labels: web }, spec: { selector: { 'app.kubernetes.io/name': 'hacky-stack' }, ports: [{ port: 3000, targetPort: 'http' }] } } as never);
    server.store.create('ingresses', { metadata: { name: 'hacky-stack', namespace: ns, labels: web }, spec: { tls: [{ hosts: ['hackystack.local'] }], rules: [{ host: 'hackystack.local', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'hacky-stack', port: { number: 3000 } } } }] } }] } } as never);
    server.store.create('deployments', { metadata: { name: 'hacky-stack', namespace: ns, labels: web }, spec: { replicas: 2, selector: { matchLabels: { 'app.kubernetes.io/name': 'hacky-stack' } }, template: { metadata: { labels: web }, spec: { containers: [{ name: 'app', image: 'ghcr.io/example/hacky-stack:1.0.0', ports: [{ name: 'http', containerPort: 3000 }], envFrom: [{ secretRef: { name: 'hacky-stack-secrets' } }] }] } } } } as never);
    const kubeconfig = server.writeKubeconfig(join(tmp, 'config'), { contexts: [{ name: 'homelab-k3s', server: server.url, caPem: server.caPem, token: server.token }] });
    wb = await openWorkbench({ name: 'kubernetes-apps', env: { KUBECONFIG: kubeconfig } });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await wb?.screenshot('kubernetes-apps-failure').catch(() => undefined);
  });
  after(async () => {
    await wb?.close();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('shows the application with its rollout, endpoints, URL and database, and no password', async () => {
    const { page } = wb;
    await wb.openHomelab();
    const header = page.locator('.part.sidebar .pane-header[aria-label^="Kubernetes"]');
    await header.waitFor();
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    const proxmox = page.locator('.part.sidebar .pane-header[aria-label^="Proxmox"]');
    if ((await proxmox.getAttribute('aria-expanded')) === 'true') await proxmox.click();
    const row = (text: string | RegExp) => page.locator('.part.sidebar .monaco-list-row', { hasText: text }).first();
    await row('homelab-k3s').waitFor({ timeout: 30_000 });
    await row(/^Applications/).click();
    const app = row(/hacky-stack.*hacky-stack · 2\/2 ready/);
    await app.waitFor({ timeout: 30_000 });
    await app.click();
    await row(/Rollout.*2 desired · 2 updated · 2 ready · 2 available/).waitFor({ timeout: 30_000 });
    await row(/Endpoints.*hacky-stack: 2 ready · 0 not ready/).waitFor({ timeout: 30_000 });
    await row(/URL.*https:\/\/hackystack\.local\//).waitFor();
    await row(/Database.*external db\.example\.invalid:5432\/hackystack/).waitFor();
    const text = await page.locator('.part.sidebar').innerText();
    assert.ok(!text.includes(FAKE), 'the password is not on screen');
    await wb.screenshot('kubernetes-applications');
  });
});
