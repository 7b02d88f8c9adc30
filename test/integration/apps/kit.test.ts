// The application kit against the API: both levels server-side applied as a dry run (nothing
// stored), then for real, then again (every object unchanged); the IngressClass detection. Runs
// against the test server and, with HOMELAB_TEST_KUBECONFIG, a real kube-apiserver (no container
// needs to run: nothing here waits for pods).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { setupEnv, TestEnv, eventually, onTestServerOnly } from '../kubernetes/env';
import { applyKit, detectIngressClass, KitApplyError, KIT_NAMES, loadKit, MANAGED_BY, renderKit, type KitLevel } from '../../../src/providers/apps/kit';
import type { ApplyResult } from '../../../src/providers/kubernetes/actions';
import { isKubeError } from '../../../src/providers/kubernetes/errors';
import type { KubeObject } from '../../../src/providers/kubernetes/resources';

const ROOT = resolve(__dirname, '../../..');
const outcomes = (rs: ApplyResult[]) => Object.fromEntries(rs.map((r) => [`${r.kind}/${r.name}`, r.outcome]));

describe('application kit: server-side apply of both levels', function () {
  this.timeout(60_000);
  let env: TestEnv;
  before(async () => { env = await setupEnv(); });
  after(async () => { await env?.close(); });

  const render = (level: KitLevel) => renderKit(loadKit(ROOT, level), {
    namespace: env.namespace, image: 'localhost/hacky-stack', tag: 'test', replicas: 2, ingressClass: 'nginx',
    databaseImage: 'localhost/postgres:15-local',
    appSecrets: { NEXTAUTH_SECRET: 'kit-test-secret', GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 'gh', DATABASE_URL: 'postgresql://u:p@db.example:5432/app' },
    databaseCredentials: { POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: 'kit-test-pw', POSTGRES_DB: 'hackystack' },
  });
  const exists = async (path: string) => {
    try { await env.client.request('GET', path); return true; } catch (e) { if (isKubeError(e, 'notFound')) return false; throw e; }
  };
  const deploymentPath = () => `/apis/apps/v1/namespaces/${env.namespace}/deployments/${KIT_NAMES.deployment}`;
  const stsPath = () => `/apis/apps/v1/namespaces/${env.namespace}/statefulsets/${KIT_NAMES.statefulSet}`;

  it('basic: a dry run reports what would happen and stores nothing; the apply creates; a re-apply is unchanged', async () => {
    const objs = render('basic');
    const seen: string[] = [];
    const dry = await applyKit(env.client, objs, { dryRun: true, onObject: (r) => seen.push(`${r.kind}/${r.name}`) });
    assert.deepEqual(seen, dry.map((r) => `${r.kind}/${r.name}`), 'reported one by one, in order');
    assert.deepEqual(dry.map((r) => r.kind), ['Namespace', 'ConfigMap', 'Secret', 'Service', 'Deployment', 'Ingress']);
    assert.deepEqual(outcomes(dry), {
      [`Namespace/${env.namespace}`]: 'configured', 'ConfigMap/hacky-stack-config': 'created', 'Secret/hacky-stack-secrets': 'created',
      'Service/hacky-stack': 'created', 'Deployment/hacky-stack': 'created', 'Ingress/hacky-stack': 'created',
    });
    assert.equal(await exists(deploymentPath()), false, 'a dry run stores nothing');

    const real = await applyKit(env.client, objs);
    assert.deepEqual(outcomes(real), outcomes(dry));
    const d = await env.client.request<KubeObject>('GET', deploymentPath());
    assert.equal(d.metadata.labels?.[MANAGED_BY], 'homelab');
    assert.equal(d.spec.template.spec.containers[0].image, 'localhost/hacky-stack:test');
    assert.ok((d.metadata.managedFields as { manager: string }[]).some((m) => m.manager === 'homelab'));
    const secret = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${env.namespace}/secrets/${KIT_NAMES.secret}`);
    assert.equal(Buffer.from(secret.data!.NEXTAUTH_SECRET, 'base64').toString(), 'kit-test-secret');
    const ns = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${env.namespace}`);
    assert.equal(ns.metadata.labels?.['app.kubernetes.io/part-of'], 'hacky-stack');

    // the deployment controller annotates the revision, then reports observedGeneration: let it, so
    // the re-apply compares like with like
    await eventually(async () => { const x = await env.client.request<KubeObject>('GET', deploymentPath()); assert.equal(x.status?.observedGeneration, x.metadata.generation); });
    const again = await applyKit(env.client, objs);
    for (const r of again) assert.equal(r.outcome, 'unchanged', `${r.kind}/${r.name}`);
  });

  it('intermediate: the app objects unchanged, the database objects created (dry run first), then all unchanged', async () => {
    const objs = render('intermediate');
    const dry = await applyKit(env.client, objs, { dryRun: true });
    const o = outcomes(dry);
    for (const n of ['ConfigMap/hacky-stack-postgres-config', 'Secret/hacky-stack-postgres-credentials', 'Service/hacky-stack-postgres-headless', 'Service/hacky-stack-postgres', 'StatefulSet/hacky-stack-postgres']) assert.equal(o[n], 'created', n);
    for (const n of ['ConfigMap/hacky-stack-config', 'Secret/hacky-stack-secrets', 'Service/hacky-stack', 'Deployment/hacky-stack', 'Ingress/hacky-stack']) assert.equal(o[n], 'unchanged', n);
    const kinds = dry.map((r) => r.kind);
    assert.ok(kinds.lastIndexOf('Service') < kinds.indexOf('StatefulSet') && kinds.indexOf('StatefulSet') < kinds.indexOf('Deployment'));
    assert.equal(await exists(stsPath()), false);

    const real = await applyKit(env.client, objs);
    assert.deepEqual(outcomes(real), o);
    const st = await env.client.request<KubeObject>('GET', stsPath());
    assert.equal(st.spec.template.spec.containers[0].image, 'localhost/postgres:15-local');
    const headless = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${env.namespace}/services/${KIT_NAMES.databaseHeadless}`);
    assert.equal(headless.spec.clusterIP, 'None');

    const again = await applyKit(env.client, objs);
    for (const r of again) assert.equal(r.outcome, 'unchanged', `${r.kind}/${r.name}`);
  });

  it('a changed parameter is "configured"; an invalid object stops the apply there (the rest is not sent)', async () => {
    const objs = renderKit(loadKit(ROOT, 'basic'), { namespace: env.namespace, image: 'localhost/hacky-stack', tag: 'test', replicas: 3, ingressClass: 'nginx',
      appSecrets: { NEXTAUTH_SECRET: 'kit-test-secret', GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 'gh', DATABASE_URL: 'postgresql://u:p@db.example:5432/app' } });
    const rs = await applyKit(env.client, objs, { dryRun: true });
    assert.equal(outcomes(rs)['Deployment/hacky-stack'], 'configured');
    const svc = objs.find((x) => x.kind === 'Service')!;
    svc.apiVersion = 'v2'; // a version the API does not serve: refused (discovery) before it is sent
    const seen: ApplyResult[] = [];
    await assert.rejects(applyKit(env.client, objs, { onObject: (r) => seen.push(r) }), (e: unknown) => {
      assert.ok(e instanceof KitApplyError, String(e));
      assert.equal(e.kind, 'invalid');
      assert.match(e.message, /^Service hacky-stack \(homelab-test-\w+\): The cluster does not serve apiVersion v2/);
      return true;
    });
    assert.deepEqual(seen.map((r) => r.kind), ['Namespace', 'ConfigMap', 'Secret', 'Service']);
    assert.equal((await env.client.request<KubeObject>('GET', deploymentPath())).spec.replicas, 2, 'the Deployment after the failure was not applied');
  });

  it('a cancelled signal stops before the next object', async () => {
    const ac = new AbortController();
    const seen: string[] = [];
    await assert.rejects(applyKit(env.client, render('basic'), { dryRun: true, signal: ac.signal, onObject: (r) => { seen.push(r.kind); if (r.kind === 'ConfigMap') ac.abort(); } }), /cancelled/);
    assert.deepEqual(seen, ['Namespace', 'ConfigMap']);
  });

  onTestServerOnly(() => {
    it('an RBAC refusal fails the first object with a clear forbidden error; nothing after it is sent', async () => {
      const ns = `homelab-forbidden-${randomBytes(3).toString('hex')}`;
      env.server!.forbidNamespace(ns);
      const seen: ApplyResult[] = [];
      await assert.rejects(applyKit(env.client, renderKit(loadKit(ROOT, 'basic'), { namespace: ns }), { onObject: (r) => seen.push(r) }), (e: unknown) => {
        assert.ok(e instanceof KitApplyError);
        assert.equal(e.kind, 'forbidden');
        assert.match(e.message, /^Namespace homelab-forbidden-\w+: .*forbidden/);
        return true;
      });
      assert.equal(seen.length, 1);
    });
  });
});

describe('application kit: IngressClass detection', function () {
  this.timeout(30_000);
  let env: TestEnv;
  const name = `homelab-test-ic-${randomBytes(3).toString('hex')}`;
  const path = `/apis/networking.k8s.io/v1/ingressclasses/${name}`;
  before(async () => { env = await setupEnv(); });
  after(async () => { await env.client.request('DELETE', path).catch(() => undefined); await env?.close(); });

  it('the cluster default IngressClass wins; without one, Traefik on K3s, else nginx', async () => {
    const before = await detectIngressClass(env.client);
    if (before.reason === 'fallback') assert.equal(before.name, 'nginx');
    await env.client.request('PATCH', path, {
      body: { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }, spec: { controller: 'example.com/homelab-test' } },
      contentType: 'application/apply-patch+yaml', query: { fieldManager: 'homelab-test' },
    });
    assert.deepEqual(await detectIngressClass(env.client), { name, reason: 'default' });
    await env.client.request('DELETE', path);
  });
});
