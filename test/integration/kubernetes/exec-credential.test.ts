import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, onTestServerOnly, setupEnv, TestEnv } from './env';
import { Informer } from '../../../src/providers/kubernetes/informer';
import { KubeClient } from '../../../src/providers/kubernetes/client';
import { connectionFor, loadKubeconfig } from '../../../src/providers/kubernetes/kubeconfig';

onTestServerOnly(() => describe('kubernetes exec credential plugin [test server only]', function () {
  let env: TestEnv;
  before(async () => { env = await setupEnv(); });
  after(async () => { await env.close(); });

  it('runs the plugin once while its token is valid, and again after a 401 (then retries once)', async () => {
    const s = env.server!;
    const tokenFile = join(env.tmp, 'current-token');
    const calls = join(env.tmp, 'calls');
    writeFileSync(tokenFile, 'token-1');
    writeFileSync(calls, '');
    s.addToken('token-1');
    const plugin = join(env.tmp, 'cred.sh');
    // prints whatever token the "identity provider" currently issues; counts its runs
    writeFileSync(plugin, `#!/bin/sh\necho run >> '${calls}'\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$(cat '${tokenFile}')"\n`);
    chmodSync(plugin, 0o755);
    const path = s.writeKubeconfig(join(env.tmp, 'exec-config'), { contexts: [{ name: 'sso', server: s.url, caPem: s.caPem, exec: { command: plugin } }] });
    const c = new KubeClient(connectionFor(loadKubeconfig({ paths: [path] })));
    await Promise.all([c.request('GET', '/api/v1/namespaces'), c.request('GET', '/api/v1/namespaces')]);
    await c.request('GET', '/api/v1/namespaces');
    assert.equal(readFileSync(calls, 'utf8').trim().split('\n').length, 1, 'cached');
    // the token expires server-side; the provider now issues token-2
    s.revokeToken('token-1');
    s.addToken('token-2');
    writeFileSync(tokenFile, 'token-2');
    const unauthorizedBefore = s.requestCounts.unauthorized;
    await c.request('GET', '/api/v1/namespaces');
    assert.equal(readFileSync(calls, 'utf8').trim().split('\n').length, 2, 'refreshed after 401');
    assert.equal(s.requestCounts.unauthorized - unauthorizedBefore, 1, 'exactly one rejected attempt');
    // a refresh that does not help surfaces the 401 instead of looping
    s.revokeToken('token-2');
    await assert.rejects(c.request('GET', '/api/v1/namespaces'), /401 Unauthorized/);
    assert.equal(readFileSync(calls, 'utf8').trim().split('\n').length, 3);
    c.close();
  });

  it('an informer whose watch is refused with 401 gets a fresh credential from the plugin and recovers', async () => {
    const s = env.server!;
    const tokenFile = join(env.tmp, 'informer-token');
    writeFileSync(tokenFile, 'inf-token-1');
    s.addToken('inf-token-1');
    const plugin = join(env.tmp, 'cred-informer.sh');
    writeFileSync(plugin, `#!/bin/sh\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$(cat '${tokenFile}')"\n`);
    chmodSync(plugin, 0o755);
    const path = s.writeKubeconfig(join(env.tmp, 'exec-informer-config'), { contexts: [{ name: 'sso', server: s.url, caPem: s.caPem, exec: { command: plugin } }] });
    const c = new KubeClient(connectionFor(loadKubeconfig({ paths: [path] })));
    const errors: string[] = [];
    const inf = new Informer({ client: c, kind: 'configmaps', namespace: env.namespace, backoff: { initialMs: 100, maxMs: 200 }, onBatch: () => undefined, onError: (e) => errors.push(e.kind) });
    inf.start();
    await inf.waitForSync();
    s.revokeToken('inf-token-1');
    s.addToken('inf-token-2');
    writeFileSync(tokenFile, 'inf-token-2');
    s.cutWatches();
    s.store.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-refresh', namespace: env.namespace }, data: {} });
    await eventually(() => assert.ok(inf.get('after-refresh', env.namespace)));
    assert.ok(errors.includes('unauthorized'), `the refused watch was reported: ${errors.join(', ')}`);
    inf.stop();
    c.close();
  });
}));
