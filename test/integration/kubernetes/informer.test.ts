import assert from 'node:assert/strict';
import { deploymentManifest, eventually, onTestServerOnly, setupEnv, sleep, TestEnv } from './env';
import { Informer, InformerBatch, InformerSet } from '../../../src/providers/kubernetes/informer';
import { KubeError } from '../../../src/providers/kubernetes/errors';
import { KubeObject, summarize } from '../../../src/providers/kubernetes/resources';

function recorder() {
  const batches: InformerBatch[] = [];
  const errors: { err: KubeError; ms: number }[] = [];
  const names = (pick: (b: InformerBatch) => KubeObject[]) => batches.flatMap((b) => pick(b).map((o) => o.metadata.name));
  return { batches, errors, names, onBatch: (b: InformerBatch) => batches.push(b), onError: (err: KubeError, ms: number) => errors.push({ err, ms }) };
}

const cm = (name: string, ns: string, v = '1') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { v } });

describe('kubernetes informer', function () {
  let env: TestEnv;
  const informers: Informer[] = [];
  before(async () => { env = await setupEnv(); });
  after(async () => { informers.forEach((i) => i.stop()); await env.close(); });
  afterEach(() => { informers.splice(0).forEach((i) => i.stop()); });

  function start(rec: ReturnType<typeof recorder>, extra: Partial<ConstructorParameters<typeof Informer>[0]> = {}): Informer {
    const inf = new Informer({ client: env.client, kind: 'configmaps', namespace: env.namespace, backoff: { initialMs: 100, maxMs: 400 }, onBatch: rec.onBatch, onError: rec.onError, ...extra });
    informers.push(inf);
    inf.start();
    return inf;
  }

  it('lists existing objects first, then delivers a change made by another client through the watch', async () => {
    await env.other.request('POST', `/api/v1/namespaces/${env.namespace}/configmaps`, { body: cm('before', env.namespace) });
    const rec = recorder();
    const inf = start(rec);
    await inf.waitForSync();
    await eventually(() => assert.ok(rec.names((b) => b.added).includes('before')));
    assert.equal(rec.batches[0].relisted, true);
    await env.other.request('PATCH', `/api/v1/namespaces/${env.namespace}/configmaps/before`, { body: { data: { v: '2' } }, contentType: 'application/merge-patch+json' });
    await eventually(() => assert.ok(rec.batches.some((b) => !b.relisted && b.modified.some((o) => o.metadata.name === 'before' && o.data?.v === '2'))));
    await env.other.request('DELETE', `/api/v1/namespaces/${env.namespace}/configmaps/before`);
    await eventually(() => assert.ok(rec.names((b) => b.deleted).includes('before')));
    assert.equal(inf.get('before', env.namespace), undefined);
  });

  onTestServerOnly(() => {
    it('[test server only] an object changed in the store reaches the callback without any list request', async () => {
      const rec = recorder();
      const inf = start(rec);
      await inf.waitForSync();
      await sleep(100);
      const lists = env.server!.requestCounts.list;
      env.server!.store.create('configmaps', cm('from-store', env.namespace));
      env.server!.store.modify('configmaps', env.namespace, 'from-store', (o) => { (o.data as Record<string, string>).v = 'changed'; });
      await eventually(() => assert.equal(inf.get('from-store', env.namespace)?.data?.v, 'changed'));
      assert.equal(env.server!.requestCounts.list, lists, 'no list was needed');
    });

    it('[test server only] batches changes made within the window into one callback', async () => {
      const rec = recorder();
      const inf = start(rec, { batchMs: 150 });
      await inf.waitForSync();
      await sleep(200);
      const before = rec.batches.length;
      for (let i = 0; i < 5; i++) env.server!.store.create('configmaps', cm(`batch-${i}`, env.namespace));
      env.server!.store.modify('configmaps', env.namespace, 'batch-0', (o) => { (o.data as Record<string, string>).v = 'x'; });
      env.server!.store.delete('configmaps', env.namespace, 'batch-4');
      await eventually(() => assert.ok(rec.batches.length > before));
      await sleep(300);
      const batch = rec.batches.slice(before);
      assert.equal(batch.length, 1, 'one callback for the burst');
      // added then modified collapses to added; added then deleted disappears
      assert.deepEqual(batch[0].added.map((o) => o.metadata.name).sort(), ['batch-0', 'batch-1', 'batch-2', 'batch-3']);
      assert.equal(batch[0].added.find((o) => o.metadata.name === 'batch-0')?.data?.v, 'x');
      assert.equal(batch[0].deleted.length, 0);
      for (let i = 0; i < 4; i++) env.server!.store.delete('configmaps', env.namespace, `batch-${i}`);
    });

    it('[test server only] recovers from a watch cut mid-stream by re-watching from its resourceVersion (no relist)', async () => {
      const rec = recorder();
      const inf = start(rec);
      await inf.waitForSync();
      await sleep(100);
      const lists = env.server!.requestCounts.list;
      const watches = env.server!.requestCounts.watch;
      assert.ok(env.server!.cutWatches() >= 1, 'a watch was open');
      env.server!.store.create('configmaps', cm('while-cut', env.namespace));
      await eventually(() => assert.ok(inf.get('while-cut', env.namespace)));
      assert.ok(rec.errors.length >= 1 && rec.errors[0].err.kind === 'unreachable', 'the cut was reported');
      assert.ok(env.server!.requestCounts.watch > watches, 'watched again');
      assert.equal(env.server!.requestCounts.list, lists, 'resumed without a list');
      assert.equal(inf.state, 'watching');
    });

    it('[test server only] relists after 410 Gone and reports what changed meanwhile', async () => {
      env.server!.store.create('configmaps', cm('stays', env.namespace));
      env.server!.store.create('configmaps', cm('goes', env.namespace));
      const rec = recorder();
      const inf = start(rec, { backoff: { initialMs: 300, maxMs: 300 } });
      await inf.waitForSync();
      await eventually(() => assert.ok(inf.get('goes', env.namespace)));
      await eventually(() => assert.ok(env.server!.openWatches() >= 1, 'watching'));
      const lists = env.server!.requestCounts.list;
      env.server!.expireHistory({ cutWatches: true });
      // while disconnected: one deletion, one modification — then history is expired again
      env.server!.store.delete('configmaps', env.namespace, 'goes');
      env.server!.store.modify('configmaps', env.namespace, 'stays', (o) => { (o.data as Record<string, string>).v = 'new'; });
      env.server!.store.expireHistory();
      await eventually(() => assert.ok(env.server!.requestCounts.list > lists, `relisted; errors: ${rec.errors.map((e) => e.err.message).join(' | ')} state ${inf.state} rv ${inf.resourceVersion} compacted ${env.server!.store.compactedRv}`));
      await eventually(() => {
        const relist = rec.batches.filter((b) => b.relisted).slice(-1)[0];
        assert.ok(relist && rec.batches.indexOf(relist) > 0);
        assert.deepEqual(relist.deleted.map((o) => o.metadata.name), ['goes']);
        assert.deepEqual(relist.modified.map((o) => o.metadata.name), ['stays']);
      });
      assert.ok(rec.errors.some((e) => e.err.kind === 'unreachable'), 'the cut was seen before the 410');
      assert.equal(inf.get('stays', env.namespace)?.data?.v, 'new');
      assert.equal(inf.get('goes', env.namespace), undefined);
    });

    it('[test server only] an expired resourceVersion answered with HTTP 410 also causes a relist', async () => {
      const env2 = await setupEnv({ goneAs: 'status' });
      try {
        const rec = recorder();
        const inf = new Informer({ client: env2.client, kind: 'configmaps', namespace: env2.namespace, backoff: { initialMs: 300, maxMs: 300 }, onBatch: rec.onBatch, onError: rec.onError });
        informers.push(inf);
        inf.start();
        await inf.waitForSync();
        await sleep(100);
        const lists = env2.server!.requestCounts.list;
        env2.server!.store.create('configmaps', cm('late', env2.namespace));
        env2.server!.expireHistory({ cutWatches: true });
        await eventually(() => assert.ok(inf.get('late', env2.namespace)));
        assert.equal(env2.server!.requestCounts.list, lists + 1);
        inf.stop();
      } finally { await env2.close(); }
    });

    it('[test server only] retries with exponential backoff while access is forbidden, then recovers', async () => {
      const rec = recorder();
      env.server!.forbidNamespace(env.namespace);
      const inf = start(rec, { backoff: { initialMs: 50, maxMs: 400 } });
      await eventually(() => assert.ok(rec.errors.length >= 4));
      assert.equal(rec.errors[0].err.kind, 'forbidden');
      assert.match(rec.errors[0].err.message, new RegExp(env.namespace));
      const delays = rec.errors.map((e) => e.ms);
      assert.ok(delays[2] > delays[0] * 2.5, `backoff grows: ${delays.join(', ')}`);
      assert.ok(delays.every((d) => d <= 400 * 1.2), 'capped');
      env.server!.allowNamespace(env.namespace);
      env.server!.store.create('configmaps', cm('after-forbidden', env.namespace));
      await eventually(() => assert.ok(inf.get('after-forbidden', env.namespace)));
    });

    it('[test server only] steady state makes zero list requests (no polling) over 3 seconds', async () => {
      const rec = recorder();
      const inf = start(rec);
      const pods = new Informer({ client: env.client, kind: 'pods', namespace: env.namespace, onBatch: () => undefined });
      informers.push(pods);
      pods.start();
      await inf.waitForSync(); await pods.waitForSync();
      await sleep(200);
      const lists = env.server!.requestCounts.list;
      const watches = env.server!.requestCounts.watch;
      await sleep(3000);
      assert.equal(env.server!.requestCounts.list - lists, 0, 'lists in steady state');
      assert.equal(env.server!.requestCounts.watch - watches, 0, 'new watches in steady state');
    });

    it('[test server only] a watch ended by its server-side timeout resumes from its resourceVersion at once: no list, no error', async () => {
      const rec = recorder();
      const inf = start(rec, { watchTimeoutSeconds: 1 });
      await inf.waitForSync();
      const lists = env.server!.requestCounts.list;
      const watches = env.server!.requestCounts.watch;
      await sleep(2600);
      assert.ok(env.server!.requestCounts.watch - watches >= 2, 'watched again after each timeout');
      assert.equal(env.server!.requestCounts.list, lists, 'no list');
      assert.deepEqual(rec.errors.map((e) => e.err.message), []);
      assert.equal(inf.state, 'watching');
      env.server!.store.create('configmaps', cm('after-timeouts', env.namespace));
      await eventually(() => assert.ok(inf.get('after-timeouts', env.namespace)));
    });

    it('[test server only] stop then start resumes the watch from the cached resourceVersion without a list', async () => {
      const rec = recorder();
      const inf = start(rec);
      await inf.waitForSync();
      await sleep(100);
      inf.stop();
      assert.equal(inf.state, 'stopped');
      const lists = env.server!.requestCounts.list;
      env.server!.store.create('configmaps', cm('while-stopped', env.namespace));
      inf.start();
      await eventually(() => assert.ok(inf.get('while-stopped', env.namespace)));
      assert.equal(env.server!.requestCounts.list, lists);
    });

    it('[test server only] lists in pages and then watches from the list\'s resourceVersion', async () => {
      for (let i = 0; i < 7; i++) env.server!.store.create('configmaps', cm(`paged-${i}`, env.namespace));
      const lists = env.server!.requestCounts.list;
      const rec = recorder();
      const inf = start(rec, { pageSize: 3 });
      await inf.waitForSync();
      assert.ok(inf.list().filter((o) => o.metadata.name.startsWith('paged-')).length === 7);
      assert.equal(env.server!.requestCounts.list - lists, Math.ceil(inf.list().length / 3), 'one request per page');
      env.server!.store.create('configmaps', cm('paged-late', env.namespace));
      await eventually(() => assert.ok(inf.get('paged-late', env.namespace)));
      for (const o of inf.list()) if (o.metadata.name.startsWith('paged-')) env.server!.store.delete('configmaps', env.namespace, o.metadata.name);
    });

    it('[test server only] a failing rollout reaches the summary through the informer', async () => {
      const rec = recorder();
      const inf = new Informer({ client: env.client, kind: 'deployments', namespace: env.namespace, onBatch: rec.onBatch });
      informers.push(inf);
      inf.start();
      await inf.waitForSync();
      await env.other.request('POST', `/apis/apps/v1/namespaces/${env.namespace}/deployments`, { body: deploymentManifest('bad-image', env.namespace, 2, 'ghcr.io/x/y:broken') });
      await eventually(() => {
        const s = summarize('deployments', inf.get('bad-image', env.namespace)!);
        assert.equal(s.health, 'failing');
        assert.equal(s.description, '0/2 ready · ProgressDeadlineExceeded');
      });
    });

    it('[test server only] InformerSet watches only the wanted kinds', async () => {
      const seen: string[] = [];
      const set = new InformerSet(env.client, { onBatch: (k) => seen.push(k.kind) });
      await sleep(50);
      const open = env.server!.openWatches();
      set.setWanted([{ kind: 'configmaps', namespace: env.namespace }, { kind: 'pods', namespace: env.namespace }]);
      await eventually(() => assert.equal(env.server!.openWatches(), open + 2));
      set.setWanted([{ kind: 'pods', namespace: env.namespace }]);
      await eventually(() => assert.equal(env.server!.openWatches(), open + 1));
      assert.deepEqual(set.activeKeys(), [`pods@${env.namespace}`]);
      set.stopAll();
      await eventually(() => assert.equal(env.server!.openWatches(), open));
      assert.ok(seen.includes('configmaps'));
    });
  });
});
