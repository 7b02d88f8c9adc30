// "Set Up NFS Storage (K3s)" in the extension host, against the Kubernetes API test server (or a
// REAL cluster with HOMELAB_TEST_KUBECONFIG): the pinned NFS CSI driver manifests and the
// StorageClass `nfs` applied by server-side apply, then the test claim. No provisioner runs in
// either place the tests use (the test server has none; a real cluster here cannot pull the
// driver's images), so the claim stays Pending: the command must say so, name the class and what
// to check, and delete the claim. No Ready node: the claim is skipped with a clear message.
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { NfsResult } from '../../src/commands/k3s/nfs';
import type { HomelabApi } from '../../src/extension';
import { isKubeError } from '../../src/providers/kubernetes/errors';
import type { KubeObject } from '../../src/providers/kubernetes/resources';
import { notRun } from '../harness/not-run';
import { readyNodes, REAL_KUBECONFIG, setupK8sEnv, type K8sEnv } from './k8s-env';
import { activateHomelab, runScripted as run } from './util';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml: { loadAll(s: string): any[] } = require('js-yaml');

const CLUSTER = 'nfslab';
const STORAGE = join(__dirname, '..', '..', 'resources', 'k8s', 'storage');
const BIND_TIMEOUT_MS = 3000;

/** The objects the command applies: every pinned manifest, then the StorageClass nfs. */
function expectedObjects(): Array<{ apiVersion: string; kind: string; name: string; namespace?: string; path: string }> {
  const plural: Record<string, string> = { ServiceAccount: 'serviceaccounts', ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings', CSIDriver: 'csidrivers', Deployment: 'deployments', DaemonSet: 'daemonsets', StorageClass: 'storageclasses', Role: 'roles', RoleBinding: 'rolebindings' };
  const docs = readdirSync(STORAGE).filter((f) => f.endsWith('.yaml')).sort()
    .flatMap((f) => yaml.loadAll(readFileSync(join(STORAGE, f), 'utf8')).filter(Boolean));
  docs.push({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'nfs' } });
  return docs.map((d) => {
    const p = plural[d.kind];
    assert.ok(p, `the test knows the kind ${d.kind}`);
    const base = d.apiVersion.includes('/') ? `/apis/${d.apiVersion}` : `/api/${d.apiVersion}`;
    const ns = d.metadata.namespace as string | undefined;
    return { apiVersion: d.apiVersion, kind: d.kind, name: d.metadata.name, namespace: ns, path: `${base}${ns ? `/namespaces/${ns}` : ''}/${p}/${d.metadata.name}` };
  });
}

describe('K3s NFS storage: Set Up NFS Storage against the API test server (or HOMELAB_TEST_KUBECONFIG)', function () {
  this.timeout(120_000);
  let api: HomelabApi;
  let env: K8sEnv;
  const ws = () => vscode.workspace.workspaceFolders![0].uri;
  const nix = () => vscode.workspace.getConfiguration('homelab.nix');
  const clusterPath = () => join(ws().fsPath, 'homelab', 'clusters', `${CLUSTER}.yaml`);
  const objects = expectedObjects();

  async function get(path: string): Promise<KubeObject | undefined> {
    try { return await env.other.request<KubeObject>('GET', path); } catch (e) { if (isKubeError(e, 'notFound')) return undefined; throw e; }
  }
  /** Removes what the command applies (a real cluster outlives the suite). */
  async function removeApplied(): Promise<void> {
    for (const o of [...objects].reverse()) await env.other.request('DELETE', o.path).catch((e) => { if (!isKubeError(e, 'notFound')) throw e; });
  }
  async function nfsSettings(server: string, share: string): Promise<void> {
    await nix().update('nfsServer', server || undefined, vscode.ConfigurationTarget.Global);
    await nix().update('nfsExport', share || undefined, vscode.ConfigurationTarget.Global);
  }
  const setUp = () => run<NfsResult>(api, 'homelab.k3s.setUpNfs', [], { name: CLUSTER });
  /** Test claims the command left in default (there must be none once it returns). */
  async function leftClaims(): Promise<string[]> {
    const list = await env.other.request<{ items: KubeObject[] }>('GET', '/api/v1/namespaces/default/persistentvolumeclaims');
    return list.items.map((c) => c.metadata.name).filter((n) => n.startsWith('homelab-nfs-check-'));
  }
  async function eventually<T>(what: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      try { return await fn(); } catch (e) {
        if (Date.now() > end) throw new Error(`timed out waiting until ${what}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  const noClaimLeft = () => eventually('the test claim is gone', async () => assert.deepEqual(await leftClaims(), []));
  /** A Ready node: registered on the test server (its kubelet stand-in makes it Ready), the real cluster's own. */
  async function readyNode(ctx: Mocha.Context): Promise<void> {
    if (!env.server) {
      if (!await readyNodes(env)) notRun(ctx, `needs a Ready node: the cluster at ${REAL_KUBECONFIG} has none`);
      return;
    }
    if (!env.server.store.get('nodes', undefined, 'nfslab-cp-1')) env.server.store.create('nodes', { metadata: { name: 'nfslab-cp-1', labels: { 'node-role.kubernetes.io/control-plane': 'true' } }, status: { conditions: [] } });
    await eventually('the node is Ready', async () => assert.equal(await readyNodes({ ...env, server: undefined }), 1), 10_000);
  }

  before(async () => {
    api = await activateHomelab();
    env = await setupK8sEnv();
    if (REAL_KUBECONFIG) { console.log(`    (real cluster mode: ${REAL_KUBECONFIG})`); await removeApplied(); }
    await api.kubernetesSession.addKubeconfigFile(env.kubeconfigPath);
    const server = env.server?.url ?? 'https://127.0.0.1:16443';
    mkdirSync(join(ws().fsPath, 'homelab', 'clusters'), { recursive: true });
    writeFileSync(clusterPath(), [
      `name: ${CLUSTER}`, `tag: homelab-cluster-${CLUSTER}`, 'proxmoxCluster: lab', 'sshUser: admin', 'nodes:',
      `  - name: ${CLUSTER}-cp-1`, '    vmid: 300', '    proxmoxNode: pve1', '    role: control-plane', '    ip: 10.0.0.10',
      'k3s:', '  channel: "1.31"', `  apiUrl: "${server}"`, `  context: "${env.context}"`, '  storage: extension',
      `  kubeconfig: "${env.kubeconfigPath}"`, '  keep: []', '  clusterCidr: "10.42.0.0/16"', '  serviceCidr: "10.43.0.0/16"',
      '  bootstrappedAt: "2026-12-01T10:00:00.000Z"', '',
    ].join('\n'));
    api.k3sTuning.nfsBindTimeoutMs = BIND_TIMEOUT_MS;
  });
  after(async () => {
    await nfsSettings('', '');
    delete api.k3sTuning.nfsBindTimeoutMs;
    rmSync(clusterPath(), { force: true });
    if (env) {
      if (REAL_KUBECONFIG) await removeApplied();
      await api.kubernetesSession.removeKubeconfigFile(env.kubeconfigPath);
      await env.close();
    }
  });

  it('K3s NFS: refuses a template without NFS settings or an export that is not host:/path, applying nothing', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['', '', /The template has no NFS settings: set homelab\.nix\.nfsServer and homelab\.nix\.nfsExport/],
      ['nas.lab', '', /The template has no NFS settings/],
      ['nas.lab', 'nas.lab:/srv/k8s', /NFS export "nas\.lab:\/srv\/k8s" is not a plain absolute path .*host:\/path/],
      ['nas.lab', 'srv/k8s', /NFS export "srv\/k8s" is not a plain absolute path/],
      ['nas.lab', '/srv/../etc', /NFS export "\/srv\/\.\.\/etc" is not a plain absolute path/],
      ['nas; rm -rf /', '/srv/k8s', /NFS server "nas; rm -rf \/" is not a host name or address/],
    ];
    for (const [server, share, want] of cases) {
      await nfsSettings(server, share);
      const r = await setUp();
      assert.equal(r.result, undefined, `${server} ${share}: no result`);
      assert.match(r.failure ?? '', want, `${server} ${share}`);
    }
    for (const o of objects) assert.equal(await get(o.path), undefined, `${o.kind}/${o.name} was not applied`);
    assert.deepEqual(await leftClaims(), []);
  });

  it('K3s NFS: with no Ready node the driver and class are applied whole and the test claim is skipped, saying so', async function () {
    if (!env.server && await readyNodes(env)) notRun(this, `needs a cluster without a Ready node: the one at ${REAL_KUBECONFIG} has a kubelet`);
    await nfsSettings('nas.lab', '/srv/k8s');
    const first = await setUp();
    assert.equal(first.failure, undefined);
    assert.equal(first.result?.check, 'skipped-no-ready-node');
    assert.match(first.result!.message, /StorageClass "nfs" are set up on nfslab .*but no node is Ready \(no nodes\), so the test claim was skipped/);
    assert.deepEqual(first.result!.objects.map((o) => `${o.kind}/${o.name}`), objects.map((o) => `${o.kind}/${o.name}`));
    assert.ok(first.result!.objects.every((o) => o.outcome === 'created'), first.result!.applied);
    for (const o of objects) assert.ok(await get(o.path), `${o.kind}/${o.name} exists`);
    assert.deepEqual(await leftClaims(), [], 'no test claim was made');
    if (env.server) {
      // a node that never gets Ready (kubelet down) is no better than none
      env.server.store.create('nodes', { metadata: { name: 'nfslab-down', annotations: { 'homelab.test/never-ready': 'true' } }, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime is down' }] } });
      const again = await setUp();
      assert.equal(again.result?.check, 'skipped-no-ready-node', again.failure);
      assert.match(again.result!.message, /\(1 nodes, none Ready\)/);
      assert.match(again.result!.message, new RegExp(`0 created, 0 configured, ${objects.length} unchanged`));
      env.server.store.delete('nodes', undefined, 'nfslab-down');
      assert.deepEqual(await leftClaims(), []);
    }
  });

  it('K3s NFS: with Ready nodes but no provisioner the class points at the export, the claim stays Pending past the timeout, the user is told what to check, and the claim is deleted', async function () {
    await readyNode(this);
    await nfsSettings('nas.lab', '/srv/k8s');
    const seen: string[] = [];
    const t0 = Date.now();
    // record the claim's phases as a second client sees them (it must never be Bound)
    const poll = setInterval(() => void env.other.request<{ items: KubeObject[] }>('GET', '/api/v1/namespaces/default/persistentvolumeclaims')
      .then((l) => { for (const c of l.items) if (c.metadata.name.startsWith('homelab-nfs-check-')) seen.push(`${c.metadata.name}:${c.status?.phase}`); }).catch(() => undefined), 250);
    let r: Awaited<ReturnType<typeof setUp>>;
    try { r = await setUp(); } finally { clearInterval(poll); }
    assert.equal(r.result, undefined);
    assert.ok(Date.now() - t0 >= BIND_TIMEOUT_MS, 'it waited the whole bind timeout');
    const f = r.failure ?? '';
    assert.match(f, /a test claim of StorageClass "nfs" was not bound within 3 s/);
    assert.match(f, /ExternalProvisioning: .*external provisioner ['"]nfs\.csi\.k8s\.io['"]/, 'the claim\'s last event');
    assert.match(f, /it was deleted again/);
    assert.match(f, /kube-system \(Deployment csi-nfs-controller, DaemonSet csi-nfs-node, provisioner nfs\.csi\.k8s\.io\)/);
    assert.match(f, /nas\.lab:\/srv\/k8s is exported to the nodes read-write/);
    assert.ok(seen.length > 0, 'the test claim existed while the command waited');
    assert.ok(seen.every((s) => s.endsWith(':Pending')), seen.join(', '));
    const sc = await get('/apis/storage.k8s.io/v1/storageclasses/nfs');
    assert.ok(sc, 'StorageClass nfs');
    assert.equal(sc.provisioner, 'nfs.csi.k8s.io');
    assert.deepEqual(sc.parameters, { server: 'nas.lab', share: '/srv/k8s' });
    assert.equal(sc.reclaimPolicy, 'Delete');
    const driver = await get('/apis/storage.k8s.io/v1/csidrivers/nfs.csi.k8s.io');
    assert.equal(driver?.spec?.attachRequired, false);
    for (const o of objects) assert.ok(await get(o.path), `${o.kind}/${o.name} exists`);
    await noClaimLeft();
  });

  it('K3s NFS: running it twice changes nothing (server-side apply reports every object unchanged)', async function () {
    await readyNode(this);
    await nfsSettings('nas.lab', '/srv/k8s');
    await setUp();
    const before = new Map<string, KubeObject>();
    for (const o of objects) before.set(o.path, (await get(o.path))!);
    const second = await setUp();
    assert.match(second.failure ?? '', new RegExp(`applied \\(0 created, 0 configured, ${objects.length} unchanged\\)`));
    for (const o of objects) {
      const now = (await get(o.path))!;
      const was = before.get(o.path)!;
      assert.equal(now.metadata.uid, was.metadata.uid, `${o.kind}/${o.name} was not replaced`);
      // workloads' status moves with their pods; their spec (generation) must not
      if (o.kind === 'Deployment' || o.kind === 'DaemonSet') assert.equal(now.metadata.generation, was.metadata.generation, `${o.kind}/${o.name}`);
      else assert.equal(now.metadata.resourceVersion, was.metadata.resourceVersion, `${o.kind}/${o.name} unchanged`);
    }
    // a changed export cannot be applied over the class (its parameters are immutable): said
    // before anything is applied
    await nfsSettings('nas.lab', '/srv/other');
    const changed = await setUp();
    assert.match(changed.failure ?? '', /StorageClass "nfs" on nfslab already points at nas\.lab:\/srv\/k8s \(nfs\.csi\.k8s\.io\), not at the template's export nas\.lab:\/srv\/other\. A StorageClass cannot be changed: delete it/);
    assert.deepEqual((await get('/apis/storage.k8s.io/v1/storageclasses/nfs'))?.parameters, { server: 'nas.lab', share: '/srv/k8s' });
    await noClaimLeft();
  });
});
