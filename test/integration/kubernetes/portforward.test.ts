// Port-forward over the API (pods/portforward, WebSocket v4.channel.k8s.io): a real TCP round trip
// from the stream to the pod's port: on the test server a TCP server the test binds as that port, on
// a real cluster (HOMELAB_TEST_KUBECONFIG) busybox `nc` in the pod answering the same way.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { containersRun, deploymentManifest, eventually, NO_CONTAINERS, onTestServerOnly, setupEnv, TestEnv } from './env';
import { notRunRegistry } from '../../harness/not-run';
import { openPortForward, parsePort } from '../../../src/providers/kubernetes/portforward';
import { isKubeError, KubeError } from '../../../src/providers/kubernetes/errors';
import { KubeList, KubeObject } from '../../../src/providers/kubernetes/resources';

/** The image of the echoing pod on a real cluster (busybox with `nc`). */
const BUSYBOX = process.env.HOMELAB_TEST_BUSYBOX_IMAGE || 'busybox:1.36';

async function rejects(p: Promise<unknown>, kind: KubeError['kind'], re?: RegExp): Promise<void> {
  try { await p; } catch (e) {
    assert.ok(isKubeError(e), `expected KubeError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (re) assert.match(e.message, re);
    return;
  }
  assert.fail(`expected a ${kind} error`);
}

/** The "container": answers each chunk with `echo:<chunk>`, and counts its connections. */
async function echoServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('data', (d) => s.write(`echo:${d.toString()}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

describe('kubernetes port-forward (provider)', function () {
  this.timeout(60_000);

  it('checks port numbers before connecting', () => {
    assert.equal(parsePort('8080'), 8080);
    assert.equal(parsePort('0', true), 0);
    for (const bad of ['0', '65536', '-1', 'http', '80.5', '']) assert.throws(() => parsePort(bad), /port is a whole number/, bad);
    assert.throws(() => parsePort('70000', true), /0 \(any free port\)/);
  });

  onTestServerOnly(() => {
    it('[test server only] a server that sends no port header first: no data is eaten', async () => {
      const env = await setupEnv({ portForwardHeaders: false });
      const echo = await echoServer();
      try {
        await env.client.request<KubeObject>('POST', `/apis/apps/v1/namespaces/${env.namespace}/deployments`, { body: deploymentManifest('web', env.namespace, 1) });
        const pod = await eventually(async () => {
          const p = (await env.client.request<KubeList>('GET', `/api/v1/namespaces/${env.namespace}/pods`)).items.find((x) => x.status?.phase === 'Running');
          assert.ok(p);
          return p.metadata.name;
        });
        env.server!.bindPort(env.namespace, pod, 80, echo.port);
        let got = '';
        const s = await openPortForward(env.client, env.namespace, pod, 80, (d) => { got += d.toString(); });
        s.write(Buffer.from('ab'));
        await eventually(() => assert.equal(got, 'echo:ab'));
        s.close();
        const refused = await openPortForward(env.client, env.namespace, pod, 9999, () => undefined);
        assert.match((await refused.closed).error ?? '', /^error forwarding port 9999 /, 'the error text is whole');
      } finally {
        echo.server.close();
        await env.close();
      }
    });
  });

  {
    let env: TestEnv;
    let ns: string;
    let pod: string;
    let echo: Awaited<ReturnType<typeof echoServer>>;
    let containers = false;
    before(async function () {
      env = await setupEnv();
      ns = env.namespace;
      containers = await containersRun(env);
      if (!containers) return;
      echo = await echoServer();
      const web = deploymentManifest('web', ns, 1, BUSYBOX) as ReturnType<typeof deploymentManifest> & { spec: { template: { spec: { containers: { command?: string[] }[] } } } };
      web.spec.template.spec.containers[0].command = ['sh', '-c', "exec nc -ll -p 80 -e sh -c 'printf echo:; exec cat'"];
      (web.spec.template.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds = 1; // nc ignores SIGTERM
      await env.client.request<KubeObject>('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body: web });
      pod = await eventually(async () => {
        const p = (await env.client.request<KubeList>('GET', `/api/v1/namespaces/${ns}/pods`)).items.find((x) => x.status?.phase === 'Running');
        assert.ok(p);
        return p.metadata.name;
      });
      env.server?.bindPort(ns, pod, 80, echo.port);
    });
    after(async () => { echo?.server.close(); await env?.close(); });
    beforeEach(function () {
      if (containers) return;
      notRunRegistry().set(this.currentTest!.fullTitle(), NO_CONTAINERS);
      this.skip();
    });

    it('data makes a round trip to the pod\'s port and back', async () => {
      let got = '';
      const s = await openPortForward(env.client, ns, pod, 80, (d) => { got += d.toString(); });
      s.write(Buffer.from('ping'));
      await eventually(() => assert.equal(got, 'echo:ping'));
      s.write(Buffer.from('pong'));
      // The test server's "container" prefixes each chunk; nc in a real pod prefixes the connection.
      await eventually(() => assert.equal(got, env.server ? 'echo:pingecho:pong' : 'echo:pingpong'));
      if (env.server) assert.equal(echo.sockets.size, 1);
      s.close();
      assert.deepEqual(await s.closed, {});
      if (env.server) await eventually(() => assert.equal(echo.sockets.size, 0), 5000);
    });

    it('a port nothing listens on ends the stream with the server\'s error', async () => {
      const s = await openPortForward(env.client, ns, pod, 9999, () => undefined);
      const end = await s.closed;
      assert.match(end.error ?? '', /error forwarding port 9999 .*connection refused/);
    });

    it('a missing pod is not found; a bad port is refused before any request', async () => {
      await rejects(openPortForward(env.client, ns, 'no-such-pod', 80, () => undefined), 'notFound', /no-such-pod/);
      const before = env.server?.requestCounts.total;
      await rejects(openPortForward(env.client, ns, pod, 0, () => undefined), 'invalid', /1 to 65535/);
      assert.equal(env.server?.requestCounts.total, before);
    });

    it('the pod going away ends the stream', async () => {
      // Last: the deployment replaces the pod, which other tests forward to.
      let got = '';
      const s = await openPortForward(env.client, ns, pod, 80, (d) => { got += d.toString(); });
      s.write(Buffer.from('x'));
      await eventually(() => assert.match(got, /^echo:x/));
      await env.client.request('DELETE', `/api/v1/namespaces/${ns}/pods/${pod}`);
      await s.closed;
      if (env.server) assert.equal(env.server.openPortForwards(), 0);
    });
  }
});
