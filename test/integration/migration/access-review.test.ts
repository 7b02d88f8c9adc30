// The test server's SelfSubjectAccessReview (what the migration's preflight asks): answered from the
// same rules as requests, never stored, create only, as kube-apiserver serves it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startK8sServer, type K8sTestServer } from '../../k8s-server';
import { KubeClient } from '../../../src/providers/kubernetes/client';
import { isKubeError } from '../../../src/providers/kubernetes/errors';
import { connectionFor, loadKubeconfig } from '../../../src/providers/kubernetes/kubeconfig';

const PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
type Review = { kind: string; status: { allowed: boolean; reason?: string } };

describe('test server: SelfSubjectAccessReview', () => {
  let server: K8sTestServer;
  let client: KubeClient;
  let tmp: string;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'homelab-ssar-'));
    server = await startK8sServer({ controller: false });
    client = new KubeClient(connectionFor(loadKubeconfig({ paths: [server.writeKubeconfig(join(tmp, 'config'))] })));
  });
  after(async () => { await server?.close(); rmSync(tmp, { recursive: true, force: true }); });

  const ask = (namespace: string | undefined, verb: string, resource: string, subresource?: string) => client.request<Review>('POST', PATH, {
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace, verb, resource, subresource } } },
  });

  it('allows by default, denies everything in a forbidden namespace (the reason names it), and a cluster-scope rule', async () => {
    assert.equal((await ask('shop', 'create', 'pods', 'exec')).status.allowed, true);
    server.forbidNamespace('shop');
    const denied = await ask('shop', 'create', 'pods', 'exec');
    assert.equal(denied.kind, 'SelfSubjectAccessReview');
    assert.equal(denied.status.allowed, false);
    assert.match(denied.status.reason ?? '', /cannot create resource "pods\/exec" in the namespace "shop"/);
    assert.equal((await ask('other', 'patch', 'secrets')).status.allowed, true);
    server.allowNamespace('shop');
    assert.equal((await ask('shop', 'patch', 'secrets')).status.allowed, true);
    server.forbidClusterScope(['pods']);
    assert.equal((await ask(undefined, 'list', 'pods')).status.allowed, false);
    server.allowClusterScope();
  });

  it('is create only and rejects a review without attributes', async () => {
    await assert.rejects(client.request('GET', PATH), (e: unknown) => isKubeError(e) && e.httpStatus === 405);
    await assert.rejects(client.request('POST', PATH, { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {} } }), (e: unknown) => isKubeError(e, 'invalid'));
  });
});
