import assert from 'node:assert/strict';
import { deploymentManifest, onTestServerOnly, requireContainers, setupEnv, TestEnv } from './env';
import { restart } from '../../../src/providers/kubernetes/actions';
import { isKubeError } from '../../../src/providers/kubernetes/errors';
import { KubeObject } from '../../../src/providers/kubernetes/resources';
import { isRolloutError, RolloutStatus, setImage, templateImages, waitForRollout } from '../../../src/providers/kubernetes/rollout';

const PAUSE = process.env.HOMELAB_TEST_PAUSE_IMAGE || 'registry.k8s.io/pause:3.9';

describe('kubernetes rollout (waitForRollout, setImage)', function () {
  this.timeout(120_000);
  let env: TestEnv;
  let ns: string;
  before(async () => { env = await setupEnv(); ns = env.namespace; });
  after(async () => { await env.close(); });

  const create = (name: string, replicas = 2, image = PAUSE) => env.client.request<KubeObject>('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body: deploymentManifest(name, ns, replicas, image) });

  it('follows a new Deployment to the end by watch, reporting progress', async function () {
    await create('web');
    await requireContainers(this, env);
    const seen: RolloutStatus[] = [];
    const lists = env.server?.requestCounts.list;
    const final = await waitForRollout(env.client, ns, 'deployments', 'web', { onProgress: (s) => seen.push(s) });
    assert.equal(final.done, true);
    assert.equal(final.available, 2);
    assert.ok(seen.length >= 1 && seen.at(-1)!.done);
    if (env.server) assert.equal(env.server.requestCounts.list, lists, 'no list: a GET and a watch');
  });

  it('set image refuses a missing container and a malformed image before any patch', async () => {
    const patches = env.server?.requestCounts.patch;
    await assert.rejects(setImage(env.client, ns, 'deployments', 'web', 'nope', 'nginx:1'), (e: unknown) => isKubeError(e, 'invalid') && /no container "nope"/.test((e as Error).message));
    for (const bad of ['', 'has space:1', 'nginx:', 'UPPER/Repo:1', 'x'.repeat(600)]) {
      await assert.rejects(setImage(env.client, ns, 'deployments', 'web', 'main', bad), (e: unknown) => isKubeError(e, 'invalid'), bad);
    }
    if (env.server) assert.equal(env.server.requestCounts.patch, patches);
  });

  it('a missing Deployment is reported as deleted', async () => {
    await assert.rejects(waitForRollout(env.client, ns, 'deployments', 'absent'), (e: unknown) => isRolloutError(e) && e.reason === 'Deleted');
  });

  it('aborting stops the wait', async () => {
    await create('slow', 1);
    const ac = new AbortController();
    const p = waitForRollout(env.client, ns, 'deployments', 'slow', { signal: ac.signal, onProgress: (s) => { if (!s.done) ac.abort(); } });
    await assert.rejects(p, (e: unknown) => (e as Error).name === 'AbortError' && !isRolloutError(e));
  });

  it('restart (restartedAt) is followed to the end', async function () {
    await requireContainers(this, env);
    await waitForRollout(env.client, ns, 'deployments', 'web');
    await restart(env.client, 'deployments', ns, 'web');
    const final = await waitForRollout(env.client, ns, 'deployments', 'web');
    assert.equal(final.done, true);
  });

  it('the object deleted mid-rollout ends the wait', async () => {
    await create('gone', 1, 'x/y:broken');
    const p = waitForRollout(env.client, ns, 'deployments', 'gone', { onProgress: () => { void env.other.request('DELETE', `/apis/apps/v1/namespaces/${ns}/deployments/gone`).catch(() => undefined); } });
    await assert.rejects(p, (e: unknown) => isRolloutError(e) && (e.reason === 'Deleted' || e.reason === 'ProgressDeadlineExceeded'));
  });

  it('gives up after timeoutMs', async () => {
    await create('stuck', 1, 'x/y:broken');
    await assert.rejects(waitForRollout(env.client, ns, 'deployments', 'stuck', { timeoutMs: 50 }), (e: unknown) => isRolloutError(e) && e.reason === 'Timeout');
  });

  it('a Deployment that makes no progress ends with ProgressDeadlineExceeded (the controller\'s own deadline)', async () => {
    const body = deploymentManifest('nowhere', ns, 1, 'registry.invalid/none/such:broken') as ReturnType<typeof deploymentManifest> & { spec: { progressDeadlineSeconds?: number } };
    body.spec.progressDeadlineSeconds = 5;
    await env.client.request('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body });
    const seen: string[] = [];
    await assert.rejects(waitForRollout(env.client, ns, 'deployments', 'nowhere', { timeoutMs: 90_000, onProgress: (s) => seen.push(s.message) }),
      (e: unknown) => isRolloutError(e) && e.reason === 'ProgressDeadlineExceeded' && !!e.last);
    assert.ok(seen.length >= 1);
  });

  onTestServerOnly(() => {
    it('set image: patches one container and the rollout is followed until the new pods are available', async () => {
      const obj = await setImage(env.client, ns, 'deployments', 'web', 'main', 'registry.k8s.io/pause:3.10');
      assert.equal(templateImages(obj)[0].image, 'registry.k8s.io/pause:3.10');
      const final = await waitForRollout(env.client, ns, 'deployments', 'web');
      assert.equal(final.updated, 2);
      assert.equal(final.old, 0);
      assert.equal(final.available, 2);
    });

    it('a :broken image ends with ProgressDeadlineExceeded', async () => {
      await waitForRollout(env.client, ns, 'deployments', 'web');
      await setImage(env.client, ns, 'deployments', 'web', 'main', 'ghcr.io/example/app:broken');
      await assert.rejects(waitForRollout(env.client, ns, 'deployments', 'web'), (e: unknown) => isRolloutError(e) && e.reason === 'ProgressDeadlineExceeded' && /timed out progressing/.test((e as Error).message));
    });

    it('a cut watch is resumed', async () => {
      await setImage(env.client, ns, 'deployments', 'web', 'main', 'registry.k8s.io/pause:3.9');
      let cut = false;
      const final = await waitForRollout(env.client, ns, 'deployments', 'web', { onProgress: () => { if (!cut) { cut = true; env.server!.cutWatches(); } } });
      assert.equal(final.done, true);
    });

    it('a StatefulSet scaled up is followed', async () => {
      await env.client.request('POST', `/apis/apps/v1/namespaces/${ns}/statefulsets`, { body: { metadata: { name: 'db', namespace: ns }, spec: { replicas: 1, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'pg', image: 'postgres:15' }] } } } } });
      const s = await waitForRollout(env.client, ns, 'statefulsets', 'db', { timeoutMs: 20_000 });
      assert.equal(s.ready, 1);
    });

  });
});
