// The kinds "Set Up NFS Storage" applies (RBAC, CSIDriver, StorageClass, the driver's workloads)
// and the claim it makes, as the API answers them: discovery, server-side apply, scope, 404 / 409 /
// 422, and a claim of a class whose provisioner never acts staying Pending with the
// persistentvolume controller's event. Runs against the test server and, with
// HOMELAB_TEST_KUBECONFIG, against a real kube-apiserver + controller-manager (no container needed).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setupEnv, TestEnv, eventually } from './env';
import { isKubeError, KubeError } from '../../../src/providers/kubernetes/errors';
import type { KubeObject } from '../../../src/providers/kubernetes/resources';

async function caught(p: Promise<unknown>): Promise<KubeError> {
  try { await p; } catch (e) { assert.ok(isKubeError(e), String(e)); return e; }
  assert.fail('expected an error');
}

describe('k8s storage kinds: RBAC, CSIDriver, StorageClass, a claim nothing provisions', function () {
  this.timeout(60_000);
  let env: TestEnv;
  const id = randomBytes(3).toString('hex');
  const scName = `homelab-test-sc-${id}`;
  const provisioner = `test-${id}.homelab.example`;
  const crName = `homelab-test-cr-${id}`;
  const apply = (path: string, body: object) => env.client.request<KubeObject>('PATCH', path, { body, contentType: 'application/apply-patch+yaml', query: { fieldManager: 'homelab-test' } });
  const scPath = `/apis/storage.k8s.io/v1/storageclasses/${scName}`;
  const sc = (params: Record<string, string>) => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: scName }, provisioner, parameters: params, reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });

  before(async () => { env = await setupEnv(); });
  after(async () => {
    for (const p of [scPath, `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${crName}`, `/apis/rbac.authorization.k8s.io/v1/clusterroles/${crName}`]) {
      await env.client.request('DELETE', p).catch(() => undefined);
    }
    await env.close();
  });

  it('discovery lists the kinds with their scope', async () => {
    const storage = await env.client.request<{ resources: Array<{ name: string; namespaced: boolean; kind: string }> }>('GET', '/apis/storage.k8s.io/v1');
    const rbac = await env.client.request<{ resources: Array<{ name: string; namespaced: boolean }> }>('GET', '/apis/rbac.authorization.k8s.io/v1');
    const core = await env.client.request<{ resources: Array<{ name: string; namespaced: boolean }> }>('GET', '/api/v1');
    const scope = (list: Array<{ name: string; namespaced: boolean }>, n: string) => list.find((r) => r.name === n)?.namespaced;
    assert.equal(scope(storage.resources, 'storageclasses'), false);
    assert.equal(scope(storage.resources, 'csidrivers'), false);
    assert.equal(scope(rbac.resources, 'clusterroles'), false);
    assert.equal(scope(rbac.resources, 'clusterrolebindings'), false);
    assert.equal(scope(rbac.resources, 'roles'), true);
    assert.equal(scope(core.resources, 'serviceaccounts'), true);
    assert.equal(scope(core.resources, 'persistentvolumeclaims'), true);
    assert.equal(scope(core.resources, 'persistentvolumes'), false);
    const groups = await env.client.request<{ groups: Array<{ name: string }> }>('GET', '/apis');
    for (const g of ['storage.k8s.io', 'rbac.authorization.k8s.io']) assert.ok(groups.groups.some((x) => x.name === g), g);
  });

  it('a StorageClass: server-side apply creates, re-applies unchanged, refuses changed parameters (422); cluster-scoped only', async () => {
    const created = await apply(scPath, sc({ server: 'nas', share: '/srv/a' }));
    assert.equal(created.metadata.namespace, undefined);
    assert.deepEqual(created.parameters, { server: 'nas', share: '/srv/a' });
    const again = await apply(scPath, sc({ server: 'nas', share: '/srv/a' }));
    assert.equal(again.metadata.resourceVersion, created.metadata.resourceVersion, 'a no-op apply keeps the resourceVersion');
    const changed = await caught(apply(scPath, sc({ server: 'nas', share: '/srv/b' })));
    assert.equal(changed.httpStatus, 422);
    assert.match(changed.message, /updates to parameters are forbidden/);
    const dup = await caught(env.client.request('POST', '/apis/storage.k8s.io/v1/storageclasses', { body: sc({ server: 'nas', share: '/srv/a' }) }));
    assert.equal(dup.httpStatus, 409);
    const noProvisioner = await caught(env.client.request('POST', '/apis/storage.k8s.io/v1/storageclasses', { body: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: `${scName}-x` } } }));
    assert.equal(noProvisioner.httpStatus, 422);
    assert.match(noProvisioner.message, /provisioner/);
    const namespaced = await caught(env.client.request('GET', `/apis/storage.k8s.io/v1/namespaces/${env.namespace}/storageclasses/${scName}`));
    assert.equal(namespaced.httpStatus, 404);
    const missing = await caught(env.client.request('GET', `/apis/storage.k8s.io/v1/storageclasses/${scName}-none`));
    assert.equal(missing.httpStatus, 404);
  });

  it('RBAC: a ClusterRoleBinding\'s roleRef cannot change (422); a ServiceAccount lives in its namespace', async () => {
    await apply(`/apis/rbac.authorization.k8s.io/v1/clusterroles/${crName}`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: crName }, rules: [{ apiGroups: [''], resources: ['persistentvolumes'], verbs: ['get', 'list'] }] });
    const crb = (role: string) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: crName }, subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: env.namespace }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role } });
    await apply(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${crName}`, crb(crName));
    const moved = await caught(apply(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${crName}`, crb('view')));
    assert.equal(moved.httpStatus, 422);
    assert.match(moved.message, /cannot change roleRef/);
    const sa = await apply(`/api/v1/namespaces/${env.namespace}/serviceaccounts/sa`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: env.namespace } });
    assert.equal(sa.metadata.namespace, env.namespace);
  });

  it('a claim of a class whose provisioner never acts stays Pending, handed to the external provisioner', async () => {
    const bad = await caught(env.client.request('POST', `/api/v1/namespaces/${env.namespace}/persistentvolumeclaims`, { body: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'no-modes' }, spec: { storageClassName: scName, resources: { requests: { storage: '1Mi' } } } } }));
    assert.equal(bad.httpStatus, 422);
    assert.match(bad.message, /at least 1 access mode is required/);
    const claim = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'check' }, spec: { accessModes: ['ReadWriteMany'], storageClassName: scName, resources: { requests: { storage: '1Mi' } } } };
    const pvc = await env.client.request<KubeObject>('POST', `/api/v1/namespaces/${env.namespace}/persistentvolumeclaims`, { body: claim });
    assert.equal(pvc.status?.phase, 'Pending');
    const event = await eventually(async () => {
      const list = await env.client.request<{ items: Array<{ reason: string; message: string; type: string; source?: { component?: string } }> }>('GET', `/api/v1/namespaces/${env.namespace}/events`, { query: { fieldSelector: 'involvedObject.name=check' } });
      const e = list.items.find((x) => x.reason === 'ExternalProvisioning');
      assert.ok(e, `ExternalProvisioning among ${list.items.map((x) => x.reason).join(', ') || 'no events'}`);
      return e;
    }, 30_000, 200);
    assert.equal(event.type, 'Normal');
    assert.match(event.message, new RegExp(`external provisioner ['"]${provisioner.replace(/\./g, '\\.')}['"]`));
    const now = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${env.namespace}/persistentvolumeclaims/check`);
    assert.equal(now.status?.phase, 'Pending');
    assert.equal(now.metadata.annotations?.['volume.kubernetes.io/storage-provisioner'], provisioner);
    const immutable = await caught(env.client.request('PATCH', `/api/v1/namespaces/${env.namespace}/persistentvolumeclaims/check`, { body: { spec: { accessModes: ['ReadWriteOnce'] } }, contentType: 'application/merge-patch+json' }));
    assert.equal(immutable.httpStatus, 422);
    assert.match(immutable.message, /spec is immutable after creation/);
    await env.client.request('DELETE', `/api/v1/namespaces/${env.namespace}/persistentvolumeclaims/check`);
    await eventually(async () => assert.equal((await caught(env.client.request('GET', `/api/v1/namespaces/${env.namespace}/persistentvolumeclaims/check`))).httpStatus, 404), 30_000, 200);
  });
});
