import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  K3sError, KubeconfigConflictError, mergeKubeconfig, readinessOf, removeKubeconfigEntries, rewriteK3sKubeconfig, writeStandaloneKubeconfig,
} from '../../../src/providers/k3s';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml: { load(s: string): any } = require('js-yaml');

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
/** What K3s writes to /etc/rancher/k3s/k3s.yaml. */
const K3S_YAML = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${CA}
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: Y2VydA==
    client-key-data: a2V5
`;

const mode = (p: string) => statSync(p).mode & 0o777;

describe('k3s: kubeconfig', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'k3s-kc-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rewrites k3s.yaml: server = the API address, everything named homelab-<cluster>, credentials kept', () => {
    const out = yaml.load(rewriteK3sKubeconfig(K3S_YAML, 'homelab-lab', 'https://10.0.0.10:6443'));
    assert.equal(out['current-context'], 'homelab-lab');
    assert.deepEqual(out.clusters, [{ name: 'homelab-lab', cluster: { 'certificate-authority-data': CA, server: 'https://10.0.0.10:6443' } }]);
    assert.deepEqual(out.users, [{ name: 'homelab-lab', user: { 'client-certificate-data': 'Y2VydA==', 'client-key-data': 'a2V5' } }]);
    assert.deepEqual(out.contexts, [{ name: 'homelab-lab', context: { cluster: 'homelab-lab', user: 'homelab-lab' } }]);
  });

  it('refuses a k3s.yaml without CA, an incomplete one, non-YAML, and a non-https API address', () => {
    assert.throws(() => rewriteK3sKubeconfig(K3S_YAML.replace(/certificate-authority-data.*\n/, ''), 'homelab-lab', 'https://h:6443'), /certificate-authority-data/);
    assert.throws(() => rewriteK3sKubeconfig('apiVersion: v1\nkind: Config\n', 'homelab-lab', 'https://h:6443'), /no complete context/);
    assert.throws(() => rewriteK3sKubeconfig('{ not: [yaml', 'homelab-lab', 'https://h:6443'), (e: unknown) => e instanceof K3sError && /not valid YAML/.test(e.message));
    assert.throws(() => rewriteK3sKubeconfig(K3S_YAML, 'homelab-lab', 'http://h:6443'), /must be https/);
    assert.throws(() => rewriteK3sKubeconfig(K3S_YAML, 'Bad Name', 'https://h:6443'), /not a valid context name/);
  });

  it('standalone: written 0600 atomically (no temp file left)', async () => {
    const p = join(dir, 'sub', 'homelab-lab.yaml');
    await writeStandaloneKubeconfig(p, rewriteK3sKubeconfig(K3S_YAML, 'homelab-lab', 'https://h:6443'));
    assert.equal(mode(p), 0o600);
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['homelab-lab.yaml']);
  });

  it('merge into a missing file creates it 0600; into an existing one keeps its entries and mode, with a 0600 backup', async () => {
    const kc = rewriteK3sKubeconfig(K3S_YAML, 'homelab-lab', 'https://h:6443');
    const fresh = join(dir, 'new', 'config');
    assert.deepEqual(await mergeKubeconfig(fresh, kc), { backup: undefined, replaced: false });
    assert.equal(mode(fresh), 0o600);
    assert.equal(yaml.load(readFileSync(fresh, 'utf8'))['current-context'], 'homelab-lab');

    const existing = join(dir, 'config');
    const before = 'apiVersion: v1\nkind: Config\ncurrent-context: work\nclusters:\n- name: work\n  cluster: {server: "https://work:6443"}\nusers:\n- name: work\n  user: {token: abc}\ncontexts:\n- name: work\n  context: {cluster: work, user: work}\n';
    writeFileSync(existing, before, { mode: 0o640 });
    chmodSync(existing, 0o640);
    const r = await mergeKubeconfig(existing, kc);
    assert.equal(r.backup, `${existing}.homelab-backup`);
    assert.equal(readFileSync(r.backup!, 'utf8'), before);
    assert.equal(mode(r.backup!), 0o600);
    assert.equal(mode(existing), 0o640, 'the mode the user chose stays');
    const doc = yaml.load(readFileSync(existing, 'utf8'));
    assert.deepEqual(doc.contexts.map((c: any) => c.name), ['work', 'homelab-lab']);
    assert.equal(doc['current-context'], 'work', 'not switched unless asked');
    await mergeKubeconfig(existing, kc, { replace: true, setCurrent: true });
    assert.equal(yaml.load(readFileSync(existing, 'utf8'))['current-context'], 'homelab-lab');
  });

  it('an existing context of that name is never overwritten silently: a typed conflict, file untouched', async () => {
    const p = join(dir, 'config');
    writeFileSync(p, rewriteK3sKubeconfig(K3S_YAML, 'homelab-lab', 'https://old:6443'));
    const before = readFileSync(p, 'utf8');
    await assert.rejects(mergeKubeconfig(p, rewriteK3sKubeconfig(K3S_YAML, 'homelab-lab', 'https://new:6443')), (e: unknown) => {
      assert.ok(e instanceof KubeconfigConflictError);
      assert.deepEqual(e.entries, ['cluster', 'user', 'context']);
      assert.equal(e.entryName, 'homelab-lab');
      assert.match(e.message, /does not overwrite it silently/);
      return true;
    });
    assert.equal(readFileSync(p, 'utf8'), before);
    assert.ok(!existsSync(`${p}.homelab-backup`));
    const r = await mergeKubeconfig(p, rewriteK3sKubeconfig(K3S_YAML, 'homelab-lab', 'https://new:6443'), { replace: true });
    assert.equal(r.replaced, true);
    const doc = yaml.load(readFileSync(p, 'utf8'));
    assert.equal(doc.clusters.length, 1);
    assert.equal(doc.clusters[0].cluster.server, 'https://new:6443');
  });

  it('a kubeconfig that cannot be written or parsed is a clear error', async () => {
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    writeFileSync(join(ro, 'config'), 'clusters: 5\n');
    await assert.rejects(mergeKubeconfig(join(ro, 'config'), rewriteK3sKubeconfig(K3S_YAML, 'homelab-lab', 'https://h:6443')), /"clusters" must be a list/);
    const blocker = join(dir, 'file');
    writeFileSync(blocker, 'x');
    await assert.rejects(writeStandaloneKubeconfig(join(blocker, 'kc.yaml'), rewriteK3sKubeconfig(K3S_YAML, 'homelab-lab', 'https://h:6443')),
      (e: unknown) => e instanceof K3sError && e.kind === 'kubeconfig-write' && /Cannot (create|write)/.test(e.message));
  });

  it('uninstall removes exactly the homelab entries (with a backup)', async () => {
    const p = join(dir, 'config');
    writeFileSync(p, 'apiVersion: v1\nkind: Config\ncurrent-context: homelab-lab\nclusters:\n- name: work\n  cluster: {server: "https://w"}\nusers: []\ncontexts:\n- name: work\n  context: {cluster: work}\n');
    await mergeKubeconfig(p, rewriteK3sKubeconfig(K3S_YAML, 'homelab-lab', 'https://h:6443'));
    assert.equal(await removeKubeconfigEntries(p, 'homelab-lab'), true);
    const doc = yaml.load(readFileSync(p, 'utf8'));
    assert.deepEqual([doc.clusters.length, doc.users.length, doc.contexts.length], [1, 0, 1]);
    assert.equal(doc['current-context'], 'work');
    assert.equal(await removeKubeconfigEntries(p, 'homelab-lab'), false);
    assert.equal(await removeKubeconfigEntries(join(dir, 'none'), 'homelab-lab'), false);
  });

  it('readiness: version, roles and the condition not yet true', () => {
    assert.deepEqual(readinessOf(undefined), { ready: false, roles: [], waitingFor: 'not registered with the API yet' });
    const node = (conditions: unknown[]) => ({
      metadata: { name: 'n', labels: { 'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/etcd': 'true', other: 'x' } },
      status: { nodeInfo: { kubeletVersion: 'v1.31.4+k3s1' }, conditions },
    });
    assert.deepEqual(readinessOf(node([])), { ready: false, version: 'v1.31.4+k3s1', roles: ['control-plane', 'etcd'], waitingFor: 'no Ready condition yet (kubelet starting)' });
    assert.equal(readinessOf(node([{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'cni not initialized' }])).waitingFor, 'Ready=False (KubeletNotReady: cni not initialized)');
    const ok = readinessOf(node([{ type: 'Ready', status: 'True' }, { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure' }]));
    assert.equal(ok.ready, true);
    assert.equal(ok.waitingFor, 'DiskPressure=True (KubeletHasDiskPressure)');
  });
});
