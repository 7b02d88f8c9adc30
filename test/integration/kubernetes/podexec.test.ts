// podExec (src/providers/kubernetes/podexec.ts): a command's streams over the exec WebSocket as Node
// streams. On the test server the pod is bound to local processes (bindExec: the REAL command runs
// here); on a real cluster (HOMELAB_TEST_KUBECONFIG) a busybox pod runs them. Also the test server's
// bound exec itself: cut streams, kill on close, v4, and claims of a provisioned class binding.
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { eventually, onTestServerOnly, requireContainers, setupEnv, sleep, TestEnv } from './env';
import { podExec, type PodExec } from '../../../src/providers/kubernetes/podexec';
import { isKubeError } from '../../../src/providers/kubernetes/errors';
import type { KubeObject } from '../../../src/providers/kubernetes/resources';

const BUSYBOX = process.env.HOMELAB_TEST_BUSYBOX_IMAGE || 'busybox:1.36';
const POD = 'pg-exec-0';

/** 10 MB in which every byte value occurs, in a pattern that is not periodic at frame sizes. */
function allBytes(size: number): Buffer {
  const b = Buffer.alloc(size);
  const seed = randomBytes(4096);
  for (let i = 0; i < size; i++) b[i] = (i + seed[i % 4096] + (i >> 12)) & 0xff;
  for (let v = 0; v < 256; v++) b[v] = v;
  return b;
}

class Collect extends Writable {
  chunks: Buffer[] = [];
  constructor(private readonly delayMs = 0) { super({ highWaterMark: 64 * 1024 }); }
  override _write(c: Buffer, _e: BufferEncoding, cb: () => void): void { this.chunks.push(c); if (this.delayMs) setTimeout(cb, this.delayMs); else cb(); }
  get data(): Buffer { return Buffer.concat(this.chunks); }
}

async function podReady(env: TestEnv, name: string): Promise<void> {
  await env.client.request<KubeObject>('POST', `/api/v1/namespaces/${env.namespace}/pods`, { body: {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: env.namespace },
    spec: { containers: [{ name: 'main', image: BUSYBOX, command: ['sleep', '3600'] }], terminationGracePeriodSeconds: 1 },
  } });
  await eventually(async () => {
    const p = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${env.namespace}/pods/${name}`);
    assert.equal(p.status?.phase, 'Running');
  }, 120_000, 200);
}

describe('kubernetes podExec (streams over the exec WebSocket)', function () {
  this.timeout(180_000);
  let env: TestEnv;
  let run: PodExec;
  before(async function () {
    env = await setupEnv();
    await requireContainers(this as unknown as Mocha.Context, env);
    env.server?.bindExec(env.namespace, 'pg-', { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, cwd: env.tmp });
    await podReady(env, POD);
    run = podExec(env.client, env.namespace, POD, 'main');
  });
  after(async () => { await env?.close(); });

  it('round-trips 10 MB holding all 256 byte values through cat, binary-safe, stdin ended', async () => {
    const data = allBytes(10 * 1024 * 1024);
    const out = new Collect();
    const r = await run(['cat'], { stdin: Readable.from([data.subarray(0, 3_000_000), data.subarray(3_000_000)]), stdout: out });
    assert.equal(r.exitCode, 0);
    assert.equal(out.data.length, data.length);
    assert.equal(createHash('sha256').update(out.data).digest('hex'), createHash('sha256').update(data).digest('hex'));
  });

  it('a slow destination is honoured (backpressure) and still gets every byte', async () => {
    const data = allBytes(4 * 1024 * 1024);
    const out = new Collect(2);
    const r = await run(['cat'], { stdin: Readable.from([data]), stdout: out });
    assert.equal(r.exitCode, 0);
    assert.equal(out.data.length, data.length);
    assert.ok(out.data.equals(data), `first difference at ${out.data.findIndex((b, i) => b !== data[i])}`);
  });

  it('reports exit codes and keeps stderr (its tail when long)', async () => {
    assert.deepEqual(await run(['sh', '-c', 'exit 0'], {}), { exitCode: 0, stderr: '' });
    const r = await run(['sh', '-c', 'echo oops >&2; exit 3'], {});
    assert.equal(r.exitCode, 3);
    assert.equal(r.stderr, 'oops\n');
    const long = await run(['sh', '-c', 'i=0; while [ $i -lt 5000 ]; do echo "line $i of noise" >&2; i=$((i+1)); done; echo LAST >&2; exit 42'], {});
    assert.equal(long.exitCode, 42);
    assert.ok(long.stderr.length <= 16 * 1024, `stderr kept: ${long.stderr.length}`);
    assert.match(long.stderr, /LAST\n$/);
    assert.doesNotMatch(long.stderr, /line 0 of noise/);
  });

  it('a missing command is an error, not an exit code', async () => {
    await assert.rejects(run(['no-such-command-here'], {}), (e: Error) => /executable file not found|not found/.test(e.message));
  });

  it('an aborted run closes the stream and rejects with AbortError', async () => {
    const ac = new AbortController();
    const p = run(['sleep', '30'], { signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    const t = Date.now();
    await assert.rejects(p, (e: Error) => e.name === 'AbortError');
    assert.ok(Date.now() - t < 10_000);
  });

  onTestServerOnly(() => {
    it('[test server only] runs the REAL command here, with the binding\'s env and cwd', async () => {
      const out = new Collect();
      const r = await run(['sh', '-c', 'pwd; echo "$LC_ALL"; echo $$ > pid'], { stdout: out });
      assert.equal(r.exitCode, 0);
      assert.equal(out.data.toString(), `${env.tmp}\nC\n`);
      assert.ok(existsSync(join(env.tmp, 'pid')));
    });

    it('[test server only] a cut stream rejects (no exit status) and its process is killed', async () => {
      const out = new Collect();
      const p = run(['sh', '-c', 'echo $$ > cut.pid; while :; do head -c 65536 /dev/zero; done'], { stdout: out });
      await eventually(() => assert.ok(out.data.length > 100_000));
      const pid = Number(readFileSync(join(env.tmp, 'cut.pid'), 'utf8'));
      assert.equal(env.server!.cutExec('pg-'), 1);
      await assert.rejects(p, (e: Error) => isKubeError(e, 'unreachable') && /ended before the command reported an exit status/.test(e.message));
      await eventually(() => assert.throws(() => process.kill(pid, 0)), 5000);
      assert.equal(env.server!.openExecs(), 0);
    });

    it('[test server only] the process group is killed when the client closes the stream', async () => {
      const ac = new AbortController();
      const p = run(['sh', '-c', 'sleep 300 & echo $! > child.pid; wait'], { signal: ac.signal });
      await eventually(() => assert.ok(existsSync(join(env.tmp, 'child.pid')) && readFileSync(join(env.tmp, 'child.pid'), 'utf8').trim()));
      const child = Number(readFileSync(join(env.tmp, 'child.pid'), 'utf8'));
      ac.abort();
      await assert.rejects(p);
      await eventually(() => assert.throws(() => process.kill(child, 0)), 5000);
    });

    it('[test server only] as on a real node: stdin left unread holds the exit status back; reading it away gets the code', async () => {
      const big = Buffer.alloc(4 * 1024 * 1024, 7);
      const ac = new AbortController();
      const stuck = run(['sh', '-c', 'head -c 10 >/dev/null; exit 3'], { stdin: Readable.from([big]), signal: ac.signal });
      const first = await Promise.race([stuck.then(() => 'resolved', () => 'rejected'), sleep(1500).then(() => 'pending')]);
      assert.equal(first, 'pending');
      ac.abort();
      await assert.rejects(stuck, (e: Error) => e.name === 'AbortError');
      const drained = await run(['sh', '-c', 'head -c 10 >/dev/null; cat >/dev/null; exit 3'], { stdin: Readable.from([big]) });
      assert.equal(drained.exitCode, 3);
    });

    it('[test server only] v4: stdin ends by closing the stream, exit codes still come through while stdin is open', async () => {
      const v4 = podExec(env.client, env.namespace, POD, 'main', { protocols: ['v4.channel.k8s.io'] });
      const r = await v4(['sh', '-c', 'echo hi >&2; exit 5'], {});
      assert.deepEqual(r, { exitCode: 5, stderr: 'hi\n' });
      // no stdin end frame in v4: closing is the only way, so the command's status is lost
      await assert.rejects(v4(['cat'], { stdin: Readable.from([Buffer.from('abc')]), stdout: new Collect() }), /exit status/);
    });

    it('[test server only] claims of a provisioned class bind; other classes stay Pending', async () => {
      const ns = env.namespace;
      for (const [name, mode] of [['local-path', 'WaitForFirstConsumer'], ['nfs-csi', 'Immediate']]) {
        await env.client.request('POST', '/apis/storage.k8s.io/v1/storageclasses', { body: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: name === 'local-path' ? 'rancher.io/local-path' : 'nfs.csi.k8s.io', volumeBindingMode: mode } });
      }
      env.server!.provisionClass('local-path');
      const sts = (name: string, cls: string) => ({
        apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: ns },
        spec: { replicas: 1, serviceName: name, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'postgres', image: 'postgres:15' }] } },
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: cls, resources: { requests: { storage: '2Gi' } } } }] },
      });
      await env.client.request('POST', `/apis/apps/v1/namespaces/${ns}/statefulsets`, { body: sts('db', 'local-path') });
      await env.client.request('POST', `/apis/apps/v1/namespaces/${ns}/statefulsets`, { body: sts('other', 'nfs-csi') });
      const claim = await eventually(async () => {
        const c = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${ns}/persistentvolumeclaims/data-db-0`);
        assert.equal(c.status?.phase, 'Bound');
        return c;
      });
      const pvName = (claim.spec as { volumeName: string }).volumeName;
      const pv = await env.client.request<KubeObject>('GET', `/api/v1/persistentvolumes/${pvName}`);
      assert.equal(pv.status?.phase, 'Bound');
      assert.equal((pv.spec as { claimRef: { name: string } }).claimRef.name, 'data-db-0');
      assert.equal((pv.spec as { capacity: { storage: string } }).capacity.storage, '2Gi');
      await eventually(async () => assert.equal((await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${ns}/pods/db-0`)).status?.phase, 'Running'));
      await sleep(500);
      const pending = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${ns}/persistentvolumeclaims/data-other-0`);
      assert.equal(pending.status?.phase, 'Pending');
      const pod = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${ns}/pods/other-0`);
      assert.equal(pod.status?.phase, 'Pending');
      assert.match(JSON.stringify(pod.status), /unbound immediate PersistentVolumeClaims/);
      await env.client.request('DELETE', '/apis/storage.k8s.io/v1/storageclasses/local-path');
      await env.client.request('DELETE', '/apis/storage.k8s.io/v1/storageclasses/nfs-csi');
    });
  });
});

describe('kubernetes podExec without a pod', function () {
  this.timeout(60_000);
  it('a pod that does not exist is a notFound KubeError', async () => {
    const env = await setupEnv();
    try {
      await assert.rejects(podExec(env.client, env.namespace, 'nope', 'main')(['true'], {}), (e: unknown) => isKubeError(e, 'notFound'));
    } finally { await env.close(); }
  });
});
