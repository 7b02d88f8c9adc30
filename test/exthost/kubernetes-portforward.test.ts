// Port-forward commands in the extension host: start from a pod and a service, listed under the
// context's "Port Forwards", real TCP data through the forward, stop frees the port, a port in use
// is refused, a pod going away ends its forward and a service's forward moves to another pod.
// On the test server the pods' ports are local TCP servers (bindPort); on a real cluster
// (HOMELAB_TEST_KUBECONFIG) the pods run busybox `nc` answering the same way.
import * as assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';
import type { PortForwardInfo } from '../../src/services/kubernetes';
import type { KubeElement, ObjectElement } from '../../src/views/kubernetes/tree';
import { deployment, REAL_KUBECONFIG, setupK8sEnv, type K8sEnv } from './k8s-env';
import { activateHomelab, runScripted } from './util';
import { notRun } from '../harness/not-run';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function eventually<T>(fn: () => T | Promise<T>, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try { return await fn(); } catch (e) {
      if (Date.now() > end) throw new Error(`timed out waiting until ${what}: ${(e as Error).message}`);
      await sleep(50);
    }
  }
}

/** A TCP server standing for a container port: answers `<name>:<chunk>`. */
async function echo(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.on('data', (d) => s.write(`${name}:${d.toString()}`)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * The pods' command on a real cluster: port 80 answers `pod:<chunk>`, port 8080 `svc:<chunk>` (the
 * prefix comes on connect, then everything is echoed back).
 */
const NC_ECHO = "nc -ll -p 8080 -e sh -c 'printf svc:; exec cat' & exec nc -ll -p 80 -e sh -c 'printf pod:; exec cat'";

/** One request/answer (`<4-char prefix>:<text>`) over a fresh local TCP connection to 127.0.0.1:port. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no answer on ${port} (got "${got}")`)); }, 5000);
    s.on('connect', () => s.write(text));
    s.on('data', (d) => { got += d.toString(); if (got.length >= text.length + 4) { clearTimeout(timer); s.destroy(); resolve(got); } });
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
    s.on('close', () => { clearTimeout(timer); reject(new Error(`connection closed (got "${got}")`)); });
  });
}

/** True when something can listen on the port again (the forward freed it). */
async function portFree(port: number): Promise<boolean> {
  const s = createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

{
  describe('Kubernetes port-forward commands', function () {
    this.timeout(120_000);
    let api: HomelabApi;
    let env: K8sEnv;
    let ns: string;
    let podPort: Awaited<ReturnType<typeof echo>>;
    let svcPort: Awaited<ReturnType<typeof echo>>;
    const tree = () => api.kubernetesTree;
    const label = (e: KubeElement) => String(tree().getTreeItem(e).label);
    const desc = (e: KubeElement) => String(tree().getTreeItem(e).description ?? '');
    const kids = (e?: KubeElement) => tree().getChildren(e);
    const settings = () => vscode.workspace.getConfiguration('homelab.kubernetes');
    async function child(parent: KubeElement | undefined, name: string): Promise<KubeElement> {
      const list = await kids(parent);
      const found = list.find((e) => label(e) === name);
      assert.ok(found, `no "${name}" among ${list.map(label).join(', ')}`);
      return found;
    }
    const walk = async (...names: string[]) => { let e: KubeElement | undefined; for (const n of names) e = await child(e, n); return e!; };
    const runningPods = () => eventually(async () => {
      const pods = (await kids(await walk(env.context, ns, 'Pods'))).filter((e) => e.kind === 'object' && /^Running/.test(desc(e))) as ObjectElement[];
      assert.equal(pods.length, 2);
      return pods;
    }, 'two pods run');
    /** The rows under the context's "Port Forwards" (none: no group). */
    const forwardRows = async () => {
      const group = (await kids(await walk(env.context))).find((e) => e.kind === 'forwards');
      return group ? kids(group) : [];
    };
    const run = <T = unknown>(command: string, answers: unknown[], ...args: unknown[]) => runScripted<T>(api, command, answers, ...args);

    before(async () => {
      api = await activateHomelab();
      env = await setupK8sEnv();
      ns = env.namespace;
      if (env.server) {
        podPort = await echo('pod');
        svcPort = await echo('svc');
        env.server.bindPort(ns, '*', 80, podPort.port);
        env.server.bindPort(ns, '*', 8080, svcPort.port);
      } else console.log(`    (real cluster mode: ${REAL_KUBECONFIG}, namespace ${ns})`);
      const web = deployment('web', ns, 2);
      web.spec.template.spec.containers[0].command = ['sh', '-c', NC_ECHO];
      await env.other.request('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body: web });
      await env.other.request('POST', `/api/v1/namespaces/${ns}/services`, { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } } });
      await settings().update('kubeconfig', [env.kubeconfigPath], vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand('homelab.kubernetes.focus');
      await tree().refresh();
    });
    after(async () => {
      for (const f of api?.kubernetesForwards.list() ?? []) await api.kubernetesForwards.stop(f.id);
      await settings().update('kubeconfig', undefined, vscode.ConfigurationTarget.Global);
      await tree().refresh();
      podPort?.server.close();
      svcPort?.server.close();
      await env?.close();
    });

    it('Kubernetes: forwards a pod port to a free local port, listed, data flows, stop frees the port', async () => {
      const [pod] = await runningPods();
      const { result: f, failure } = await run<PortForwardInfo>('homelab.kubernetes.portForward', ['80', '0'], pod);
      assert.equal(failure, undefined);
      assert.ok(f && f.localPort > 0, 'a free local port was picked');
      assert.equal(f.pod, pod.name);
      const rows = await eventually(async () => { const r = await forwardRows(); assert.equal(r.length, 1); return r; }, 'the forward is listed');
      assert.equal(label(rows[0]), `127.0.0.1:${f.localPort} → ${pod.name}:80`);
      assert.match(desc(rows[0]), new RegExp(`via ${pod.name}:80`));
      assert.equal(await roundTrip(f.localPort, 'hello'), 'pod:hello');
      assert.equal(await roundTrip(f.localPort, 'again'), 'pod:again', 'a second connection works too');
      assert.equal(await portFree(f.localPort), false, 'the forward holds its port');

      // The same local port again is refused with a clear message; nothing new is listed.
      const taken = await run('homelab.kubernetes.portForward', ['80', String(f.localPort)], pod);
      assert.match(taken.failure ?? '', new RegExp(`Local port ${f.localPort} is already in use`));
      assert.equal(api.kubernetesForwards.list().length, 1);

      const stop = await run<number>('homelab.kubernetes.portForwardStop', [], rows[0]);
      assert.equal(stop.failure, undefined);
      assert.equal(await portFree(f.localPort), true, 'stop frees the port');
      await eventually(async () => assert.equal((await forwardRows()).length, 0), 'the Port Forwards group is gone');
      await assert.rejects(roundTrip(f.localPort, 'x'), /ECONNREFUSED/);
    });

    it('Kubernetes: Open in Browser maps the local port through VS Code; from the palette a forward is picked', async () => {
      const [pod] = await runningPods();
      const { result: f } = await run<PortForwardInfo>('homelab.kubernetes.portForward', ['80', '0'], pod);
      const [row] = await eventually(async () => { const r = await forwardRows(); assert.equal(r.length, 1); return r; }, 'the forward is listed');
      const opened = await Promise.race([run<string>('homelab.kubernetes.portForwardOpen', [], row), sleep(15_000).then(() => ({ result: undefined, failure: 'openExternal did not return' }))]);
      assert.equal(opened.failure, undefined);
      assert.match(opened.result ?? '', new RegExp(String(f!.localPort)), 'the external URI names the forwarded port');
      // From the palette (no argument, nothing selected): the forward is picked by its local address.
      const stop = await run<number>('homelab.kubernetes.portForwardStop', [`127.0.0.1:${f!.localPort}`]);
      assert.equal(stop.failure, undefined);
      assert.equal(stop.result, f!.localPort);
      assert.equal(api.kubernetesForwards.list().length, 0);
      const none = await run('homelab.kubernetes.portForwardStop', []);
      assert.match(none.failure ?? '', /No port-forward is running/);
    });

    it('Kubernetes: bad input is refused before anything listens', async () => {
      const [pod] = await runningPods();
      const bad = await run('homelab.kubernetes.portForward', ['70000'], pod);
      assert.match(bad.failure ?? '', /is invalid: A port is a whole number from 1 to 65535/);
      const gone = await run('homelab.kubernetes.portForward', [], { ...pod, name: 'no-such-pod', id: `${pod.id}-x` });
      assert.match(gone.failure ?? '', /no-such-pod/);
      await assert.rejects(api.kubernetesForwards.start({ context: env.context, namespace: ns, kind: 'pods', name: 'no-such-pod', port: 80 }, 0), /Pod .*no-such-pod is gone/);
      assert.equal(api.kubernetesForwards.list().length, 0);
    });

    it('Kubernetes: a namespace whose pods RBAC refuses is said plainly; nothing listens', async function () {
      if (!env.server) notRun(this, 'needs the API test server (its RBAC fault hook)');
      env.server.forbidNamespace('locked');
      try {
        await assert.rejects(api.kubernetesForwards.start({ context: env.context, namespace: 'locked', kind: 'pods', name: 'x', port: 80 }, 0), /the pods of namespace locked cannot be watched \(.*forbidden/i);
      } finally {
        env.server.allowNamespace('locked');
      }
      assert.equal(api.kubernetesForwards.list().length, 0);
    });

    it('Kubernetes: a pod that goes away ends its forward and frees the port', async () => {
      const [, pod] = await runningPods();
      const { result: f } = await run<PortForwardInfo>('homelab.kubernetes.portForward', ['80', '0'], pod);
      assert.equal(await roundTrip(f!.localPort, 'before'), 'pod:before');
      await env.other.request('DELETE', `/api/v1/namespaces/${ns}/pods/${pod.name}`);
      const now = await eventually(() => { const x = api.kubernetesForwards.get(f!.id); assert.equal(x?.state, 'ended'); return x!; }, 'the forward ends');
      assert.match(now.message ?? '', new RegExp(`Pod ${ns}/${pod.name} is gone`));
      const [row] = await eventually(async () => { const r = await forwardRows(); assert.match(desc(r[0]), /ended/); return r; }, 'the row says ended');
      assert.equal(tree().getTreeItem(row).contextValue, 'k8s-forward-ended');
      assert.equal(await portFree(f!.localPort), true);
      await run('homelab.kubernetes.portForwardStop', [], row);
      assert.equal(api.kubernetesForwards.list().length, 0);
    });

    it('Kubernetes: a service forward goes to a ready pod (targetPort) and moves on when that pod is replaced', async () => {
      await runningPods();
      const svc = await eventually(async () => (await child(await walk(env.context, ns, 'Services'), 'web')) as ObjectElement, 'the service is listed');
      const { result: f, failure } = await run<PortForwardInfo>('homelab.kubernetes.portForward', ['80', '0'], svc);
      assert.equal(failure, undefined);
      assert.equal(f!.podPort, 8080, 'the service port 80 goes to targetPort 8080');
      assert.equal(await roundTrip(f!.localPort, 'one'), 'svc:one');
      const first = f!.pod!;
      await env.other.request('DELETE', `/api/v1/namespaces/${ns}/pods/${first}`);
      const moved = await eventually(() => {
        const x = api.kubernetesForwards.get(f!.id)!;
        assert.equal(x.state, 'active');
        assert.ok(x.pod && x.pod !== first, `still on ${x.pod}`);
        return x;
      }, 'the forward moves to another ready pod');
      assert.equal(moved.localPort, f!.localPort, 'the local port stays');
      assert.equal(await roundTrip(f!.localPort, 'two'), 'svc:two');
      // No ready pod at all: the forward waits (and says so) instead of ending.
      await env.other.request('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/web/scale`, { body: { spec: { replicas: 0 } }, contentType: 'application/merge-patch+json' });
      const waiting = await eventually(() => { const x = api.kubernetesForwards.get(f!.id)!; assert.equal(x.state, 'waiting'); return x; }, 'the forward waits');
      assert.match(waiting.message ?? '', /No ready pod behind service/);
      await api.kubernetesForwards.stop(f!.id);
      assert.equal(await portFree(f!.localPort), true);
    });
  });
}
