import assert from 'node:assert/strict';
import { deploymentManifest, eventually, requireContainers, setupEnv, TestEnv } from './env';
import { restart, streamLogs } from '../../../src/providers/kubernetes/actions';
import { followWorkloadLogs, selectorString } from '../../../src/providers/kubernetes/app-logs';
import { isKubeError } from '../../../src/providers/kubernetes/errors';
import type { KubeList, KubeObject } from '../../../src/providers/kubernetes/resources';
import { waitForRollout } from '../../../src/providers/kubernetes/rollout';

const BUSYBOX = process.env.HOMELAB_TEST_BUSYBOX_IMAGE || 'busybox:1.36';

describe('logs of all pods of a workload (followWorkloadLogs)', function () {
  this.timeout(120_000);
  let env: TestEnv;
  let ns: string;
  before(async () => { env = await setupEnv(); ns = env.namespace; });
  after(async () => { await env.close(); });

  it('interleaves the pods\' lines with their names, and pods of a new rollout join', async function () {
    const d = deploymentManifest('chatty', ns, 2, BUSYBOX) as ReturnType<typeof deploymentManifest> & { spec: { template: { spec: { containers: Record<string, unknown>[]; terminationGracePeriodSeconds?: number } } } };
    // A terminating pod still logs (and is still followed) until it is gone: keep that short.
    d.spec.template.spec.terminationGracePeriodSeconds = 1;
    if (!env.server) d.spec.template.spec.containers[0].command = ['sh', '-c', 'echo "hello from $(hostname)"; while true; do sleep 3600; done'];
    const created = await env.client.request<KubeObject>('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body: d });
    await requireContainers(this, env);
    await waitForRollout(env.client, ns, 'deployments', 'chatty');
    const lines: string[] = [];
    const events: string[] = [];
    const logs = followWorkloadLogs(env.client, ns, created, { tailLines: 10, streamLogs, onLine: (pod, l) => lines.push(`[${pod}] ${l}`), onPod: (pod, ev) => events.push(`${ev} ${pod}`) });
    try {
      const podNames = async () => (await env.client.request<KubeList>('GET', `/api/v1/namespaces/${ns}/pods`, { query: { labelSelector: selectorString(created) } })).items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name).sort();
      const first = await podNames();
      assert.equal(first.length, 2);
      await eventually(() => { for (const p of first) assert.ok(lines.some((l) => l.startsWith(`[${p}] `)), `no line of ${p} in ${lines.join(' | ')}`); }, 30_000, 100);
      assert.deepEqual(logs.pods(), first);
      await restart(env.client, 'deployments', ns, 'chatty');
      await waitForRollout(env.client, ns, 'deployments', 'chatty');
      const second = await eventually(async () => { const n = await podNames(); assert.ok(n.every((p) => !first.includes(p)) && n.length === 2, n.join(',')); return n; }, 60_000, 200);
      await eventually(() => { for (const p of second) assert.ok(lines.some((l) => l.startsWith(`[${p}] `)), `no line of new pod ${p}`); }, 30_000, 100);
      await eventually(() => assert.deepEqual(logs.pods(), second), 60_000, 100);
      assert.ok(events.some((e) => e.startsWith('left ')), events.join(', '));
    } finally {
      logs.stop();
    }
    const n = lines.length;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(lines.length, n, 'nothing arrives after stop');
  });

  it('refuses a workload without matchLabels', () => {
    assert.throws(() => selectorString({ metadata: { name: 'x' }, spec: { selector: { matchExpressions: [] } } } as KubeObject), (e: unknown) => isKubeError(e, 'invalid'));
  });
});
