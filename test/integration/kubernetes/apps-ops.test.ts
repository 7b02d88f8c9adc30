import assert from 'node:assert/strict';
import { onTestServerOnly, requireContainers, setupEnv, TestEnv } from './env';
import { invoke, operation } from '../../../src/operations/catalog';
import type { OperationHost, Prepared } from '../../../src/operations/types';
import * as providers from '../../../src/providers/kubernetes';

const APP = 'hacky-stack';
const FAKE = 'fake-password-for-tests-7c1e';
const BUSYBOX = process.env.HOMELAB_TEST_BUSYBOX_IMAGE || 'busybox:1.36';
const REAL = !!process.env.HOMELAB_TEST_KUBECONFIG;
const labels = (component: string, name: string) => ({ 'app.kubernetes.io/part-of': APP, 'app.kubernetes.io/component': component, 'app.kubernetes.io/name': name });

describe('application operations (app_list, app_scale, app_set_image, app_restart)', function () {
  this.timeout(120_000);
  let env: TestEnv;
  let ns: string;
  const audit: string[] = [];
  let host: OperationHost;
  const call = async (id: string, input: Record<string, unknown>, confirm?: (p: Prepared) => boolean) => {
    const out = await invoke(operation(id)!, input, host, { caller: 'test', confirm: confirm ? async (p) => confirm(p) : undefined });
    assert.equal(out.status, 'ok');
    return (out as { result: { text: string; data?: unknown } }).result;
  };

  before(async () => {
    env = await setupEnv();
    ns = env.namespace;
    host = {
      kubernetes: { modules: async () => providers, contexts: async () => [{ name: env.client.context, current: true }], client: async () => env.client },
      activity: async (r) => { audit.push(JSON.stringify(r)); },
    };
    const web = labels('web', APP);
    await env.client.request('POST', `/api/v1/namespaces/${ns}/secrets`, { body: { metadata: { name: `${APP}-secrets`, namespace: ns, labels: web }, data: { DATABASE_URL: Buffer.from(`postgres://u:${FAKE}@db.example.invalid:6543/app`).toString('base64') } } });
    await env.client.request('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body: {
      metadata: { name: APP, namespace: ns, labels: web },
      spec: { replicas: 1, selector: { matchLabels: { 'app.kubernetes.io/name': APP } }, template: { metadata: { labels: web }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: REAL ? BUSYBOX : 'ghcr.io/example/hacky-stack:1.0.0', ...(REAL ? { command: ['sh', '-c', 'while true; do sleep 3600; done'] } : {}), envFrom: [{ secretRef: { name: `${APP}-secrets` } }] }] } } },
    } });
  });
  after(async () => { await env.close(); });

  it('app_list lists the application and describes it without the password', async () => {
    const all = await call('app_list', { namespace: ns });
    assert.match(all.text, new RegExp(`^${ns}/${APP} \\d/1 ready`));
    const one = await call('app_list', { app: APP, namespace: ns });
    assert.match(one.text, /database: external db\.example\.invalid:6543\/app/);
    assert.ok(!one.text.includes(FAKE) && !JSON.stringify(one.data).includes(FAKE));
  });

  it('an unknown application or a bad image is refused before anything changes', async () => {
    await assert.rejects(call('app_scale', { app: 'nope', namespace: ns, replicas: 2 }), (e: Error) => e.name === 'OperationRefused' && /No application nope/.test(e.message));
    await assert.rejects(call('app_set_image', { app: APP, namespace: ns, image: 'Bad Image' }), (e: Error) => e.name === 'OperationRefused' && /not an image reference/.test(e.message));
    await assert.rejects(invoke(operation('app_scale')!, { app: APP, namespace: ns }, host, { caller: 'test' }), /replicas/);
    const d = await env.client.request<{ spec: { replicas: number } }>('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${APP}`);
    assert.equal(d.spec.replicas, 1);
  });

  it('app_scale asks first (declined: nothing changes), then scales and follows the rollout', async function () {
    const declined = await invoke(operation('app_scale')!, { app: APP, namespace: ns, replicas: 2 }, host, { caller: 'test', confirm: async (p) => { assert.match(p.confirmation ?? '', new RegExp(`Scale application ${APP} \\(${ns}.*from 1 to 2 replicas`)); return false; } });
    assert.equal(declined.status, 'declined');
    assert.equal((await env.client.request<{ spec: { replicas: number } }>('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${APP}`)).spec.replicas, 1);
    await requireContainers(this, env);
    const r = await call('app_scale', { app: APP, namespace: ns, replicas: 2 }, () => true);
    assert.match(r.text, /2 of 2 replicas available/);
    assert.ok(audit.some((a) => a.includes('app_scale') && a.includes('"result":"ok"')));
  });

  it('app_restart follows the restart to the end', async function () {
    await requireContainers(this, env);
    const r = await call('app_restart', { app: APP, namespace: ns }, (p) => /Restart every pod of application/.test(p.confirmation ?? ''));
    assert.match(r.text, /restarted/);
  });

  onTestServerOnly(() => {
    it('app_set_image: a good tag rolls out; :broken fails with ProgressDeadlineExceeded', async () => {
      const ok = await call('app_set_image', { app: APP, namespace: ns, image: 'ghcr.io/example/hacky-stack:1.1.0' }, (p) => /from ghcr\.io\/example\/hacky-stack:1\.0\.0 to ghcr\.io\/example\/hacky-stack:1\.1\.0/.test(p.confirmation ?? ''));
      assert.match(ok.text, /now runs ghcr\.io\/example\/hacky-stack:1\.1\.0/);
      await assert.rejects(call('app_set_image', { app: APP, namespace: ns, image: 'ghcr.io/example/hacky-stack:broken' }), /ProgressDeadlineExceeded/);
      await assert.rejects(call('app_set_image', { app: APP, namespace: ns, image: 'ghcr.io/example/hacky-stack:broken' }), (e: Error) => e.name === 'OperationRefused' && /already runs/.test(e.message));
    });

    it('app_list: a Secret RBAC refuses gives database unknown', async () => {
      env.server!.forbidResource('secrets', ns);
      const one = await call('app_list', { app: APP, namespace: ns });
      assert.match(one.text, /database: unknown \(The app Secret cannot be read \(forbidden\)\.\)/);
    });
  });
});
