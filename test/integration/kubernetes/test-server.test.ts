// Conformance of the Kubernetes API test server itself: the behaviours the other tests rely on,
// checked the way a client sees them. Runs only against the test server (it is the subject).
import assert from 'node:assert/strict';
import { onTestServerOnly, setupEnv, TestEnv, eventually, deploymentManifest } from './env';
import { isKubeError, KubeError } from '../../../src/providers/kubernetes/errors';
import { KubeClient } from '../../../src/providers/kubernetes/client';
import { KubeList, KubeObject } from '../../../src/providers/kubernetes/resources';
import { startK8sServer } from '../../k8s-server';

async function caught(p: Promise<unknown>): Promise<KubeError> {
  try { await p; } catch (e) { assert.ok(isKubeError(e), String(e)); return e; }
  assert.fail('expected an error');
}

async function readWatch(client: KubeClient, path: string, query: Record<string, string | boolean | number>, until: (events: { type: string; object: KubeObject }[]) => boolean): Promise<{ type: string; object: KubeObject }[]> {
  const ac = new AbortController();
  const res = await client.stream(path, { watch: true, ...query }, ac.signal);
  const events: { type: string; object: KubeObject }[] = [];
  let buf = '';
  return new Promise((resolve, reject) => {
    let settled = false;
    const t = setTimeout(() => { settled = true; reject(new Error(`watch did not deliver: ${JSON.stringify(events.map((e) => e.type))}`)); ac.abort(); }, 5000);
    const finish = () => { if (settled) return; settled = true; clearTimeout(t); resolve(events); ac.abort(); };
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buf += c;
      const lines = buf.split('\n'); buf = lines.pop()!;
      for (const l of lines) if (l.trim()) events.push(JSON.parse(l));
      if (until(events)) finish();
    });
    res.on('end', () => { if (until(events)) finish(); });
    res.on('error', () => undefined);
  });
}

onTestServerOnly(() => describe('k8s API test server conformance [test server only]', function () {
  let env: TestEnv;
  let ns: string;
  before(async () => { env = await setupEnv(); ns = env.namespace; });
  after(async () => { await env.close(); });

  it('serves discovery for core, apps and networking', async () => {
    const api = await env.client.request<{ versions: string[] }>('GET', '/api');
    assert.deepEqual(api.versions, ['v1']);
    const groups = await env.client.request<{ groups: { name: string }[] }>('GET', '/apis');
    assert.deepEqual(groups.groups.map((g) => g.name).sort(), ['apps', 'authorization.k8s.io', 'discovery.k8s.io', 'networking.k8s.io', 'policy', 'rbac.authorization.k8s.io', 'storage.k8s.io']);
    const apps = await env.client.request<{ resources: { name: string; kind: string; namespaced: boolean }[] }>('GET', '/apis/apps/v1');
    assert.ok(apps.resources.some((r) => r.name === 'deployments/scale' && r.kind === 'Scale'));
    const core = await env.client.request<{ resources: { name: string; namespaced: boolean }[] }>('GET', '/api/v1');
    assert.equal(core.resources.find((r) => r.name === 'namespaces')?.namespaced, false);
    await caught(env.client.request('GET', '/apis/batch/v1'));
    const disc = await env.client.request<{ resources: { name: string; namespaced: boolean }[] }>('GET', '/apis/discovery.k8s.io/v1');
    assert.equal(disc.resources.find((r) => r.name === 'endpointslices')?.namespaced, true);
    const net = await env.client.request<{ resources: { name: string; namespaced: boolean }[] }>('GET', '/apis/networking.k8s.io/v1');
    assert.equal(net.resources.find((r) => r.name === 'ingressclasses')?.namespaced, false);
  });

  it('keeps an EndpointSlice per Service with a selector: its pods with IPs and their ready condition, gone with the Service', async () => {
    await env.client.request('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body: deploymentManifest('eps', ns, 2) });
    await env.client.request('POST', `/api/v1/namespaces/${ns}/services`, { body: { metadata: { name: 'eps' }, spec: { selector: { app: 'eps' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } });
    const slices = () => env.client.request<KubeList<KubeObject & { endpoints?: Array<{ addresses: string[]; conditions: { ready: boolean }; targetRef: { name: string } }>; ports?: Array<{ port: number }> }>>('GET', `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, { query: { labelSelector: 'kubernetes.io/service-name=eps' } });
    const ready = await eventually(async () => {
      const l = await slices();
      assert.equal(l.items.length, 1);
      const eps = l.items[0].endpoints ?? [];
      assert.equal(eps.filter((e) => e.conditions.ready).length, 2);
      return l.items[0];
    });
    assert.deepEqual(ready.ports, [{ name: 'http', protocol: 'TCP', port: 8080 }]);
    assert.equal(ready.metadata.ownerReferences?.[0]?.kind, 'Service');
    await env.client.request('DELETE', `/api/v1/namespaces/${ns}/services/eps`);
    await eventually(async () => assert.equal((await slices()).items.length, 0));
  });

  it('pages lists with limit/continue at one resourceVersion; an expired continue is 410', async () => {
    for (let i = 0; i < 5; i++) await env.client.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { metadata: { name: `page-${i}` } } });
    const p1 = await env.client.request<KubeList>('GET', `/api/v1/namespaces/${ns}/configmaps`, { query: { limit: 2 } });
    assert.equal(p1.items.length, 2);
    assert.ok(p1.metadata.continue);
    const p2 = await env.client.request<KubeList>('GET', `/api/v1/namespaces/${ns}/configmaps`, { query: { limit: 2, continue: p1.metadata.continue } });
    assert.deepEqual(p2.items.map((o) => o.metadata.name), ['page-2', 'page-3']);
    assert.equal(p2.metadata.resourceVersion, p1.metadata.resourceVersion);
    env.server!.store.modify('configmaps', ns, 'page-4', (o) => { o.data = { changed: 'yes' }; });
    env.server!.expireHistory();
    assert.equal((await caught(env.client.request('GET', `/api/v1/namespaces/${ns}/configmaps`, { query: { limit: 2, continue: p2.metadata.continue } }))).kind, 'gone');
  });

  it('watches: initial ADDED without resourceVersion, MODIFIED/DELETED, BOOKMARK, ERROR 410 for an expired one', async () => {
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    const initial = await readWatch(env.client, path, {}, (e) => e.length >= 5);
    assert.ok(initial.slice(0, 5).every((e) => e.type === 'ADDED'));
    const list = await env.client.request<KubeList>('GET', path);
    const rv = list.metadata.resourceVersion!;
    setTimeout(() => { env.server!.store.modify('configmaps', ns, 'page-0', (o) => { o.data = { a: 'b' }; }); env.server!.store.delete('configmaps', ns, 'page-1'); }, 50);
    const evs = await readWatch(env.client, path, { resourceVersion: rv, allowWatchBookmarks: true }, (e) => e.some((x) => x.type === 'BOOKMARK') && e.some((x) => x.type === 'DELETED'));
    assert.deepEqual(evs.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.name}`), ['MODIFIED page-0', 'DELETED page-1']);
    const bookmark = evs.find((e) => e.type === 'BOOKMARK')!;
    assert.ok(Number(bookmark.object.metadata.resourceVersion) > Number(rv));
    env.server!.store.create('configmaps', { metadata: { name: 'later', namespace: ns } });
    env.server!.expireHistory();
    const gone = await readWatch(env.client, path, { resourceVersion: rv }, (e) => e.length >= 1);
    assert.equal(gone[0].type, 'ERROR');
    assert.equal((gone[0].object as unknown as { code: number }).code, 410);
  });

  it('server-side apply: conflicts with another manager unless forced; dry-run does not persist', async () => {
    const path = `/api/v1/namespaces/${ns}/configmaps/shared`;
    const apply = (manager: string, v: string, extra: Record<string, string | boolean> = {}) => env.client.request<KubeObject>('PATCH', path, {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared' }, data: { v } }), contentType: 'application/apply-patch+yaml', query: { fieldManager: manager, ...extra },
    });
    await apply('alice', '1');
    const e = await caught(apply('bob', '2'));
    assert.equal(e.kind, 'conflict');
    assert.match(e.message, /conflict with "alice"/);
    const dry = await apply('bob', '2', { force: true, dryRun: 'All' });
    assert.equal(dry.data?.v, '2');
    assert.equal((await env.client.request<KubeObject>('GET', path)).data?.v, '1');
    await apply('bob', '2', { force: true });
    assert.equal((await env.client.request<KubeObject>('GET', path)).data?.v, '2');
    await apply('alice', '3').catch(() => undefined);
    assert.equal((await caught(env.client.request('PATCH', path, { body: '{}', contentType: 'application/apply-patch+yaml' }))).kind, 'badRequest', 'fieldManager required');
  });

  it('scale subresource on StatefulSets: GET, PUT with a stale resourceVersion is 409, pods named by ordinal', async () => {
    const sts = { ...deploymentManifest('db', ns, 2), kind: 'StatefulSet' };
    await env.client.request('POST', `/apis/apps/v1/namespaces/${ns}/statefulsets`, { body: sts });
    const scalePath = `/apis/apps/v1/namespaces/${ns}/statefulsets/db/scale`;
    const s = await env.client.request<{ spec: { replicas: number }; metadata: { resourceVersion: string } }>('GET', scalePath);
    assert.equal(s.spec.replicas, 2);
    await eventually(async () => {
      const pods = (await env.client.request<KubeList>('GET', `/api/v1/namespaces/${ns}/pods`, { query: { labelSelector: 'app=db' } })).items.map((p) => p.metadata.name).sort();
      assert.deepEqual(pods, ['db-0', 'db-1']);
    });
    const put = await env.client.request<{ spec: { replicas: number } }>('PUT', scalePath, { body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'db', namespace: ns }, spec: { replicas: 1 } } });
    assert.equal(put.spec.replicas, 1);
    const stale = await caught(env.client.request('PUT', scalePath, { body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'db', namespace: ns, resourceVersion: s.metadata.resourceVersion }, spec: { replicas: 3 } } }));
    assert.equal(stale.kind, 'conflict');
    await eventually(async () => assert.equal((await env.client.request<KubeObject>('GET', `/apis/apps/v1/namespaces/${ns}/statefulsets/db`)).status?.readyReplicas, 1));
  });

  it('serves the other kinds (DaemonSet pods, Ingress, PVC) and rejects bad names with 422', async () => {
    await env.client.request('POST', `/apis/apps/v1/namespaces/${ns}/daemonsets`, { body: { ...deploymentManifest('agent', ns), kind: 'DaemonSet' } });
    await eventually(async () => assert.equal((await env.client.request<KubeObject>('GET', `/apis/apps/v1/namespaces/${ns}/daemonsets/agent`)).status?.numberReady, 1));
    await env.client.request('POST', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`, { body: { metadata: { name: 'web' }, spec: { rules: [{ host: 'web.lan' }] } } });
    await env.client.request('POST', `/api/v1/namespaces/${ns}/persistentvolumeclaims`, { body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } });
    const e = await caught(env.client.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { metadata: { name: 'Bad_Name' } } }));
    assert.equal(e.kind, 'invalid');
    assert.match(e.message, /metadata\.name/);
  });

  it('deleting a Deployment garbage-collects its ReplicaSets and Pods; a broken image never gets ready', async () => {
    await env.client.request('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body: deploymentManifest('broken', ns, 1, 'nginx:broken') });
    await eventually(async () => {
      const d = await env.client.request<KubeObject>('GET', `/apis/apps/v1/namespaces/${ns}/deployments/broken`);
      assert.ok(d.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Progressing' && c.status === 'False'));
    });
    await env.client.request('DELETE', `/apis/apps/v1/namespaces/${ns}/deployments/broken`);
    await eventually(async () => {
      const rs = await env.client.request<KubeList>('GET', `/apis/apps/v1/namespaces/${ns}/replicasets`);
      const pods = await env.client.request<KubeList>('GET', `/api/v1/namespaces/${ns}/pods`, { query: { labelSelector: 'app=broken' } });
      assert.equal(rs.items.filter((r) => r.metadata.name.startsWith('broken-')).length + pods.items.length, 0);
    });
  });

  it('auth modes are configurable: tokens off, client certificates off', async () => {
    const s = await startK8sServer({ tokens: [], clientCertAuth: false, controller: false });
    try {
      const tok = new KubeClient({ context: 't', server: s.url, namespace: 'default', caPem: s.caPem, token: 'anything' });
      assert.equal((await caught(tok.request('GET', '/api/v1/namespaces'))).kind, 'unauthorized');
      const cert = new KubeClient({ context: 'c', server: s.url, namespace: 'default', caPem: s.caPem, clientCertPem: s.clientCertPem, clientKeyPem: s.clientKeyPem });
      assert.equal((await caught(cert.request('GET', '/api/v1/namespaces'))).kind, 'unauthorized');
      tok.close(); cert.close();
    } finally { await s.close(); }
  });

  it('namespace deletion terminates, removes the contents, then the namespace', async () => {
    await env.client.request('POST', '/api/v1/namespaces', { body: { metadata: { name: `${ns}-tmp` } } });
    await env.client.request('POST', `/api/v1/namespaces/${ns}-tmp/configmaps`, { body: { metadata: { name: 'c' } } });
    const term = await env.client.request<KubeObject>('DELETE', `/api/v1/namespaces/${ns}-tmp`);
    assert.equal(term.status?.phase, 'Terminating');
    await eventually(async () => assert.equal((await caught(env.client.request('GET', `/api/v1/namespaces/${ns}-tmp`))).kind, 'notFound'));
    assert.equal(env.server!.store.get('configmaps', `${ns}-tmp`, 'c'), undefined);
  });
}));
