import assert from 'node:assert/strict';
import { describePath, fromNetworkError, fromStatus, KubeError } from '../../../src/providers/kubernetes/errors';

const status = (code: number, reason: string, message: string, details?: object) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, details });

describe('kubernetes errors', () => {
  it('parses namespace, resource and name from API paths', () => {
    assert.deepEqual(describePath('/apis/apps/v1/namespaces/prod/deployments/web/scale'), { namespace: 'prod', resource: 'deployments', name: 'web' });
    assert.deepEqual(describePath('/api/v1/namespaces/prod/pods?watch=true'), { namespace: 'prod', resource: 'pods', name: undefined });
    assert.deepEqual(describePath('/api/v1/namespaces/prod'), { namespace: 'prod', resource: 'namespaces', name: 'prod' });
    assert.deepEqual(describePath('/api/v1/nodes'), { resource: 'nodes', name: undefined });
  });

  it('maps each HTTP status to its kind with an actionable message', () => {
    const cases: [number, string, KubeError['kind'], RegExp][] = [
      [401, 'Unauthorized', 'unauthorized', /expired.*fresh kubeconfig/],
      [403, 'Forbidden', 'forbidden', /namespace "prod" is forbidden/],
      [404, 'NotFound', 'notFound', /deployments "web" was not found in namespace "prod"/],
      [409, 'AlreadyExists', 'alreadyExists', /already exists in namespace "prod"/],
      [409, 'Conflict', 'conflict', /changed by someone else.*Reload/],
      [410, 'Expired', 'gone', /too old/],
      [400, 'BadRequest', 'badRequest', /Bad request/],
      [500, 'InternalError', 'server', /failed \(500 InternalError\)/],
      [503, 'ServiceUnavailable', 'server', /503/],
    ];
    for (const [code, reason, kind, re] of cases) {
      const e = fromStatus(code, status(code, reason, 'too old resource version'), { path: '/apis/apps/v1/namespaces/prod/deployments/web', context: 'home' });
      assert.equal(e.kind, kind, `${code} ${reason}`);
      assert.match(e.message, re, `${code} ${reason}: ${e.message}`);
      assert.equal(e.httpStatus, code);
    }
  });

  it('lists the invalid fields of a 422', () => {
    const e = fromStatus(422, status(422, 'Invalid', 'Deployment "x" is invalid', { name: 'x', causes: [{ field: 'spec.replicas', message: 'must be greater than or equal to 0' }, { field: 'metadata.name', message: 'bad' }] }));
    assert.equal(e.kind, 'invalid');
    assert.match(e.message, /spec\.replicas: must be greater than or equal to 0; metadata\.name: bad/);
    assert.equal(e.extra.causes?.length, 2);
  });

  it('copes with a non-Status body (proxy error page)', () => {
    const e = fromStatus(502, '<html>Bad Gateway</html>', { path: '/api/v1/pods' });
    assert.equal(e.kind, 'server');
    assert.match(e.message, /Bad Gateway/);
  });

  it('maps network and TLS failures to unreachable', () => {
    const refused = fromNetworkError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), { server: 'https://10.0.0.1:6443' });
    assert.equal(refused.kind, 'unreachable');
    assert.match(refused.message, /https:\/\/10\.0\.0\.1:6443 \(ECONNREFUSED\)/);
    const tls = fromNetworkError(Object.assign(new Error('self signed'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }));
    assert.match(tls.message, /could not be verified/);
    const already = new KubeError('config', 'x');
    assert.equal(fromNetworkError(already), already);
  });
});
