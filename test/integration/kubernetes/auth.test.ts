import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { onTestServerOnly, setupEnv, TestEnv } from './env';
import { KubeClient } from '../../../src/providers/kubernetes/client';
import { isKubeError, KubeError } from '../../../src/providers/kubernetes/errors';
import { connectionFor, loadKubeconfig } from '../../../src/providers/kubernetes/kubeconfig';
import { Informer } from '../../../src/providers/kubernetes/informer';
import { makeTestPki } from '../../k8s-server';
import { join } from 'node:path';

async function caught(p: Promise<unknown>): Promise<KubeError> {
  try { await p; } catch (e) { assert.ok(isKubeError(e), String(e)); return e; }
  assert.fail('expected an error');
}

describe('kubernetes auth and error reporting', function () {
  let env: TestEnv;
  before(async () => { env = await setupEnv(); });
  after(async () => { await env.close(); });

  it('reports an unreachable API server in words a user can act on', async () => {
    const port = await new Promise<number>((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); }); });
    const c = new KubeClient({ context: 'gone', server: `https://127.0.0.1:${port}`, namespace: 'default', token: 'x' });
    const e = await caught(c.request('GET', '/api/v1/namespaces'));
    assert.equal(e.kind, 'unreachable');
    assert.match(e.message, /Cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    c.close();
  });

  onTestServerOnly(() => {
    it('[test server only] refuses a server whose certificate is not signed by the kubeconfig CA', async () => {
      const other = makeTestPki();
      const c = new KubeClient({ ...env.client.conn, caPem: other.caPem });
      const e = await caught(c.request('GET', '/api/v1/namespaces'));
      assert.equal(e.kind, 'unreachable');
      assert.match(e.message, /could not be verified/);
      c.close();
    });

    it('[test server only] keeps TLS verified even when NODE_TLS_REJECT_UNAUTHORIZED=0 (requests, typed APIs, watches)', async () => {
      const other = makeTestPki();
      const c = new KubeClient({ ...env.client.conn, caPem: other.caPem });
      const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      const warn = process.emitWarning;
      process.emitWarning = () => undefined; // Node warns once about the variable
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
      try {
        assert.match((await caught(c.request('GET', '/api/v1/namespaces'))).message, /could not be verified/);
        assert.match((await caught(c.call({ path: '/api/v1/namespaces' }, () => c.core.listNamespace()))).message, /could not be verified/);
        const errs: KubeError[] = [];
        const inf = new Informer({ client: c, kind: 'configmaps', namespace: env.namespace, backoff: { initialMs: 1000 }, onBatch: () => undefined, onError: (err) => errs.push(err) });
        inf.start();
        await new Promise((r) => setTimeout(r, 300));
        inf.stop();
        assert.match(errs[0]?.message ?? '', /could not be verified/);
      } finally {
        if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED; else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
        process.emitWarning = warn;
      }
    });

    it('[test server only] authenticates with a client certificate (no token)', async () => {
      const path = env.server!.writeKubeconfig(join(env.tmp, 'cert-config'), {
        contexts: [{ name: 'cert', server: env.server!.url, caPem: env.server!.caPem, clientCertPem: env.server!.clientCertPem, clientKeyPem: env.server!.clientKeyPem }],
      });
      const c = new KubeClient(connectionFor(loadKubeconfig({ paths: [path] })));
      const list = await c.request<{ items: unknown[] }>('GET', '/api/v1/namespaces');
      assert.ok(list.items.length >= 1);
      c.close();
      const anon = new KubeClient({ ...env.client.conn, token: undefined });
      assert.equal((await caught(anon.request('GET', '/api/v1/namespaces'))).kind, 'unauthorized');
      anon.close();
    });

    it('[test server only] 401 for an expired (revoked) token says to refresh credentials', async () => {
      const token = 'short-lived-token';
      env.server!.addToken(token);
      const c = new KubeClient({ ...env.client.conn, context: 'ci', token });
      await c.request('GET', '/api/v1/namespaces');
      env.server!.revokeToken(token);
      const e = await caught(c.request('GET', '/api/v1/namespaces'));
      assert.equal(e.kind, 'unauthorized');
      assert.equal(e.httpStatus, 401);
      assert.match(e.message, /context "ci".*expired/);
      assert.ok(!e.message.includes(token), 'no secret in the message');
      c.close();
    });

    it('[test server only] 403 for an RBAC-denied namespace names the namespace, for requests and informers', async () => {
      env.server!.forbidNamespace(env.namespace);
      try {
        const e = await caught(env.client.request('GET', `/api/v1/namespaces/${env.namespace}/pods`));
        assert.equal(e.kind, 'forbidden');
        assert.equal(e.extra.namespace, env.namespace);
        assert.match(e.message, new RegExp(`namespace "${env.namespace}" is forbidden`));
        const errs: KubeError[] = [];
        const inf = new Informer({ client: env.client, kind: 'deployments', namespace: env.namespace, backoff: { initialMs: 1000 }, onBatch: () => undefined, onError: (err) => errs.push(err) });
        inf.start();
        await new Promise((r) => setTimeout(r, 300));
        inf.stop();
        assert.equal(errs[0]?.kind, 'forbidden');
        // other namespaces are unaffected
        await env.client.request('GET', '/api/v1/namespaces/default/pods');
      } finally { env.server!.allowNamespace(env.namespace); }
    });

    it('[test server only] added latency slows requests but they succeed', async () => {
      env.server!.setLatency(200);
      try {
        const t = Date.now();
        await env.client.request('GET', '/api/v1/namespaces');
        assert.ok(Date.now() - t >= 190);
      } finally { env.server!.setLatency(0); }
    });
  });
});
