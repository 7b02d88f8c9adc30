// Nodes: cordon/uncordon and drain through the Eviction API. The eviction semantics (a
// PodDisruptionBudget refuses with 429, the pod stays; an allowed eviction deletes it) run against
// a real cluster too (HOMELAB_TEST_KUBECONFIG, when it has a Ready node); the drain of a whole
// node uses a Node object of the test server.
import { strict as assert } from 'node:assert';
import { drainNode, setUnschedulable } from '../../../src/providers/kubernetes/nodes';
import { isKubeError } from '../../../src/providers/kubernetes/errors';
import type { KubeObject } from '../../../src/providers/kubernetes/resources';
import { eventually, onTestServerOnly, requireContainers, setupEnv, type TestEnv } from './env';

const PAUSE = process.env.HOMELAB_TEST_PAUSE_IMAGE || 'registry.k8s.io/pause:3.9';

describe('kubernetes nodes: eviction, PodDisruptionBudgets, cordon and drain', function () {
  this.timeout(60_000);
  let env: TestEnv;
  before(async () => { env = await setupEnv(); });
  after(async () => { await env?.close(); });

  const podBody = (name: string, labels: Record<string, string>, nodeName?: string) => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: env.namespace, labels },
    spec: { ...(nodeName ? { nodeName } : {}), terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: PAUSE }] },
  });
  const ready = (p: KubeObject) => (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
  const evict = (name: string) => env.client.request('POST', `/api/v1/namespaces/${env.namespace}/pods/${name}/eviction`, { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: env.namespace } } });

  it('an eviction a PodDisruptionBudget does not allow is refused with 429 and the pod stays; one it allows deletes the pod', async function () {
    await requireContainers(this, env);
    for (const n of ['db-0', 'db-1']) await env.client.request('POST', `/api/v1/namespaces/${env.namespace}/pods`, { body: podBody(n, { app: 'db' }) });
    await env.client.request('POST', `/apis/policy/v1/namespaces/${env.namespace}/poddisruptionbudgets`, { body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'db' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'db' } } } } });
    await eventually(async () => {
      const pods = (await env.client.request<{ items: KubeObject[] }>('GET', `/api/v1/namespaces/${env.namespace}/pods`, { query: { labelSelector: 'app=db' } })).items;
      assert.equal(pods.filter(ready).length, 2);
    }, 30_000);
    await evict('db-0'); // one of two may go
    await assert.rejects(evict('db-1'), (e) => isKubeError(e) && e.httpStatus === 429 && /disruption budget/i.test(e.message));
    await env.client.request('GET', `/api/v1/namespaces/${env.namespace}/pods/db-1`);
    await assert.rejects(evict('nope'), (e) => isKubeError(e, 'notFound'));
  });

  onTestServerOnly(() => {
    it('drain: cordons, evicts what the budgets allow, leaves DaemonSet pods, reports what could not be evicted; uncordon', async () => {
      const store = env.server!.store;
      store.create('nodes', { metadata: { name: 'k3s-server', labels: { 'kubernetes.io/hostname': 'k3s-server' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
      const c = env.client;
      const post = (b: unknown) => c.request('POST', `/api/v1/namespaces/${env.namespace}/pods`, { body: b });
      await post(podBody('web-a', { app: 'web' }, 'k3s-server'));
      await post(podBody('web-b', { app: 'web' }, 'k3s-server'));
      await post(podBody('free', { app: 'free' }, 'k3s-server'));
      await post(podBody('elsewhere', { app: 'free' }, 'w2'));
      // A DaemonSet: the test server's controller runs its pod on the node "k3s-server", drained below.
      await c.request<KubeObject>('POST', `/apis/apps/v1/namespaces/${env.namespace}/daemonsets`, { body: { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: PAUSE }] } } } } });
      await eventually(() => assert.equal(store.list('pods', env.namespace).filter((p) => (p.metadata.labels as Record<string, string> | undefined)?.app === 'agent').length, 1));
      const agent = store.list('pods', env.namespace).find((p) => (p.metadata.labels as Record<string, string> | undefined)?.app === 'agent')!.metadata.name;
      await c.request('POST', `/apis/policy/v1/namespaces/${env.namespace}/poddisruptionbudgets`, { body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { minAvailable: '100%', selector: { matchLabels: { app: 'web' } } } } });
      await eventually(() => assert.ok(store.list('pods', env.namespace).every((p) => ready(p as KubeObject))), 10_000);
      const seen: string[] = [];
      const t0 = Date.now();
      const r = await drainNode(c, 'k3s-server', { timeoutMs: 800, retryMs: 100, onPod: (pod, state) => seen.push(`${pod} ${state}`) });
      assert.ok(Date.now() - t0 < 5000, 'the timeout bounds the drain');
      assert.deepEqual(r.evicted, [`${env.namespace}/free`]);
      assert.deepEqual(r.notEvicted.map((p) => p.pod).sort(), [`${env.namespace}/web-a`, `${env.namespace}/web-b`]);
      assert.match(r.notEvicted[0].why, /disruption budget/);
      assert.deepEqual(r.skipped, [{ pod: `${env.namespace}/${agent}`, why: 'managed by a DaemonSet' }]);
      assert.deepEqual(r.stillTerminating, []);
      assert.ok(seen.filter((s) => s.endsWith('blocked')).length >= 4, 'refusals were retried');
      assert.deepEqual(store.list('pods', env.namespace).map((p) => p.metadata.name).filter((n) => !n.startsWith('db-')).sort(), [agent, 'elsewhere', 'web-a', 'web-b']);
      assert.equal((store.get('nodes', undefined, 'k3s-server') as KubeObject).spec?.unschedulable, true);
      // Two budgets on one pod: the API refuses (500), the drain reports the error.
      await c.request('POST', `/apis/policy/v1/namespaces/${env.namespace}/poddisruptionbudgets`, { body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web2' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } } } });
      await assert.rejects(evict('web-a'), (e) => isKubeError(e) && e.httpStatus === 500 && /more than one PodDisruptionBudget/.test(e.message));
      await setUnschedulable(c, 'k3s-server', false);
      assert.equal((store.get('nodes', undefined, 'k3s-server') as KubeObject).spec?.unschedulable, undefined);
    });
  });
});
