// Deploy Application's engine against the Kubernetes test server (its pods run; an "ingress
// controller" of the test writes the Ingress address): the whole path, a re-deploy, and the
// failures: malformed DATABASE_URL, another application's namespace, RBAC, an image that never gets
// ready, cancellation. No output line and no error message carries a secret value.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { setupEnv, TestEnv, onTestServerOnly } from '../kubernetes/env';
import { notRun } from '../../harness/not-run';
import { startPostgres, type PgServer } from '../../harness/postgres';
import { freePort } from '../../harness/sshd';
import { loadKit, KitApplyError, type KitParams } from '../../../src/providers/apps/kit';
import { deployApplication, DeployRefused, RolloutFailed, type DeployOutcome, type DeployRequest } from '../../../src/providers/apps/deploy';
import { isCancellation } from '../../../src/providers/cancellation';
import type { KubeObject } from '../../../src/providers/kubernetes/resources';

const ROOT = resolve(__dirname, '../../..');
const SECRETS = { NEXTAUTH_SECRET: 'nx-SECRET-4f1e', GITHUB_CLIENT_ID: 'gh-ID-77a1', GITHUB_CLIENT_SECRET: 'gh-SECRET-9c2b', DATABASE_URL: 'postgresql://app:db-PASS-3d5e@db.lab.example:5432/hacky' };
const SECRET_VALUES = ['nx-SECRET-4f1e', 'gh-SECRET-9c2b', 'db-PASS-3d5e', 'gh-ID-77a1'];
const noSecret = (text: string, where: string) => { for (const v of SECRET_VALUES) assert.ok(!text.includes(v), `${where} contains a secret value`); };

onTestServerOnly(() => describe('Deploy Application engine (test server)', function () {
  this.timeout(60_000);
  let env: TestEnv;
  let stopIngress: (() => void) | undefined;
  before(async () => {
    env = await setupEnv({ podReadyDelayMs: 100 });
    // the ingress controller: publishes an address for every Ingress it sees
    const s = env.server!;
    const onEvent = (e: { plural: string; type: string; object: KubeObject }) => {
      if (e.plural === 'ingresses' && e.type === 'ADDED') setTimeout(() => { try { s.store.setStatus('ingresses', e.object.metadata.namespace, e.object.metadata.name, { loadBalancer: { ingress: [{ ip: '192.168.1.240' }] } }); } catch { /* gone */ } }, 20);
    };
    s.store.on('event', onEvent);
    stopIngress = () => s.store.off('event', onEvent);
  });
  after(async () => { stopIngress?.(); await env?.close(); });

  const request = (params: Partial<KitParams> = {}, level: DeployRequest['level'] = 'basic'): DeployRequest => ({ level, params: {
    namespace: `${env.namespace}`, image: 'ghcr.io/me/hacky-stack', tag: 'v1', replicas: 2, ingressClass: 'traefik', appSecrets: { ...SECRETS }, ...params,
  } });
  const run = async (req: DeployRequest, o: { signal?: AbortSignal; rolloutTimeoutMs?: number; onStep?(s: string): void } = {}) => {
    const lines: string[] = [];
    const steps: string[] = [];
    let outcome: DeployOutcome | undefined;
    let error: Error | undefined;
    try { outcome = await deployApplication(env.client, loadKit(ROOT, req.level), req, { ...o, healthTimeoutMs: 3000, onLine: (l) => lines.push(l), onStep: (s) => { steps.push(s); o.onStep?.(s); } }); } catch (e) { error = e as Error; }
    noSecret(lines.join('\n'), 'output');
    if (error) noSecret(`${error.message}\n${error.stack}`, 'error');
    if (outcome) noSecret(JSON.stringify(outcome), 'outcome');
    return { lines, steps, outcome, error };
  };

  it('basic: checks, applies in order, follows the rollout, checks endpoints and the Ingress; the database check says why it was not made', async () => {
    const r = await run(request());
    assert.equal(r.error, undefined, r.error?.message);
    assert.deepEqual(r.steps, ['check', 'apply', 'rollout', 'health']);
    const o = r.outcome!;
    assert.deepEqual(o.objects.map((x) => `${x.kind}:${x.outcome}`), ['Namespace:configured', 'ConfigMap:created', 'Secret:created', 'Service:created', 'Deployment:created', 'Ingress:created']);
    assert.match(o.rollout[0], /deployment\/hacky-stack: 2 of 2 replicas available/);
    const h = Object.fromEntries(o.health.map((x) => [x.check, x]));
    assert.equal(h.endpoints.result, 'ok', h.endpoints.detail);
    assert.match(h.endpoints.detail, /^2 ready endpoints behind Service hacky-stack/);
    assert.equal(h.ingress.result, 'ok');
    assert.match(h.ingress.detail, /hackystack.local at 192.168.1.240/);
    // the test server's pods have no node binary: the check is reported as not made, with why
    assert.equal(h.database.result, 'not-checked');
    assert.match(h.database.detail, /no node to test db.lab.example:5432/);
    assert.equal(o.status, 'ok');
    const secret = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${env.namespace}/secrets/hacky-stack-secrets`);
    const data = Object.fromEntries(Object.entries(secret.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    assert.equal(data.DATABASE_URL, SECRETS.DATABASE_URL);
    assert.equal(data.NEXTAUTH_URL, 'https://hackystack.local');
  });

  it('a re-deploy with the same answers reports every object unchanged', async () => {
    const r = await run(request());
    assert.equal(r.error, undefined, r.error?.message);
    // NEXTAUTH_SECRET given: the Secret is the same; (a generated one would change it each time)
    for (const x of r.outcome!.objects) assert.equal(x.outcome, 'unchanged', `${x.kind} ${x.name}`);
  });

  it('a re-deploy without NEXTAUTH_SECRET keeps the deployed one: still unchanged', async () => {
    const { NEXTAUTH_SECRET: _, ...rest } = SECRETS;
    const r = await run(request({ appSecrets: rest }));
    assert.equal(r.error, undefined, r.error?.message);
    for (const x of r.outcome!.objects) assert.equal(x.outcome, 'unchanged', `${x.kind} ${x.name}`);
    assert.ok(r.lines.includes('NEXTAUTH_SECRET: the deployed one is kept'), r.lines.join('\n'));
  });

  it('a malformed DATABASE_URL is refused before anything is sent, without echoing it', async () => {
    const before = env.server!.requestCounts.patch;
    const r = await run(request({ appSecrets: { ...SECRETS, DATABASE_URL: 'mysql://app:db-PASS-3d5e@db/hacky' } }));
    assert.ok(r.error instanceof DeployRefused, String(r.error));
    assert.match(r.error.message, /postgresql:\/\//);
    assert.equal(env.server!.requestCounts.patch, before, 'nothing applied');
  });

  it('a namespace of another application (or with unlabelled objects of the kit\'s names) is refused; nothing changed', async () => {
    const ns = `${env.namespace}-other`;
    await env.client.request('POST', '/api/v1/namespaces', { body: { metadata: { name: ns, labels: { 'app.kubernetes.io/part-of': 'wiki' } } } });
    try {
      const r1 = await run(request({ namespace: ns }));
      assert.ok(r1.error instanceof DeployRefused);
      assert.match(r1.error.message, /Namespace ".*-other" is not hacky-stack's: Namespace .* is part of "wiki".*Nothing was changed/);
      await env.client.request('PATCH', `/api/v1/namespaces/${ns}`, { body: { metadata: { labels: { 'app.kubernetes.io/part-of': null } } }, contentType: 'application/merge-patch+json' });
      await env.client.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { metadata: { name: 'hacky-stack-config' }, data: { mine: 'yes' } } });
      const r2 = await run(request({ namespace: ns }));
      assert.ok(r2.error instanceof DeployRefused);
      assert.match(r2.error.message, /ConfigMap hacky-stack-config exists and is not labelled app.kubernetes.io\/part-of=hacky-stack/);
      const cm = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${ns}/configmaps/hacky-stack-config`);
      assert.deepEqual(cm.data, { mine: 'yes' });
      const deps = await env.client.request<{ items: unknown[] }>('GET', `/apis/apps/v1/namespaces/${ns}/deployments`);
      assert.equal(deps.items.length, 0);
    } finally { await env.client.request('DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined); }
  });

  it('RBAC refusing the namespace: a clear refusal, nothing changed', async () => {
    const ns = `${env.namespace}-rbac`;
    env.server!.forbidNamespace(ns);
    const before = env.server!.requestCounts.patch;
    const r = await run(request({ namespace: ns }));
    assert.ok(r.error instanceof DeployRefused, String(r.error));
    assert.match(r.error.message, /refused to let you read namespace ".*-rbac" \(RBAC\).*forbidden.*Nothing was changed/);
    assert.equal(env.server!.requestCounts.patch, before);
  });

  it('an image that never gets ready: the rollout fails with the reason, not followed forever', async () => {
    const started = Date.now();
    const r = await run(request({ tag: 'broken' }), { rolloutTimeoutMs: 20_000 });
    assert.ok(r.error instanceof RolloutFailed, String(r.error));
    assert.match(r.error.message, /Deployment hacky-stack did not roll out: ProgressDeadlineExceeded/);
    assert.match(r.error.message, /ImagePullBackOff/);
    assert.ok(Date.now() - started < 15_000, 'stopped on the Deployment\'s condition, not the timeout');
    assert.ok(r.lines.some((l) => /pod hacky-stack-\w+-\w+: ImagePullBackOff/.test(l)), r.lines.join('\n'));
  });

  it('cancellation while the rollout is followed stops the watch at once', async () => {
    const ac = new AbortController();
    let started = 0;
    const r = await run(request({ tag: 'broken' }, 'basic'), { signal: ac.signal, onStep: (s) => { if (s === 'rollout') { started = Date.now(); setTimeout(() => ac.abort(), 20); } } });
    assert.ok(r.error && isCancellation(r.error), String(r.error));
    assert.ok(started > 0 && Date.now() - started < 3000);
    assert.deepEqual(r.steps, ['check', 'apply', 'rollout']);
  });

  it('intermediate: the StatefulSet is followed too; the database check runs pg_isready in its pod', async () => {
    // a class whose claims get bound, as K3s's local-path provisioner does (where the test server
    // makes claims for volumeClaimTemplates and holds pods until they are bound)
    await env.client.request('POST', '/apis/storage.k8s.io/v1/storageclasses', { body: { metadata: { name: 'local-path' }, provisioner: 'rancher.io/local-path', volumeBindingMode: 'Immediate' } }).catch(() => undefined);
    (env.server as unknown as { provisionClass?(n: string): void }).provisionClass?.('local-path');
    const r = await run(request({ tag: 'v1', databaseImage: 'postgres:15', storageClass: 'local-path', databaseCredentials: { POSTGRES_PASSWORD: 'db-PASS-3d5e' }, appSecrets: { ...SECRETS, DATABASE_URL: undefined } } as never, 'intermediate'));
    assert.equal(r.error, undefined, r.error?.message);
    const o = r.outcome!;
    assert.ok(o.rollout.some((l) => /statefulset\/hacky-stack-postgres: 1 of 1 pods ready/.test(l)), o.rollout.join('\n'));
    const db = o.health.find((h) => h.check === 'database')!;
    // the test server's exec has no pg_isready: reported as not checked, never as ok
    assert.equal(db.result, 'not-checked');
    assert.match(db.detail, /pod hacky-stack-postgres-0 has no pg_isready/);
    const secret = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${env.namespace}/secrets/hacky-stack-secrets`);
    assert.equal(Buffer.from(secret.data!.DATABASE_URL, 'base64').toString(), `postgresql://hackystack:db-PASS-3d5e@hacky-stack-postgres.${env.namespace}.svc.cluster.local:5432/hackystack`);
    // again without the password: the deployed credentials are kept (the database was initialised with them)
    const again = await run(request({ tag: 'v1', databaseImage: 'postgres:15', storageClass: 'local-path', appSecrets: { ...SECRETS, DATABASE_URL: undefined } } as never, 'intermediate'));
    assert.equal(again.error, undefined, again.error?.message);
    for (const x of again.outcome!.objects) assert.equal(x.outcome, 'unchanged', `${x.kind} ${x.name}`);
    assert.ok(again.lines.some((l) => /database credentials: the deployed ones are kept/.test(l)));
  });

  it('an apply failure part-way is reported with the object (KitApplyError), the earlier objects applied', async () => {
    const kit = loadKit(ROOT, 'basic');
    kit.find((x) => x.kind === 'Service')!.apiVersion = 'v2';
    let err: unknown;
    try { await deployApplication(env.client, kit, request(), { healthTimeoutMs: 1000 }); } catch (e) { err = e; }
    assert.ok(err instanceof KitApplyError, String(err));
    assert.match(err.message, /^Service hacky-stack/);
  });
}));

// The database's claim that nothing binds: a real cluster without a provisioner (no container needs
// to run), or the test server once it makes claims for volumeClaimTemplates.
describe('Deploy Application engine: a database claim that stays Pending', function () {
  this.timeout(60_000);
  let env: TestEnv;
  before(async () => { env = await setupEnv({ podReadyDelayMs: 100 }); });
  after(async () => { await env?.close(); });

  it('the rollout ends at its time limit naming the Pending claim and the class it asked for', async function () {
    const cls = `homelab-test-none-${env.namespace.slice(-8)}`;
    let err: Error | undefined;
    try {
      await deployApplication(env.client, loadKit(ROOT, 'intermediate'), { level: 'intermediate', params: {
        namespace: env.namespace, image: 'ghcr.io/me/hacky-stack', tag: 'v1', replicas: 1, ingressClass: 'nginx', storageClass: cls, databaseImage: 'localhost/postgres:15-local', appSecrets: { ...SECRETS, DATABASE_URL: undefined },
      } }, { rolloutTimeoutMs: 8000, healthTimeoutMs: 1000 });
    } catch (e) { err = e as Error; }
    const claims = await env.client.request<{ items: unknown[] }>('GET', `/api/v1/namespaces/${env.namespace}/persistentvolumeclaims`);
    if (env.server && !claims.items.length) notRun(this, 'this test server makes no claims for volumeClaimTemplates');
    assert.ok(err instanceof RolloutFailed, String(err));
    assert.match(err.message, /was not ready within 8 s/);
    assert.match(err.message, /hacky-stack-postgres-0 Unschedulable \(.*unbound immediate PersistentVolumeClaims/);
    assert.match(err.message, new RegExp(`claims Pending: data-hacky-stack-postgres-0 \\(StorageClass ${cls}: is a provisioner for it running\\?\\)`));
    for (const v of SECRET_VALUES) assert.ok(!err.message.includes(v));
  });
});

// The database check for real: a PostgreSQL server on loopback, and the pods' exec bound to local
// processes (the app pod's `node` TCP connect, the database pod's `pg_isready`) by the test server.
onTestServerOnly(() => describe('Deploy Application engine: the database check against a real PostgreSQL', function () {
  this.timeout(90_000);
  let env: TestEnv;
  let pg: PgServer;
  before(async () => {
    env = await setupEnv({ podReadyDelayMs: 100 });
    pg = await startPostgres();
    // inside the pods PostgreSQL listens on 5432; here the test server's port stands for it
    env.server!.bindExec(env.namespace, 'hacky-stack-', { env: { PGPORT: String(pg.port), PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    await env.client.request('POST', '/apis/storage.k8s.io/v1/storageclasses', { body: { metadata: { name: 'local-path' }, provisioner: 'rancher.io/local-path', volumeBindingMode: 'Immediate' } }).catch(() => undefined);
    env.server!.provisionClass('local-path');
  });
  after(async () => { await pg?.stop(); await env?.close(); });

  const deploy = (level: 'basic' | 'intermediate', databaseUrl?: string) => deployApplication(env.client, loadKit(ROOT, level), { level, params: {
    namespace: env.namespace, image: 'ghcr.io/me/hacky-stack', tag: 'v1', replicas: 1, ingressClass: 'nginx', storageClass: 'local-path',
    appSecrets: { ...SECRETS, DATABASE_URL: databaseUrl }, databaseCredentials: level === 'intermediate' ? { POSTGRES_PASSWORD: 'db-PASS-3d5e' } : undefined,
  } }, { healthTimeoutMs: 1000 });

  it('basic: the external database\'s host:port is reached from an app pod (TCP connect with the image\'s node)', async () => {
    const o = await deploy('basic', pg.url);
    const db = o.health.find((h) => h.check === 'database')!;
    assert.equal(db.result, 'ok', db.detail);
    assert.match(db.detail, new RegExp(`^127\\.0\\.0\\.1:${pg.port} reachable from pod hacky-stack-\\w+-\\w+ \\(TCP connect\\)$`));
    assert.ok(!JSON.stringify(o).includes(pg.password));
  });

  it('basic: a database that does not answer is a failed check (the deploy itself stands)', async () => {
    const closed = `postgresql://app:db-PASS-3d5e@127.0.0.1:${await freePort()}/hacky`;
    const o = await deploy('basic', closed);
    const db = o.health.find((h) => h.check === 'database')!;
    assert.equal(db.result, 'failed');
    assert.match(db.detail, /not reachable from pod hacky-stack-\w+-\w+: ECONNREFUSED/);
    assert.equal(o.status, 'unhealthy');
  });

  it('intermediate: pg_isready in the StatefulSet\'s pod', async () => {
    const o = await deploy('intermediate');
    const db = o.health.find((h) => h.check === 'database')!;
    assert.equal(db.result, 'ok', db.detail);
    assert.match(db.detail, /^pg_isready in pod hacky-stack-postgres-0: .*accepting connections/);
  });
}));
