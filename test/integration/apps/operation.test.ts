// app_deploy through the catalog's invoke, as an agent calls it: the confirmation, the run on the
// test server, a refusal, and the audit line: no secret input in any of them.
import assert from 'node:assert/strict';
import { setupEnv, TestEnv, onTestServerOnly } from '../kubernetes/env';
import { invoke, operation, OperationRefused, type OperationHost } from '../../../src/operations';
import type { ActivityInput } from '../../../src/providers/markdown/activity';
import * as kubernetesModules from '../../../src/providers/kubernetes/index';

const INPUT = {
  level: 'basic', image: 'ghcr.io/me/hacky-stack', tag: 'v1', replicas: 1,
  nextAuthSecret: 'op-NEXTAUTH-7f3a9b1c', githubClientId: 'op-GHID-42d1', githubClientSecret: 'op-GHSECRET-8e2f', databaseUrl: 'postgresql://app:op-DBPASS-61c0@db.lab.example:5432/hacky',
};
const SECRETS = ['op-NEXTAUTH-7f3a9b1c', 'op-GHID-42d1', 'op-GHSECRET-8e2f', 'op-DBPASS-61c0'];

onTestServerOnly(() => describe('operation app_deploy (catalog invoke, test server)', function () {
  this.timeout(60_000);
  let env: TestEnv;
  const audit: Array<Omit<ActivityInput, 'when'>> = [];
  let host: OperationHost;
  before(async () => {
    env = await setupEnv({ podReadyDelayMs: 50 });
    // the ingress controller: another client publishing an address for each new Ingress
    const s = env.server!;
    s.store.on('event', (e: { plural: string; type: string; object: { metadata: { name: string; namespace?: string } } }) => {
      if (e.plural === 'ingresses' && e.type === 'ADDED') setTimeout(() => { try { s.store.setStatus('ingresses', e.object.metadata.namespace, e.object.metadata.name, { loadBalancer: { ingress: [{ hostname: 'lb.lab.example' }] } }); } catch { /* gone */ } }, 20);
    });
    host = {
      kubernetes: { modules: async () => kubernetesModules, contexts: async () => [{ name: env.client.context, current: true }], client: async () => env.client },
      activity: async (r) => { audit.push(r); },
    };
  });
  after(async () => { await env?.close(); });

  it('deploys with a confirmation naming the target; the result and the audit line carry no secret', async () => {
    const op = operation('app_deploy')!;
    let confirmation = '';
    const out = await invoke(op, { ...INPUT, namespace: env.namespace, ingressClass: 'traefik' }, host, { caller: 'test', confirm: async (p) => { confirmation = `${p.confirmation}\n${p.detail}`; return true; } });
    assert.equal(out.status, 'ok');
    assert.match(confirmation, new RegExp(`^Deploy hacky-stack \\(basic\\) to namespace ${env.namespace} on test: image ghcr.io/me/hacky-stack:v1, 1 replicas\\?`));
    const text = out.status === 'ok' ? out.result.text : '';
    assert.match(text, /Deployment\/hacky-stack created/);
    assert.match(text, /endpoints: ok: 1 ready endpoints/);
    assert.match(text, /ingress: ok: .* at lb\.lab\.example/);
    assert.match(text, /^hacky-stack basic in .* on test: ok$/m);
    const all = [confirmation, text, JSON.stringify(out), JSON.stringify(audit)].join('\n');
    for (const s of SECRETS) assert.ok(!all.includes(s), `a secret leaked: ${s.slice(0, 6)}`);
    assert.match(audit[audit.length - 1].target ?? '', /nextAuthSecret=\(hidden\).*githubClientId=\(hidden\).*githubClientSecret=\(hidden\).*databaseUrl=\(hidden\)/);
  });

  it('a malformed DATABASE_URL is refused in prepare (nothing applied), without echoing it', async () => {
    const patches = env.server!.requestCounts.patch;
    await assert.rejects(invoke(operation('app_deploy')!, { ...INPUT, namespace: env.namespace, databaseUrl: 'http://app:op-DBPASS-61c0@db/x' }, host, { caller: 'test', confirm: async () => true }), (e: unknown) => {
      assert.ok(e instanceof OperationRefused, String(e));
      assert.match(e.message, /postgresql:\/\//);
      assert.ok(!e.message.includes('op-DBPASS-61c0'));
      return true;
    });
    assert.equal(env.server!.requestCounts.patch, patches);
    assert.ok(!JSON.stringify(audit).includes('op-DBPASS-61c0'));
  });
}));
