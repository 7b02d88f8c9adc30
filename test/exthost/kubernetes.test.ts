import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';
import type { ApplyOutcome } from '../../src/commands/kubernetes/apply';
import type { KubeElement, ObjectElement } from '../../src/views/kubernetes/tree';
import type { K8sExecTerminal } from '../../src/views/terminals/k8s-exec-terminal';
import type { K8sLogsTerminal } from '../../src/views/terminals/k8s-logs-terminal';
import { writeKubeconfig } from '../k8s-server';
import { load as yamlLoad } from 'js-yaml';
import { deployment, readyNodes, REAL_KUBECONFIG, setupK8sEnv, type K8sEnv } from './k8s-env';
import { activateHomelab, runScripted } from './util';
import { notRun, runnableOnlyIf } from '../harness/not-run';

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

const settings = () => vscode.workspace.getConfiguration('homelab.kubernetes');

/**
 * Tests that need the test server's fault hooks run only against it; against a real cluster
 * (HOMELAB_TEST_KUBECONFIG) they are reported as NOT RUN in the summary.
 */
function serverOnly(title: string, fn: (this: Mocha.Context) => Promise<void>): void {
  runnableOnlyIf(!REAL_KUBECONFIG, 'needs the API test server (its fault hooks)', () => it(title, fn));
}

describe('Kubernetes explorer against the API test server (or HOMELAB_TEST_KUBECONFIG)', function () {
  this.timeout(120_000);
  let api: HomelabApi;
  let env: K8sEnv;
  let ns: string;
  const tree = () => api.kubernetesTree;
  const label = (e: KubeElement) => String(tree().getTreeItem(e).label);
  const desc = (e: KubeElement) => String(tree().getTreeItem(e).description ?? '');
  const kids = (e?: KubeElement) => tree().getChildren(e);

  async function child(parent: KubeElement | undefined, name: string): Promise<KubeElement> {
    const list = await kids(parent);
    const found = list.find((e) => label(e) === name);
    assert.ok(found, `no "${name}" among ${list.map(label).join(', ')}`);
    return found;
  }
  async function walk(...names: string[]): Promise<KubeElement> {
    let e: KubeElement | undefined;
    for (const n of names) e = await child(e, n);
    return e!;
  }
  /** The item of an object, waiting until the watch delivered it. */
  const item = (kindLabel: string, name: string) => eventually(async () => (await walk(env.context, ns, kindLabel, name)) as ObjectElement, `${kindLabel}/${name} is in the tree`);

  const run = <T = unknown>(command: string, answers: unknown[], ...args: unknown[]) => runScripted<T>(api, command, answers, ...args);

  const post = (path: string, body: unknown) => env.other.request('POST', path, { body });
  const configMap = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data });
  const cmPath = (name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? '/' + name : ''}`;
  /** The description a ConfigMap should have now, read from the API (no test relies on another's changes). */
  const keysNow = async (name: string) => {
    const n = Object.keys((await env.other.request<{ data?: Record<string, string> }>('GET', cmPath(name))).data ?? {}).length;
    return `${n} key${n === 1 ? '' : 's'}`;
  };

  before(async () => {
    api = await activateHomelab();
    env = await setupK8sEnv();
    ns = env.namespace;
    if (REAL_KUBECONFIG) console.log(`    (real cluster mode: ${REAL_KUBECONFIG}, namespace ${ns})`);
    await post(`/apis/apps/v1/namespaces/${ns}/deployments`, deployment('web', ns, 2));
    await post(`/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP' }] } });
    await post(cmPath(), configMap('settings', { a: '1' }));
    await post(`/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: ns }, type: 'Opaque', data: { password: Buffer.from('hunter2-secret').toString('base64') } });
    await post(`/api/v1/namespaces/${ns}/persistentvolumeclaims`, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: ns }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    await post(`/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`, { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: ns }, spec: { rules: [{ host: 'web.lab.internal', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } });
    await settings().update('namespaceFilter', undefined, vscode.ConfigurationTarget.Global);
    await settings().update('kubeconfig', [env.kubeconfigPath], vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('homelab.kubernetes.focus');
    await tree().refresh();
  });
  after(async () => {
    for (const t of vscode.window.terminals) t.dispose();
    await settings().update('kubeconfig', undefined, vscode.ConfigurationTarget.Global);
    await settings().update('namespaceFilter', undefined, vscode.ConfigurationTarget.Global);
    await tree().refresh();
    await env?.close();
  });

  it('Kubernetes: shows the contexts with the current one marked', async () => {
    const roots = await kids();
    const ctx = roots.find((e) => label(e) === env.context);
    assert.ok(ctx, `context ${env.context} among ${roots.map(label).join(', ')}`);
    assert.equal(tree().getTreeItem(ctx).contextValue, 'k8s-context-current');
    assert.match(desc(ctx), /current/);
  });

  it('Kubernetes: namespaces, the nine kinds, and items with descriptions that matter', async () => {
    const namespaces = (await kids(await walk(env.context))).map(label);
    assert.ok(namespaces.includes(ns), `${ns} among ${namespaces.join(', ')}`);
    const kinds = (await kids(await walk(env.context, ns))).map(label);
    assert.deepEqual(kinds, ['Deployments', 'StatefulSets', 'DaemonSets', 'Pods', 'Services', 'Ingresses', 'Persistent Volume Claims', 'ConfigMaps', 'Secrets']);
    // A real apiserver may run no pods (no nodes, no image pulls): there only the desired count is certain.
    if (env.server) await eventually(async () => assert.equal(desc(await item('Deployments', 'web')), '2/2 ready'), 'web is 2/2 ready');
    else assert.match(desc(await item('Deployments', 'web')), /^\d+\/2 ready/);
    assert.match(desc(await item('Services', 'web')), /^NodePort 80(:\d+)?\/TCP$/);
    assert.equal(desc(await item('Ingresses', 'web')), 'web.lab.internal');
    assert.match(desc(await item('Persistent Volume Claims', 'data')), /^(Pending|Bound) · 1Gi/);
    assert.equal(desc(await item('ConfigMaps', 'settings')), '1 key');
    assert.equal(desc(await item('Secrets', 'db')), '1 key');
    if (env.server) {
      const pods = await kids(await walk(env.context, ns, 'Pods'));
      assert.equal(pods.length, 2);
      for (const p of pods) assert.match(desc(p), /^Running · 1\/1/);
    }
    // A workload expands into its conditions; its tooltip is markdown.
    const web = await item('Deployments', 'web');
    const resolved = tree().resolveTreeItem(tree().getTreeItem(web), web) as vscode.TreeItem;
    assert.ok(resolved.tooltip instanceof vscode.MarkdownString);
    assert.match((resolved.tooltip as vscode.MarkdownString).value, /Deployment web/);
  });

  it('Kubernetes: an object changed by another client appears without a refresh, and no list is repeated', async () => {
    await item('ConfigMaps', 'settings');
    const lists = env.server?.requestCounts.list;
    const updated = new Promise<void>((resolve) => {
      const d = tree().onDidUpdate((els) => { if (els.some((e) => e.kind === 'object' && e.name === 'settings')) { d.dispose(); resolve(); } });
    });
    await env.other.request('PATCH', cmPath('settings'), { body: { data: { b: '2' } }, contentType: 'application/merge-patch+json' });
    await Promise.race([updated, sleep(10_000).then(() => assert.fail('no tree event named the changed item'))]);
    assert.equal(desc(await item('ConfigMaps', 'settings')), '2 keys');
    await post(cmPath(), configMap('added-outside', { x: 'y' }));
    await item('ConfigMaps', 'added-outside');
    if (env.server) assert.equal(env.server.requestCounts.list, lists, 'no list request: changes come from the watch');
  });

  serverOnly('Kubernetes: a watch cut mid-stream recovers (test server fault hook)', async function () {
    assert.ok(env.server, 'the test server runs');
    await post(cmPath(), configMap('cut-watch', { a: '1' }));
    await item('ConfigMaps', 'cut-watch');
    assert.ok(env.server.cutWatches() > 0, 'watches were open');
    await env.other.request('PATCH', cmPath('cut-watch'), { body: { data: { c: '3' } }, contentType: 'application/merge-patch+json' });
    await eventually(async () => assert.equal(desc(await item('ConfigMaps', 'cut-watch')), '2 keys'), 'the change after the cut shows', 20_000);
  });

  serverOnly('Kubernetes: 410 Gone relists and the tree follows (test server fault hook)', async function () {
    assert.ok(env.server, 'the test server runs');
    await item('ConfigMaps', 'settings');
    const lists = env.server.requestCounts.list;
    env.server.store.create('configmaps', { metadata: { name: 'while-expired', namespace: ns }, data: {} });
    env.server.expireHistory({ cutWatches: true });
    await item('ConfigMaps', 'while-expired');
    await eventually(() => assert.ok(env.server!.requestCounts.list > lists, 'a relist happened'), 'a relist happened');
  });

  it('Kubernetes: hiding the view stops every watch; showing it resumes them', async function () {
    await post(cmPath(), configMap('while-hidden', { a: '1' }));
    await item('ConfigMaps', 'while-hidden');
    const group = await walk(env.context, ns, 'ConfigMaps');
    await api.kubernetesView.reveal(group, { expand: true });
    assert.ok(tree().activeWatches().length > 0);
    await vscode.commands.executeCommand('workbench.view.explorer');
    await eventually(() => assert.deepEqual(tree().activeWatches(), []), 'no watch while hidden');
    if (env.server) await eventually(() => assert.equal(env.server!.openWatches(), 0), 'the server sees no open watch');
    await env.other.request('PATCH', cmPath('while-hidden'), { body: { data: { d: '4' } }, contentType: 'application/merge-patch+json' });
    await vscode.commands.executeCommand('homelab.kubernetes.focus');
    await eventually(() => assert.ok(tree().activeWatches().some((k) => k.endsWith(`configmaps@${ns}`))), 'the ConfigMaps watch resumed');
    await eventually(async () => assert.equal(desc(await item('ConfigMaps', 'while-hidden')), '2 keys'), 'the change made while hidden shows');
  });

  it('Kubernetes: a kind expanded in many namespaces is watched once across them, and still live', async () => {
    const extra = [1, 2, 3, 4].map((i) => `${ns}-w${i}`);
    for (const n of extra) {
      await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n, labels: { 'homelab-test': 'true' } } });
      await post(`/api/v1/namespaces/${n}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `only-in-${n}`, namespace: n }, data: { a: '1' } });
    }
    try {
      for (const n of extra) {
        const names = await eventually(async () => (await kids(await walk(env.context, n, 'ConfigMaps'))).map(label), `${n} ConfigMaps`);
        assert.ok(names.includes(`only-in-${n}`), `${n}: ${names.join(', ')}`);
        assert.ok(!names.some((x) => x.startsWith('only-in-') && x !== `only-in-${n}`), `${n} shows only its own: ${names.join(', ')}`);
      }
      const watches = tree().activeWatches();
      assert.ok(watches.some((k) => k.endsWith(':configmaps@*')), watches.join(', '));
      assert.ok(!watches.some((k) => /:configmaps@[^*]/.test(k)), `no per-namespace ConfigMaps watch left: ${watches.join(', ')}`);
      await env.other.request('PATCH', `/api/v1/namespaces/${extra[2]}/configmaps/only-in-${extra[2]}`, { body: { data: { b: '2' } }, contentType: 'application/merge-patch+json' });
      await eventually(async () => assert.equal(desc(await walk(env.context, extra[2], 'ConfigMaps', `only-in-${extra[2]}`)), '2 keys'), 'the change shows');
      assert.equal(desc(await item('ConfigMaps', 'settings')), await keysNow('settings'), 'the first namespace still reads right');
    } finally {
      for (const n of extra) await env.other.request('DELETE', `/api/v1/namespaces/${n}`).catch(() => undefined);
    }
  });

  it('Kubernetes: all namespaces: one list and one watch per kind, namespace as description, filter respected, live', async () => {
    const other = `${ns}-all`;
    await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: other, labels: { 'homelab-test': 'true' } } });
    await post(`/api/v1/namespaces/${other}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'everywhere', namespace: other }, data: { a: '1' } });
    await post(cmPath(), configMap('everywhere', { a: '1', b: '2' }));
    try {
      const on = await run<boolean>('homelab.kubernetes.toggleAllNamespaces', [], await walk(env.context));
      assert.equal(on.failure, undefined);
      assert.equal(on.result, true);
      const kinds = await eventually(async () => {
        const list = (await kids(await walk(env.context))).filter((e) => e.kind !== 'nodes' && e.kind !== 'apps').map(label); // the Nodes and Applications groups stay first
        assert.ok(!list.includes(ns), `kinds, not namespaces: ${list.join(', ')}`);
        return list;
      }, 'the context shows kinds');
      assert.deepEqual(kinds, ['Deployments', 'StatefulSets', 'DaemonSets', 'Pods', 'Services', 'Ingresses', 'Persistent Volume Claims', 'ConfigMaps', 'Secrets']);
      const rows = async () => (await kids(await walk(env.context, 'ConfigMaps'))).filter((e) => e.kind === 'object' && e.name === 'everywhere').map(desc);
      await eventually(async () => assert.deepEqual(await rows(), [`${ns} · 2 keys`, `${other} · 1 key`].sort((a, b) => a.localeCompare(b))), 'both namespaces listed, namespace as description');
      const watches = tree().activeWatches().filter((k) => k.includes(':configmaps@'));
      assert.deepEqual(watches, [`${env.context}:configmaps@*`], 'one watch across namespaces');
      await env.other.request('PATCH', `/api/v1/namespaces/${other}/configmaps/everywhere`, { body: { data: { c: '3' } }, contentType: 'application/merge-patch+json' });
      await eventually(async () => assert.ok((await rows()).includes(`${other} · 2 keys`)), 'a change shows live');
      await settings().update('namespaceFilter', [other], vscode.ConfigurationTarget.Global);
      await eventually(async () => assert.deepEqual(await rows(), [`${other} · 2 keys`]), 'the filter applies');
      const web = (await kids(await walk(env.context, 'ConfigMaps'))).find((e) => e.kind === 'object' && e.namespace === other && e.name === 'everywhere') as ObjectElement;
      const { result: doc } = await run<vscode.TextDocument>('homelab.kubernetes.viewYaml', [], web);
      assert.match(doc!.getText(), new RegExp(`namespace: ${other}`), 'commands act on the row\'s namespace');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    } finally {
      await settings().update('namespaceFilter', undefined, vscode.ConfigurationTarget.Global);
      await run('homelab.kubernetes.toggleAllNamespaces', [], await walk(env.context));
      await env.other.request('DELETE', `/api/v1/namespaces/${other}`).catch(() => undefined);
    }
    await eventually(async () => assert.ok((await kids(await walk(env.context))).map(label).includes(ns)), 'namespace by namespace again');
  });

  /**
   * A context whose user may read ConfigMaps in `namespaces` only (namespace-scoped RBAC): on the test
   * server its cluster-scope lists are refused; on a real cluster it is a service account bound to
   * the `view` role in each of them, with a token from the TokenRequest API.
   */
  async function namespaceScopedContext(name: string, namespaces: string[]): Promise<{ path: string; undo(): Promise<void> }> {
    const path = join(env.tmp, `${name}.yaml`);
    if (env.server) {
      const user = `${name}-user`;
      const cert = env.server.issueClientCert(user);
      env.server.forbidClusterScope(['namespaces', 'configmaps'], user);
      writeKubeconfig(path, { contexts: [{ name, server: env.server.url, caPem: env.server.caPem, clientCertPem: cert.certPem, clientKeyPem: cert.keyPem, namespace: ns }] });
      return { path, undo: async () => env.server!.allowClusterScope() };
    }
    await post(`/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } });
    for (const n of namespaces) {
      await post(`/apis/rbac.authorization.k8s.io/v1/namespaces/${n}/rolebindings`, {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: n },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
      });
    }
    const tr = await env.other.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`, { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } } });
    const real = yamlLoad(readFileSync(REAL_KUBECONFIG!, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[] };
    const cluster = real.clusters[0].cluster;
    writeKubeconfig(path, { contexts: [{ name, server: cluster.server, caPem: Buffer.from(cluster['certificate-authority-data'] ?? '', 'base64').toString(), token: tr.status.token, namespace: ns }] });
    return { path, undo: async () => undefined }; // the namespace's deletion removes the account and its bindings
  }

  it('Kubernetes: all namespaces under namespace-scoped RBAC: falls back namespace by namespace and says so', async () => {
    const other = `${ns}-rbac`;
    const hidden = `${ns}-rbac-no`;
    for (const n of [other, hidden]) {
      await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n, labels: { 'homelab-test': 'true' } } });
      await post(`/api/v1/namespaces/${n}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'scoped', namespace: n }, data: { a: '1' } });
    }
    await post(cmPath(), configMap('scoped', { a: '1', b: '2' }));
    const ctx = 'ns-scoped';
    const scoped = await namespaceScopedContext(ctx, [ns, other]);
    try {
      // The context's own namespace is known; the other allowed one comes from the namespace filter.
      await settings().update('namespaceFilter', [ns, other], vscode.ConfigurationTarget.Global);
      await settings().update('kubeconfig', [env.kubeconfigPath, scoped.path], vscode.ConfigurationTarget.Global);
      await eventually(async () => assert.ok((await kids()).some((e) => label(e) === ctx)), 'the scoped context is listed');
      const on = await run<boolean>('homelab.kubernetes.toggleAllNamespaces', [], await walk(ctx));
      assert.equal(on.result, true);
      const rows = async () => (await kids(await walk(ctx, 'ConfigMaps'))).map((e) => e.kind === 'object' ? `${e.namespace}/${e.name} ${desc(e)}` : `${label(e)}: ${desc(e)}`);
      const got = await eventually(async () => {
        const r = await rows();
        assert.ok(r.includes(`${other}/scoped ${other} · 1 key`), r.join(' | '));
        return r;
      }, 'the allowed namespaces are listed');
      assert.equal(got[0], 'Listing across namespaces is forbidden: shown namespace by namespace, where allowed', 'the view says why');
      assert.ok(got.includes(`${ns}/scoped ${ns} · 2 keys`), got.join(' | '));
      assert.ok(!got.some((r) => r.startsWith(`${hidden}/`)), 'a namespace it may not read is not shown');
      const watches = tree().activeWatches().filter((k) => k.startsWith(`${ctx}:configmaps@`)).sort();
      assert.deepEqual(watches, [`${ctx}:configmaps@${ns}`, `${ctx}:configmaps@${other}`].sort(), 'one watch per allowed namespace, none across them');
      // Still live, per namespace.
      await env.other.request('PATCH', `/api/v1/namespaces/${other}/configmaps/scoped`, { body: { data: { c: '3' } }, contentType: 'application/merge-patch+json' });
      await eventually(async () => assert.ok((await rows()).includes(`${other}/scoped ${other} · 2 keys`)), 'a change shows live');
    } finally {
      await settings().update('allNamespaces', undefined, vscode.ConfigurationTarget.Global);
      await settings().update('namespaceFilter', undefined, vscode.ConfigurationTarget.Global);
      await settings().update('kubeconfig', [env.kubeconfigPath], vscode.ConfigurationTarget.Global);
      await scoped.undo();
      for (const n of [other, hidden]) await env.other.request('DELETE', `/api/v1/namespaces/${n}`).catch(() => undefined);
    }
  });

  const event = (name: string, type: 'Normal' | 'Warning', reason: string, involved: { kind: string; name: string }, secondsAgo: number, message = `${reason} happened`) => post(`/api/v1/namespaces/${ns}/events`, {
    apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: ns }, type, reason, message, count: 1,
    involvedObject: { apiVersion: 'v1', kind: involved.kind, name: involved.name, namespace: ns },
    firstTimestamp: new Date(Date.now() - secondsAgo * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
    lastTimestamp: new Date(Date.now() - secondsAgo * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
    source: { component: 'homelab-test' },
  });

  it('Kubernetes: events of an object: newest first, warnings marked, its pods included, live by watch', async () => {
    await post(cmPath(), configMap('evented', { a: '1' }));
    // Reasons of its own: a real cluster adds events of its own meanwhile (pods created, scaled).
    await event('ev-old', 'Normal', 'TestScaled', { kind: 'Deployment', name: 'web' }, 120);
    await event('ev-pod', 'Warning', 'TestBackOff', { kind: 'Pod', name: 'web-5d9c-abcde' }, 30, 'Back-off restarting failed container');
    await event('ev-other', 'Normal', 'TestCreated', { kind: 'ConfigMap', name: 'evented' }, 10);
    const { result: doc, failure } = await run<vscode.TextDocument>('homelab.kubernetes.showEvents', [], await item('Deployments', 'web'));
    assert.equal(failure, undefined);
    const lines = () => doc!.getText().split('\n').filter((l) => /^(⚠ Warning| {2}Normal)/.test(l) && / Test[A-Z]/.test(l));
    const mine = lines();
    assert.match(mine[0], /^⚠ Warning .*TestBackOff .*Pod\/web-5d9c-abcde: Back-off restarting failed container/);
    assert.match(mine[1], /^ {2}Normal .*TestScaled .*Deployment\/web/);
    assert.ok(!mine.some((l) => /ConfigMap\/evented/.test(l)), 'another object\'s event is not listed');
    await event('ev-new', 'Warning', 'TestFailedMount', { kind: 'Deployment', name: 'web' }, 0, 'volume not found');
    await eventually(() => assert.match(lines()[0], /^⚠ Warning .*TestFailedMount .*volume not found/), 'a new event shows at the top by itself');
    const nsDoc = await run<vscode.TextDocument>('homelab.kubernetes.showEvents', [], await walk(env.context, ns));
    assert.match(nsDoc.result!.getText(), /ConfigMap\/evented/, 'the namespace view lists every object\'s events');
    const bad = await run('homelab.kubernetes.showEvents', [], { kind: 'context', id: 'x', context: env.context });
    assert.match(bad.failure ?? '', /namespace or an object/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Kubernetes: events are bounded: the newest 200 of a crowded namespace (10,000+ on the test server) are shown', async function () {
    const crowded = `${ns}-ev`;
    await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: crowded, labels: { 'homelab-test': 'true' } } });
    try {
      // 10,050 through the test server's store (as fast as another writer); a real cluster gets 230
      // through the API (the integration suite lists 10,050 there).
      const count = env.server ? 10_050 : 230;
      // Name order is not time order: the newest are spread over every page of the list.
      const secondsOf = (i: number) => (i * 7919) % count;
      const now = Date.now(); // once: creating them through the API takes seconds
      const at = (i: number) => new Date(now - (count + 60 - secondsOf(i)) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      const ev = (i: number) => ({ apiVersion: 'v1', kind: 'Event', metadata: { name: `e${i}`, namespace: crowded }, type: 'Normal', reason: `R${secondsOf(i)}`, message: 'm', involvedObject: { kind: 'ConfigMap', name: 'c', namespace: crowded }, firstTimestamp: at(i), lastTimestamp: at(i) });
      for (let i = 0; i < count; i++) {
        if (env.server) env.server.store.create('events', ev(i));
        else await env.other.request('POST', `/api/v1/namespaces/${crowded}/events`, { body: ev(i) });
      }
      const uri = vscode.Uri.from({ scheme: 'homelab-k8s-events', path: `/${encodeURIComponent(env.context)}/${encodeURIComponent(crowded)}.events` });
      const text = (await vscode.workspace.openTextDocument(uri)).getText();
      const rows = text.split('\n').filter((l) => /^ {2}Normal/.test(l));
      assert.equal(rows.length, 200);
      assert.match(rows[0], new RegExp(` R${count - 1} `), 'the newest first');
      assert.match(rows[199], new RegExp(` R${count - 200} `), 'the 200th newest last');
      assert.ok(!rows.some((r) => new RegExp(` R${count - 201} `).test(r)), 'older ones left out');
      assert.match(text, new RegExp(`${count - 200} older events not shown`));
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await env.other.request('DELETE', `/api/v1/namespaces/${crowded}`).catch(() => undefined);
    }
  });

  serverOnly('Kubernetes: a failing rollout\'s tooltip names its latest warning events (test server)', async function () {
    const broken = deployment('broken', ns, 1);
    broken.spec.template.spec.containers[0].image = 'busybox:broken';
    await post(`/apis/apps/v1/namespaces/${ns}/deployments`, broken);
    await event('ev-broken', 'Warning', 'Failed', { kind: 'Pod', name: 'broken-77f-xyz12' }, 5, 'Failed to pull image "busybox:broken"');
    const e = await eventually(async () => { const x = await item('Deployments', 'broken'); assert.match(desc(x), /ProgressDeadlineExceeded/); return x; }, 'broken is failing');
    const resolved = await tree().resolveTreeItem(tree().getTreeItem(e), e);
    const md = (resolved.tooltip as vscode.MarkdownString).value;
    assert.match(md, /Latest warning events/);
    assert.match(md, /Failed to pull image/);
  });

  it('Kubernetes: filters namespaces through the quick pick and the setting', async () => {
    const { failure } = await run('homelab.kubernetes.filterNamespaces', [[ns]], await walk(env.context));
    assert.equal(failure, undefined);
    assert.deepEqual(settings().get('namespaceFilter'), [ns]);
    await eventually(async () => assert.deepEqual((await kids(await walk(env.context))).filter((e) => e.kind !== 'nodes' && e.kind !== 'apps').map(label), [ns]), 'only the filtered namespace');
    await run('homelab.kubernetes.filterNamespaces', [[]], await walk(env.context));
    await eventually(async () => assert.ok((await kids(await walk(env.context))).length > 1), 'all namespaces again');
  });

  it('Kubernetes: switches the current context (written to the kubeconfig)', async () => {
    const file = join(env.tmp, 'two-contexts.yaml');
    const text = readFileSync(env.kubeconfigPath, 'utf8');
    writeFileSync(file, text);
    const second = join(env.tmp, 'second.yaml');
    const conn = (await api.kubernetesSession.modules()).kubeconfig.connectionFor((await api.kubernetesSession.modules()).kubeconfig.loadKubeconfig({ paths: [env.kubeconfigPath] }));
    writeKubeconfig(second, { contexts: [{ name: 'second', server: conn.server, caPem: conn.caPem, token: conn.token, namespace: ns }], currentContext: 'second' });
    await settings().update('kubeconfig', [file, second], vscode.ConfigurationTarget.Global);
    await eventually(async () => assert.ok((await kids()).some((e) => label(e) === 'second')), 'both contexts shown');
    const roots = await kids();
    const cur = (e: KubeElement) => tree().getTreeItem(e).contextValue === 'k8s-context-current';
    assert.deepEqual(roots.filter(cur).map(label), [env.context], 'the first file sets the current context');
    const { failure } = await run('homelab.kubernetes.useContext', [], roots.find((e) => label(e) === 'second'));
    assert.equal(failure, undefined);
    assert.match(readFileSync(file, 'utf8'), /^current-context: "second"$/m);
    assert.deepEqual((await kids()).filter(cur).map(label), ['second']);
    const { failure: f2 } = await run('homelab.kubernetes.useContext', [env.context]);
    assert.equal(f2, undefined);
    assert.deepEqual((await kids()).filter(cur).map(label), [env.context]);
    // Edited outside (kubectl config use-context, a new cluster added): the tree follows without a refresh.
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^current-context:.*$/m, 'current-context: second'));
    await eventually(async () => assert.deepEqual((await kids()).filter(cur).map(label), ['second']), 'the outside switch shows', 10_000);
    writeKubeconfig(second, { contexts: [{ name: 'second', server: conn.server, caPem: conn.caPem, token: conn.token, namespace: ns }, { name: 'third', server: conn.server, caPem: conn.caPem, token: conn.token }], currentContext: 'second' });
    await eventually(async () => assert.ok((await kids()).some((e) => label(e) === 'third')), 'a context added to a file shows', 10_000);
    await settings().update('kubeconfig', [env.kubeconfigPath], vscode.ConfigurationTarget.Global);
  });

  it('Kubernetes: scales a Deployment (validated number) and the tree shows the new count', async () => {
    const web = await item('Deployments', 'web');
    const bad = await run('homelab.kubernetes.scale', ['-1'], web);
    assert.match(bad.failure ?? '', /whole number from 0 to 1000/);
    const { result, failure } = await run<number>('homelab.kubernetes.scale', ['3'], web);
    assert.equal(failure, undefined);
    assert.equal(result, 3);
    await eventually(async () => assert.match(desc(await item('Deployments', 'web')), env.server ? /^3\/3 ready$/ : /^\d+\/3 ready/), 'web shows 3 desired', 30_000);
    const notScalable = await run('homelab.kubernetes.scale', [], await item('ConfigMaps', 'settings'));
    assert.match(notScalable.failure ?? '', /does not apply/);
  });

  it('Kubernetes: rollout restart stamps the restartedAt annotation', async () => {
    const { result, failure } = await run<string>('homelab.kubernetes.restart', [], await item('Deployments', 'web'));
    assert.equal(failure, undefined);
    assert.ok(result && !Number.isNaN(Date.parse(result)));
    const d = await env.other.request<{ spec: { template: { metadata: { annotations: Record<string, string> } } } }>('GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`);
    assert.equal(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], result);
  });

  it('Kubernetes: delete asks a modal naming kind/namespace/name; dismissing keeps the object', async () => {
    await post(cmPath(), configMap('doomed', { a: 'b' }));
    const e = await item('ConfigMaps', 'doomed');
    const asked = api.prompts.asked.length;
    await run('homelab.kubernetes.delete', [undefined], e);
    assert.equal(api.prompts.asked[asked], `Delete ConfigMap ${ns}/doomed?`);
    await env.other.request('GET', cmPath('doomed')); // still there
    const { failure } = await run('homelab.kubernetes.delete', ['Delete'], e);
    assert.equal(failure, undefined);
    await eventually(async () => assert.ok(!(await kids(await walk(env.context, ns, 'ConfigMaps'))).some((x) => label(x) === 'doomed')), 'doomed left the tree');
  });

  it('Kubernetes: a 409 conflict (object changed since it was shown) is reported', async () => {
    await post(cmPath(), configMap('contested', { a: 'b' }));
    const e = await item('ConfigMaps', 'contested');
    // Hidden view: watches stop, so the tree still holds the version the user saw.
    await vscode.commands.executeCommand('workbench.view.explorer');
    await eventually(() => assert.deepEqual(tree().activeWatches(), []), 'watches stopped');
    await env.other.request('PATCH', cmPath('contested'), { body: { data: { a: 'changed' } }, contentType: 'application/merge-patch+json' });
    const { failure } = await run('homelab.kubernetes.delete', ['Delete'], e);
    assert.match(failure ?? '', /409 Conflict|changed by someone else/);
    await env.other.request('GET', cmPath('contested')); // not deleted
    await vscode.commands.executeCommand('homelab.kubernetes.focus');
  });

  it('Kubernetes: view YAML is read-only and hides Secret values until revealed', async () => {
    const secret = await item('Secrets', 'db');
    const { result: doc } = await run<vscode.TextDocument>('homelab.kubernetes.viewYaml', [], secret);
    assert.ok(doc);
    assert.equal(doc.uri.scheme, 'homelab-k8s');
    assert.match(doc.getText(), /password: <redacted>/);
    assert.doesNotMatch(doc.getText(), new RegExp(Buffer.from('hunter2-secret').toString('base64')));
    const { result: shown } = await run<vscode.TextDocument>('homelab.kubernetes.revealSecret', [], secret);
    assert.match(shown!.getText(), new RegExp(Buffer.from('hunter2-secret').toString('base64')));
    const { result: dep } = await run<vscode.TextDocument>('homelab.kubernetes.viewYaml', [], await item('Deployments', 'web'));
    assert.match(dep!.getText(), /kind: Deployment/);
    assert.doesNotMatch(dep!.getText(), /managedFields/);
    const notSecret = await run('homelab.kubernetes.revealSecret', [], await item('ConfigMaps', 'settings'));
    assert.match(notSecret.failure ?? '', /does not apply/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Kubernetes: applies a file (dry run first) and a folder, with a summary; a field conflict is reported', async () => {
    const dir = join(env.tmp, 'manifests');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'app.yaml');
    const doc = (replicas: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: ${ns}\ndata:\n  k: v\n---\n${JSON.stringify(deployment('applied', ns, replicas))}\n`;
    writeFileSync(file, doc(1));
    const dry = await run<ApplyOutcome>('homelab.kubernetes.apply', ['Dry run (the server validates, nothing changes)'], vscode.Uri.file(file));
    assert.equal(dry.failure, undefined);
    assert.deepEqual(dry.result!.counts, { created: 2, configured: 0, unchanged: 0, failed: 0 });
    await assert.rejects(env.other.request('GET', cmPath('applied')), /not found/);
    const real = await run<ApplyOutcome>('homelab.kubernetes.apply', ['Apply'], vscode.Uri.file(file));
    assert.deepEqual(real.result!.counts, { created: 2, configured: 0, unchanged: 0, failed: 0 });
    await item('ConfigMaps', 'applied');
    const again = await run<ApplyOutcome>('homelab.kubernetes.apply', ['Apply'], vscode.Uri.file(dir));
    assert.equal(again.result!.counts.unchanged, 2, JSON.stringify(again.result!.counts));
    writeFileSync(file, doc(2));
    const changed = await run<ApplyOutcome>('homelab.kubernetes.apply', ['Apply'], vscode.Uri.file(dir));
    assert.deepEqual(changed.result!.counts, { created: 0, configured: 1, unchanged: 1, failed: 0 });
    // Another manager takes the replicas field: applying ours now conflicts (409), and says so.
    await env.other.request('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/applied`, {
      body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'applied', namespace: ns }, spec: { replicas: 4 } }),
      contentType: 'application/apply-patch+yaml', query: { fieldManager: 'someone-else', force: true },
    });
    writeFileSync(file, doc(3));
    const conflict = await run('homelab.kubernetes.apply', ['Apply'], vscode.Uri.file(file));
    assert.match(conflict.failure ?? '', /1 failed/);
    assert.match(conflict.failure ?? '', /409|conflict/i);
    // A sample folder shipped with the extension, applied through the picker.
    const sample = await run<ApplyOutcome>('homelab.kubernetes.apply', ['whoami', 'Dry run (the server validates, nothing changes)']);
    assert.equal(sample.failure, undefined);
    assert.deepEqual(sample.result!.results.map((r) => `${r.kind}/${r.name}`).sort(), ['Deployment/whoami', 'Service/whoami']);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'kind: [unclosed');
    const bad = await run('homelab.kubernetes.apply', ['Apply'], vscode.Uri.file(broken));
    assert.match(bad.failure ?? '', /not valid YAML/);
  });

  /** A running pod of web; on a real cluster that runs no container the test ends as NOT RUN. */
  async function runningPod(ctx: Mocha.Context, what: string): Promise<ObjectElement> {
    const find = async () => (await kids(await walk(env.context, ns, 'Pods'))).find((e) => e.kind === 'object' && /^Running/.test(desc(e))) as ObjectElement | undefined;
    if (env.server) return eventually(async () => { const p = await find(); assert.ok(p, 'a running pod of web'); return p; }, 'a pod runs');
    const nodes = await readyNodes(env);
    if (nodes === 0) notRun(ctx, `${what} needs a running container: the cluster at ${REAL_KUBECONFIG} has no Ready node (no kubelet)`);
    const p = await eventually(async () => { const x = await find(); assert.ok(x); return x; }, 'a pod runs', 60_000).catch(() => undefined);
    if (!p) notRun(ctx, `${what} needs a running container: no pod of ${ns}/web ran within 60 s (${(await kids(await walk(env.context, ns, 'Pods'))).map(desc).join('; ') || 'no pod'})`);
    return p;
  }

  it('Kubernetes: pod logs stream into a terminal (tail, then follow)', async function () {
    const pod = await runningPod(this, 'logs');
    const { result: pty, failure } = await run<K8sLogsTerminal>('homelab.kubernetes.logs', [], pod);
    assert.equal(failure, undefined);
    assert.ok(pty);
    assert.ok(vscode.window.terminals.some((t) => t.name === `Logs: ${pod.name}`));
    if (env.server) {
      await eventually(() => assert.match(pty.output, /main ready/), 'the existing log lines show');
      env.server.store.appendLog(ns, pod.name, 'main', 'a line written after opening');
      await eventually(() => assert.match(pty.output, /a line written after opening/), 'a new line follows');
    } else {
      await eventually(() => assert.match(pty.output, /homelab-hello/), 'the container output shows', 60_000);
    }
    const missing = await run('homelab.kubernetes.logs', [], { ...pod, name: 'no-such-pod', id: `${pod.id}-x` });
    assert.match(missing.failure ?? '', /no longer in namespace/);
  });

  serverOnly('Kubernetes: logs with options: container pick, tail N, no follow (test server)', async function () {
    assert.ok(env.server, 'the test server runs');
    env.server.store.create('pods', {
      metadata: { name: 'duo', namespace: ns }, spec: { containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'busybox' }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'a', ready: true }, { name: 'b', ready: true }] },
    });
    for (const l of ['b-one', 'b-two', 'b-three']) env.server.store.appendLog(ns, 'duo', 'b', l);
    env.server.store.appendLog(ns, 'duo', 'a', 'from-a');
    const pod = await item('Pods', 'duo');
    const bad = await run('homelab.kubernetes.logsWithOptions', ['b', 'ten'], pod);
    assert.match(bad.failure ?? '', /is invalid: A whole number of lines/);
    const { result: pty, failure } = await run<K8sLogsTerminal>('homelab.kubernetes.logsWithOptions', ['b', '2', 'Show and stop'], pod);
    assert.equal(failure, undefined);
    await pty!.ended; // not following: the stream ends by itself
    assert.match(pty!.output, /b-two\nb-three\n/);
    assert.doesNotMatch(pty!.output, /b-one|from-a/);
    assert.ok(vscode.window.terminals.some((t) => t.name === 'Logs: duo/b'));
  });

  it('Kubernetes: a shell in a container runs over exec, with resize', async function () {
    const pod = await runningPod(this, 'exec');
    const { result: pty, failure } = await run<K8sExecTerminal>('homelab.kubernetes.exec', [], pod);
    assert.equal(failure, undefined);
    await pty!.opened;
    pty!.handleInput('echo hello-from-exec\r');
    await eventually(() => assert.match(pty!.output, /hello-from-exec/), 'echo output');
    // The real terminal panel already sent its own size when it opened.
    await eventually(() => assert.ok(pty!.lastSize), 'the terminal reported its size');
    pty!.setDimensions({ columns: 132, rows: 43 });
    assert.deepEqual(pty!.lastSize, { cols: 132, rows: 43 });
    await sleep(300);
    pty!.handleInput('stty size\r');
    // The panel may resize again meanwhile: the container must see the last size sent.
    await eventually(() => assert.match(pty!.output, new RegExp(`stty size\\r?\\n${pty!.lastSize!.rows} ${pty!.lastSize!.cols}\\r?\\n`)), 'the container sees the last size');
    pty!.handleInput('exit 3\r');
    assert.equal((await pty!.exited).code, 3);
    await eventually(() => assert.match(pty!.output, /ended with code 3/), 'exit shown');
  });

  serverOnly('Kubernetes: broken contexts show a clear message each; the others keep working', async function () {
    assert.ok(env.server, 'the test server runs');
    const s = env.server;
    const broken = join(env.tmp, 'broken.yaml');
    writeKubeconfig(broken, {
      contexts: [
        { name: 'missing-ca', server: s.url, caFile: join(env.tmp, 'no-such-ca.crt'), token: s.token },
        { name: 'plugin-fails', server: s.url, caPem: s.caPem, exec: { command: '/bin/false' } },
        { name: 'unreachable', server: 'https://127.0.0.1:1', caPem: s.caPem, token: s.token },
        { name: 'expired', server: s.url, caPem: s.caPem, token: 'expired-token' },
      ],
      currentContext: 'missing-ca',
    });
    const malformed = join(env.tmp, 'malformed.yaml');
    writeFileSync(malformed, 'clusters: [\n  - {name: x\n');
    const missing = join(env.tmp, 'missing.yaml');
    s.store.create('namespaces', { metadata: { name: 'locked' } });
    s.forbidNamespace('locked');
    try {
      await settings().update('kubeconfig', [env.kubeconfigPath, broken, malformed, missing], vscode.ConfigurationTarget.Global);
      await eventually(async () => assert.ok((await kids()).some((e) => label(e) === 'expired')), 'the broken file is read');
      const roots = await kids();
      const messages = roots.filter((e) => e.kind === 'message').map((e) => desc(e));
      assert.ok(messages.some((m) => m.includes(malformed) && /not valid YAML/.test(m)), messages.join(' | '));
      assert.ok(messages.some((m) => m.includes(missing) && /does not exist/.test(m)), messages.join(' | '));
      const problem = async (ctx: string) => {
        const list = await kids(await walk(ctx));
        assert.equal(list.length, 1, `${ctx}: ${list.map(label).join(', ')}`);
        assert.equal(list[0].kind, 'message');
        return `${label(list[0])}: ${desc(list[0])}`;
      };
      assert.match(await problem('missing-ca'), /certificate-authority file .*no-such-ca\.crt does not exist/);
      assert.match(await problem('plugin-fails'), /credential plugin "\/bin\/false".*failed/);
      assert.match(await problem('unreachable'), /API server unreachable: Cannot reach/);
      assert.match(await problem('expired'), /Credentials rejected \(401\)/);
      assert.equal(tree().getTreeItem(await walk('expired')).description?.toString().includes('unavailable'), true);
      // The good context is untouched, and a forbidden namespace fails alone. (ConfigMaps: Deployments
      // may come from a context-wide watch another view keeps, e.g. the Applications group, and a
      // user who may watch them across namespaces may read them in each: no 403 to show there.)
      const locked = await kids(await walk(env.context, 'locked', 'ConfigMaps'));
      assert.equal(locked.length, 1);
      assert.match(`${label(locked[0])}: ${desc(locked[0])}`, /Forbidden \(403\): Access to namespace "locked" is forbidden/);
      assert.equal(desc(await item('ConfigMaps', 'settings')), await keysNow('settings'));
    } finally {
      s.allowNamespace('locked');
      await settings().update('kubeconfig', [env.kubeconfigPath], vscode.ConfigurationTarget.Global);
    }
  });
});
