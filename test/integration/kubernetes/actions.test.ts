import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containersRun, deploymentManifest, eventually, NO_CONTAINERS, onTestServerOnly, requireContainers, setupEnv, TestEnv } from './env';
import { notRunRegistry } from '../../harness/not-run';
import { applyPath, exec, getYaml, remove, restart, RESTARTED_AT, scale, streamLogs } from '../../../src/providers/kubernetes/actions';
import { isKubeError, KubeError } from '../../../src/providers/kubernetes/errors';
import { KubeList, KubeObject } from '../../../src/providers/kubernetes/resources';

/** The image of the logging pod on a real cluster (busybox: sh, echo, cat). */
const BUSYBOX = process.env.HOMELAB_TEST_BUSYBOX_IMAGE || 'busybox:1.36';

async function rejects(p: Promise<unknown>, kind: KubeError['kind'], re?: RegExp): Promise<KubeError> {
  try { await p; } catch (e) {
    assert.ok(isKubeError(e), `expected KubeError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (re) assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected a ${kind} error`);
}

describe('kubernetes actions', function () {
  let env: TestEnv;
  let ns: string;
  before(async () => { env = await setupEnv(); ns = env.namespace; });
  after(async () => { await env.close(); });

  const deployPath = (name: string) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`;
  const podsOf = async (app: string) => (await env.client.request<KubeList>('GET', `/api/v1/namespaces/${ns}/pods`, { query: { labelSelector: `app=${app}` } })).items;
  const createDeployment = (name: string, replicas = 1) => env.client.request<KubeObject>('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body: deploymentManifest(name, ns, replicas) });

  describe('scale', () => {
    it('scales a deployment and its pods follow', async function () {
      this.timeout(120_000);
      await createDeployment('web');
      await requireContainers(this, env);
      assert.equal(await scale(env.client, 'deployments', ns, 'web', '3'), 3);
      await eventually(async () => {
        const d = await env.client.request<KubeObject>('GET', deployPath('web'));
        assert.equal(d.spec.replicas, 3);
        assert.equal(d.status?.readyReplicas, 3);
      }, 90_000, 200);
      assert.equal((await podsOf('web')).length, 3);
      await scale(env.client, 'deployments', ns, 'web', 0);
      await eventually(async () => assert.equal((await podsOf('web')).filter((p) => !p.metadata.deletionTimestamp).length, 0), 90_000, 200);
    });

    it('rejects bad replica counts before sending anything', async () => {
      const patches = env.server?.requestCounts.patch;
      for (const bad of ['-1', 'three', '2.5', '', 1001, -3]) await rejects(scale(env.client, 'deployments', ns, 'web', bad), 'invalid', /whole number/);
      if (env.server) assert.equal(env.server.requestCounts.patch, patches);
    });

    it('reports the API server\'s 422 for an invalid scale', async () => {
      const e = await rejects(env.client.request('PATCH', `${deployPath('web')}/scale`, { body: { spec: { replicas: -1 } }, contentType: 'application/merge-patch+json' }), 'invalid', /spec\.replicas/);
      assert.equal(e.httpStatus, 422);
    });

    it('reports a missing deployment as not found', async () => {
      await rejects(scale(env.client, 'deployments', ns, 'nope', 1), 'notFound', /nope/);
    });
  });

  describe('rollout restart', () => {
    it('stamps restartedAt on the pod template and the pods are replaced', async function () {
      this.timeout(120_000);
      await requireContainers(this, env);
      await createDeployment('api', 2);
      await eventually(async () => assert.equal((await env.client.request<KubeObject>('GET', deployPath('api'))).status?.readyReplicas, 2), 90_000, 200);
      const before = (await podsOf('api')).map((p) => p.metadata.name).sort();
      const when = new Date('2026-01-02T03:04:05Z');
      const d = await restart(env.client, 'deployments', ns, 'api', when);
      assert.equal(d.spec.template.metadata.annotations[RESTARTED_AT], when.toISOString());
      await eventually(async () => {
        const now = (await podsOf('api')).filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running').map((p) => p.metadata.name);
        assert.equal(now.length, 2);
        assert.ok(now.every((n) => !before.includes(n)), `new pod names: ${now.join(',')} vs ${before.join(',')}`);
      }, 90_000, 200);
    });

    it('refuses kinds that cannot be restarted', async () => {
      await rejects(restart(env.client, 'pods' as 'deployments', ns, 'x'), 'invalid');
    });
  });

  describe('delete and conflicts', () => {
    it('deletes an object; deleting it again is not found', async () => {
      await env.client.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { metadata: { name: 'gone' }, data: { a: 'b' } } });
      await remove(env.client, 'configmaps', ns, 'gone');
      await rejects(env.client.request('GET', `/api/v1/namespaces/${ns}/configmaps/gone`), 'notFound');
      await rejects(remove(env.client, 'configmaps', ns, 'gone'), 'notFound', /gone/);
    });

    it('reports a 409 conflict when another client changed the object first', async () => {
      const cm = await env.client.request<KubeObject>('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { metadata: { name: 'contended' }, data: { v: '1' } } });
      await env.other.request('PATCH', `/api/v1/namespaces/${ns}/configmaps/contended`, { body: { data: { v: 'other' } }, contentType: 'application/merge-patch+json' });
      cm.data = { v: 'mine' };
      const e = await rejects(env.client.request('PUT', `/api/v1/namespaces/${ns}/configmaps/contended`, { body: cm }), 'conflict', /changed by someone else/);
      assert.equal(e.httpStatus, 409);
      await rejects(remove(env.client, 'configmaps', ns, 'contended', { resourceVersion: cm.metadata.resourceVersion }), 'conflict');
    });

    it('reports creating an existing object as already exists', async () => {
      await rejects(env.client.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { metadata: { name: 'contended' } } }), 'alreadyExists', /already exists/);
    });
  });

  describe('apply', () => {
    let dir: string;
    const write = (file: string, text: string) => writeFileSync(join(dir, file), text);
    before(() => {
      dir = join(env.tmp, 'manifests');
      mkdirSync(dir, { recursive: true });
      write('a-config.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  mode: blue\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app\nspec:\n  selector:\n    app: app\n  ports:\n  - port: 80\n    targetPort: 8080\n`);
      write('b-deploy.yml', JSON.stringify(deploymentManifest('app', ns, 1)));
      write('notes.txt', 'not a manifest');
    });

    it('creates, then configures only what changed, then reports unchanged', async function () {
      this.timeout(60_000);
      const first = await applyPath(env.client, dir, { defaultNamespace: ns });
      assert.deepEqual(first.map((r) => `${r.kind}/${r.name}:${r.outcome}`), ['ConfigMap/app-config:created', 'Service/app:created', 'Deployment/app:created']);
      assert.ok(first.every((r) => r.namespace === ns));
      write('a-config.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  mode: green\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app\nspec:\n  selector:\n    app: app\n  ports:\n  - port: 80\n    targetPort: 8080\n`);
      const second = await applyPath(env.client, dir, { defaultNamespace: ns });
      assert.deepEqual(second.map((r) => r.outcome), ['configured', 'unchanged', 'unchanged']);
      const cm = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${ns}/configmaps/app-config`);
      assert.equal(cm.data?.mode, 'green');
      const third = await applyPath(env.client, dir, { defaultNamespace: ns });
      assert.deepEqual(third.map((r) => r.outcome), ['unchanged', 'unchanged', 'unchanged']);
    });

    it('removes a field dropped from the manifest (server-side apply ownership)', async () => {
      const f = join(env.tmp, 'labels.yaml');
      writeFileSync(f, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\n  labels:\n    keep: "1"\n    drop: "1"\ndata:\n  a: "1"\n`);
      await applyPath(env.client, f, { defaultNamespace: ns });
      writeFileSync(f, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\n  labels:\n    keep: "1"\ndata:\n  a: "1"\n`);
      const [r] = await applyPath(env.client, f, { defaultNamespace: ns });
      assert.equal(r.outcome, 'configured');
      const cm = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${ns}/configmaps/owned`);
      assert.deepEqual(cm.metadata.labels, { keep: '1' });
    });

    it('dry-run reports what would happen and changes nothing', async () => {
      const f = join(env.tmp, 'dry.yaml');
      writeFileSync(f, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  mode: red\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: brand-new\ndata:\n  x: "1"\n`);
      const before = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${ns}/configmaps/app-config`);
      const res = await applyPath(env.client, f, { defaultNamespace: ns, dryRun: true });
      assert.deepEqual(res.map((r) => r.outcome), ['configured', 'created']);
      const after = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${ns}/configmaps/app-config`);
      assert.equal(after.data?.mode, 'green');
      assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
      await rejects(env.client.request('GET', `/api/v1/namespaces/${ns}/configmaps/brand-new`), 'notFound');
    });

    it('reports per object failures without stopping the others, and rejects bad YAML naming the file', async () => {
      const f = join(env.tmp, 'mixed.yaml');
      writeFileSync(f, `apiVersion: v1\nkind: Gizmo\nmetadata:\n  name: g\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: BadName\nspec:\n  replicas: 1\n  selector: {matchLabels: {a: b}}\n  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: x}]}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n`);
      const res = await applyPath(env.client, f, { defaultNamespace: ns });
      assert.deepEqual(res.map((r) => r.outcome), ['failed', 'failed', 'created']);
      assert.match(res[0].error!.message, /Gizmo/);
      assert.equal(res[1].error!.kind, 'invalid');
      const bad = join(env.tmp, 'bad.yaml');
      writeFileSync(bad, 'kind: ConfigMap\n  metadata: [unclosed\n');
      await rejects(applyPath(env.client, bad), 'invalid', /bad\.yaml/);
    });
  });

  describe('getYaml', () => {
    it('redacts Secret values unless revealed', async () => {
      const value = 'hunter2-very-secret';
      await env.client.request('POST', `/api/v1/namespaces/${ns}/secrets`, { body: { metadata: { name: 'db' }, type: 'Opaque', data: { password: Buffer.from(value).toString('base64') } } });
      const hidden = await getYaml(env.client, 'secrets', ns, 'db');
      assert.match(hidden, /password: <redacted>/);
      assert.ok(!hidden.includes(Buffer.from(value).toString('base64')));
      assert.ok(!hidden.includes('managedFields'));
      const shown = await getYaml(env.client, 'secrets', ns, 'db', { reveal: true });
      assert.ok(shown.includes(Buffer.from(value).toString('base64')));
      const cmYaml = await getYaml(env.client, 'configmaps', ns, 'app-config');
      assert.match(cmYaml, /mode: green/);
    });
  });

  describe('logs and exec', () => {
    it('reports logs of a missing pod as not found', async () => {
      await rejects(streamLogs(env.client, ns, 'no-such-pod', { onLine: () => undefined }), 'notFound', /no-such-pod/);
    });

    // On the test server the "container" logs what the test appends; on a real cluster (a node with
    // busybox) the container prints five lines, and later lines are written to its stdout through exec.
    let pod: string;
    let containers = false;
    const logger = () => {
      const d = deploymentManifest('logger', ns, 1, BUSYBOX) as ReturnType<typeof deploymentManifest> & { spec: { template: { spec: { terminationGracePeriodSeconds?: number; containers: { command?: string[] }[] } } } };
      d.spec.template.spec.containers[0].command = ['sh', '-c', 'for i in 0 1 2 3 4; do echo "line $i"; done; trap "exit 0" TERM; while true; do sleep 1; done'];
      d.spec.template.spec.terminationGracePeriodSeconds = 1;
      return d;
    };
    const runningLogger = () => eventually(async () => {
      const p = (await podsOf('logger')).find((x) => x.status?.phase === 'Running' && !x.metadata.deletionTimestamp);
      assert.ok(p);
      return p.metadata.name;
    }, 90_000, 200);
    const appendLog = async (line: string) => {
      if (env.server) { env.server.store.appendLog(ns, pod, 'main', line); return; }
      const s = await exec(env.client, ns, pod, { command: ['sh', '-c', `echo "${line}" > /proc/1/fd/1`], onStdout: () => undefined });
      assert.deepEqual(await s.exit, { code: 0 });
    };
    before(async function () {
      this.timeout(120_000);
      containers = await containersRun(env);
      if (!containers) return;
      await env.client.request<KubeObject>('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body: logger() });
      pod = await runningLogger();
      if (env.server) for (let i = 0; i < 5; i++) env.server.store.appendLog(ns, pod, 'main', `line ${i}`);
      // A real container's first lines: wait until they are in its log.
      else await eventually(async () => { const all: string[] = []; await (await streamLogs(env.client, ns, pod, { onLine: (l) => all.push(l) })).done; assert.equal(all.length, 5); }, 30_000, 200);
    });
    beforeEach(function () {
      if (containers || !/^(tails|a log|rejects|exec)/.test(this.currentTest!.title)) return;
      notRunRegistry().set(this.currentTest!.fullTitle(), NO_CONTAINERS);
      this.skip();
    });

    it('tails and follows a pod log', async () => {
      const lines: string[] = [];
      const s = await streamLogs(env.client, ns, pod, { container: 'main', tailLines: 2, follow: true, onLine: (l) => lines.push(l) });
      await eventually(() => assert.deepEqual(lines, ['line 3', 'line 4']));
      await appendLog('line 5');
      await eventually(() => assert.deepEqual(lines, ['line 3', 'line 4', 'line 5']));
      s.stop();
      await s.done;
      const all: string[] = [];
      await (await streamLogs(env.client, ns, pod, { onLine: (l) => all.push(l) })).done;
      assert.ok(all.length >= 6 && all.at(-1) === 'line 5', all.join(' | '));
    });

    it('a log follow ends when the pod is deleted', async function () {
      this.timeout(120_000);
      const s = await streamLogs(env.client, ns, pod, { follow: true, onLine: () => undefined });
      if (env.server) env.server.store.delete('pods', ns, pod);
      else await env.client.request('DELETE', `/api/v1/namespaces/${ns}/pods/${pod}`);
      await s.done;
      pod = await runningLogger();
    });

    onTestServerOnly(() => {
      it('[test server only] a log follow cut by the network ends, delivering the lines so far', async () => {
        const lines: string[] = [];
        const s = await streamLogs(env.client, ns, pod, { follow: true, tailLines: 1, onLine: (l) => lines.push(l) });
        await eventually(() => assert.equal(lines.length, 1));
        env.server!.store.appendLog(ns, pod, 'main', 'before the cut');
        await eventually(() => assert.equal(lines.at(-1), 'before the cut'));
        assert.equal(env.server!.cutLogs(), 1);
        await s.done;
      });
    });

    it('rejects an unknown container with the server\'s message', async () => {
      await rejects(streamLogs(env.client, ns, pod, { container: 'sidecar', onLine: () => undefined }), 'badRequest', /sidecar/);
    });

    it('exec runs a command and returns its output and exit code', async () => {
      const out: string[] = [];
      const s = await exec(env.client, ns, pod, { command: ['echo', 'hello', 'world'], onStdout: (b) => out.push(b.toString()) });
      assert.equal(s.protocol, 'v5.channel.k8s.io');
      assert.deepEqual(await s.exit, { code: 0 });
      assert.equal(out.join(''), 'hello world\n');
      const failing = await exec(env.client, ns, pod, { command: ['sh', '-c', 'echo x; exit 3'], onStdout: () => undefined });
      assert.equal((await failing.exit).code, 3);
    });

    onTestServerOnly(() => {
      // `stty size` needs a terminal, which the test server's shell fakes without tty.
      it('[test server only] exec shell: stdin, stderr, resize and close stdin', async () => {
        let out = '';
        let err = '';
        const s = await exec(env.client, ns, pod, { command: ['sh'], stdin: true, onStdout: (b) => { out += b.toString(); }, onStderr: (b) => { err += b.toString(); } });
        s.resize(132, 43);
        s.write('hostname\n');
        s.write('stty size\n');
        s.write('nosuchcmd\n');
        await eventually(() => assert.match(err, /nosuchcmd: not found/));
        s.closeStdin();
        assert.equal((await s.exit).code, 0);
        assert.equal(out, `${pod}\n43 132\n`);
      });
    });

    it('exec shell: stdin, stdout, stderr and close stdin', async () => {
      let out = '';
      let err = '';
      const s = await exec(env.client, ns, pod, { command: ['sh'], stdin: true, onStdout: (b) => { out += b.toString(); }, onStderr: (b) => { err += b.toString(); } });
      s.write('hostname\n');
      s.write('nosuchcmd\n');
      await eventually(() => assert.match(err, /nosuchcmd: not found/));
      s.closeStdin();
      assert.equal((await s.exit).code, env.server ? 0 : 127, 'a shell ends with its last command\'s status');
      assert.equal(out, `${pod}\n`);
    });

    it('exec over v4 (no half-close): closing the session ends it', async () => {
      let out = '';
      const s = await exec(env.client, ns, pod, { command: ['cat'], stdin: true, protocols: ['v4.channel.k8s.io'], onStdout: (b) => { out += b.toString(); } });
      assert.equal(s.protocol, 'v4.channel.k8s.io');
      s.write('ping\n');
      await eventually(() => assert.equal(out, 'ping\n'));
      s.closeStdin(); // not possible on v4: must not end the command
      s.write('pong\n');
      await eventually(() => assert.equal(out, 'ping\npong\n'));
      s.close();
      assert.equal((await s.exit).code, -1, 'closed by us before an exit status');
    });

    it('exec into a missing pod is not found', async () => {
      await rejects(exec(env.client, ns, 'no-such-pod', { command: ['sh'], onStdout: () => undefined }), 'notFound', /no-such-pod/);
    });

    onTestServerOnly(() => {
      // A real apiserver still speaks the old channel.k8s.io.
      it('[test server only] no subprotocol in common is a bad request', async () => {
        await rejects(exec(env.client, ns, pod, { command: ['sh'], protocols: ['channel.k8s.io'], onStdout: () => undefined }), 'badRequest', /subprotocol/);
      });
    });

    it('exec of a missing binary fails with a message', async () => {
      const s = await exec(env.client, ns, pod, { command: ['/no/such/binary'], onStdout: () => undefined });
      const r = await s.exit;
      assert.equal(r.code, -1);
      // The test server says what kubelet + dockershim said; containerd/runc name the missing file.
      assert.match(r.message ?? '', /executable file not found|no such file or directory/);
    });
  });
});
