// The application kit as files and as rendered objects: every object labelled for the contract,
// the shipped Secrets without real values, parameters landing in their fields, bad input refused
// with a message that never quotes a secret.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  APP_NAME, COMPONENT, KIT_NAMES, loadKit, NAME_LABEL, PART_OF, renderKit, sortForApply, splitImage, inClusterDatabaseUrl, type KitObject,
} from '../../../src/providers/apps/kit';
import { isKubeError } from '../../../src/providers/kubernetes/errors';
import { manifestFiles } from '../../../src/providers/kubernetes/actions';

const ROOT = resolve(__dirname, '../../..');
const find = (objs: KitObject[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind} ${name} missing`);
  return o;
};
const decode = (o: KitObject) => Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
function refused(fn: () => unknown, re: RegExp): string {
  try { fn(); } catch (e) { assert.ok(isKubeError(e, 'invalid'), String(e)); assert.match((e as Error).message, re); return (e as Error).message; }
  assert.fail('expected a refusal');
}

describe('application kit: manifests', () => {
  const basic = loadKit(ROOT, 'basic');
  const inter = loadKit(ROOT, 'intermediate');

  it('basic holds the app objects the contract names; intermediate adds the database', () => {
    const names = (objs: KitObject[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(names(basic), ['ConfigMap/hacky-stack-config', 'Deployment/hacky-stack', 'Ingress/hacky-stack', 'Namespace/hacky-stack', 'Secret/hacky-stack-secrets', 'Service/hacky-stack']);
    assert.deepEqual(names(inter), [...names(basic), 'ConfigMap/hacky-stack-postgres-config', 'Secret/hacky-stack-postgres-credentials', 'Service/hacky-stack-postgres',
      'Service/hacky-stack-postgres-headless', 'StatefulSet/hacky-stack-postgres'].sort());
  });

  it('every object carries part-of, component and name labels; workload selectors match their templates', () => {
    for (const o of inter) {
      const l = o.metadata.labels ?? {};
      assert.equal(l[PART_OF], APP_NAME, `${o.kind} ${o.metadata.name}`);
      const db = o.metadata.name.startsWith('hacky-stack-postgres');
      assert.equal(l[COMPONENT], db ? 'database' : 'web', `${o.kind} ${o.metadata.name}`);
      assert.equal(l[NAME_LABEL], db ? 'hacky-stack-postgres' : 'hacky-stack', `${o.kind} ${o.metadata.name}`);
      if (o.kind === 'Deployment' || o.kind === 'StatefulSet') {
        for (const [k, v] of Object.entries(o.spec.selector.matchLabels as Record<string, string>)) assert.equal(o.spec.template.metadata.labels[k], v);
      }
      if (o.kind === 'Service') for (const [k, v] of Object.entries(o.spec.selector as Record<string, string>)) assert.equal(l[k], v, `${o.metadata.name} selects ${k}`);
    }
  });

  it('the Deployment: 2 replicas, requests/limits in the plan ranges, probes on /api/health, non-root, read-only root with emptyDirs', () => {
    const d = find(basic, 'Deployment', KIT_NAMES.deployment);
    assert.equal(d.spec.replicas, 2);
    const pod = d.spec.template.spec;
    const c = pod.containers.find((x: { name: string }) => x.name === 'app');
    assert.deepEqual(c.ports, [{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    assert.deepEqual(c.resources, { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    for (const p of [c.readinessProbe, c.livenessProbe]) assert.deepEqual(p.httpGet, { path: '/api/health', port: 'http' });
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    const mounts = c.volumeMounts.map((m: { name: string }) => m.name);
    for (const m of mounts) assert.ok(pod.volumes.find((v: { name: string; emptyDir?: object }) => v.name === m && v.emptyDir), `${m} is an emptyDir`);
    assert.ok(c.volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/tmp'));
    assert.deepEqual(c.envFrom, [{ configMapRef: { name: KIT_NAMES.config } }, { secretRef: { name: KIT_NAMES.secret } }]);
  });

  it('Service ClusterIP 3000; Ingress for hackystack.local with TLS prepared in comments', () => {
    const s = find(basic, 'Service', KIT_NAMES.service);
    assert.equal(s.spec.type, 'ClusterIP');
    assert.equal(s.spec.ports[0].port, 3000);
    const i = find(basic, 'Ingress', KIT_NAMES.ingress);
    assert.equal(i.spec.rules[0].host, 'hackystack.local');
    assert.equal(i.spec.rules[0].http.paths[0].backend.service.name, KIT_NAMES.service);
    const text = readFileSync(resolve(ROOT, 'resources/k8s/hacky-stack/basic/40-ingress.yaml'), 'utf8');
    assert.match(text, /\n\s*#\s+tls:\n\s*#\s+- hosts: \[hackystack.local\]\n\s*#\s+secretName: hacky-stack-tls/);
  });

  it('the StatefulSet: 1 replica, claim template "data", pg_isready startup/readiness probes, security context, tuning from the ConfigMap', () => {
    const st = find(inter, 'StatefulSet', KIT_NAMES.statefulSet);
    assert.equal(st.spec.replicas, 1);
    assert.equal(st.spec.serviceName, KIT_NAMES.databaseHeadless);
    assert.deepEqual(st.spec.volumeClaimTemplates.map((t: KitObject) => t.metadata.name), ['data']);
    const c = st.spec.template.spec.containers[0];
    assert.equal(c.name, 'postgres');
    assert.equal(c.image, 'postgres:15');
    for (const p of [c.startupProbe, c.readinessProbe]) assert.match(p.exec.command.join(' '), /pg_isready/);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
    const cm = find(inter, 'ConfigMap', KIT_NAMES.databaseConfig);
    for (const e of c.env.filter((x: { valueFrom?: unknown }) => x.valueFrom)) assert.ok(cm.data?.[e.valueFrom.configMapKeyRef.key] !== undefined, e.name);
    assert.ok(Object.keys(cm.data ?? {}).some((k) => k.endsWith('.sh')), 'an init script');
    assert.equal(st.spec.template.spec.volumes[0].configMap.defaultMode, 0o555);
    assert.equal(find(inter, 'Service', KIT_NAMES.databaseHeadless).spec.clusterIP, 'None');
    assert.equal(find(inter, 'Service', KIT_NAMES.databaseService).spec.ports[0].port, 5432);
  });

  it('the shipped Secret templates hold no real values', () => {
    const app = find(basic, 'Secret', KIT_NAMES.secret);
    assert.equal(app.data, undefined);
    assert.deepEqual(Object.keys(app.stringData ?? {}).sort(), ['DATABASE_URL', 'GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET', 'NEXTAUTH_SECRET', 'NEXTAUTH_URL']);
    for (const k of ['DATABASE_URL', 'GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET', 'NEXTAUTH_SECRET']) assert.equal(app.stringData![k], '', k);
    assert.equal(app.stringData!.NEXTAUTH_URL, 'https://hackystack.local');
    const db = find(inter, 'Secret', KIT_NAMES.databaseSecret);
    assert.equal(db.stringData!.POSTGRES_PASSWORD, '');
    // and no file of the kit carries something that looks like a credential in a URL
    for (const f of manifestFiles(resolve(ROOT, 'resources/k8s/hacky-stack'))) assert.doesNotMatch(readFileSync(f, 'utf8'), /postgres(ql)?:\/\/[^<\s:]+:[^<\s@]+@/, f);
  });

  it('loadKit refuses an unknown level', () => {
    refused(() => loadKit(ROOT, 'advanced' as never), /Unknown level "advanced"/);
  });
});

describe('application kit: renderKit', () => {
  const inter = loadKit(ROOT, 'intermediate');

  it('parameters land in their fields; the input objects stay as they were', () => {
    const before = JSON.stringify(inter);
    const out = renderKit(inter, {
      namespace: 'lab-app', image: 'registry.lab:5000/me/hacky-stack', tag: 'v1.2.3', replicas: 3, ingressClass: 'traefik', host: 'app.lab.example',
      databaseImage: 'localhost/postgres:15-local', storageClass: 'local-path', storageSize: '5Gi',
      appSecrets: { NEXTAUTH_SECRET: 's3cr3t-Ω', GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 'gh', DATABASE_URL: 'postgresql://u:p@db:5432/x' },
      databaseCredentials: { POSTGRES_USER: 'app_user', POSTGRES_PASSWORD: 'pw with space', POSTGRES_DB: 'app_db' },
    });
    assert.equal(JSON.stringify(inter), before);
    assert.equal(find(out, 'Namespace', 'lab-app').kind, 'Namespace');
    for (const o of out) if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'lab-app', `${o.kind} ${o.metadata.name}`);
    const d = find(out, 'Deployment', KIT_NAMES.deployment);
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.spec.template.spec.containers[0].image, 'registry.lab:5000/me/hacky-stack:v1.2.3');
    const i = find(out, 'Ingress', KIT_NAMES.ingress);
    assert.equal(i.spec.ingressClassName, 'traefik');
    assert.equal(i.spec.rules[0].host, 'app.lab.example');
    const st = find(out, 'StatefulSet', KIT_NAMES.statefulSet);
    assert.equal(st.spec.template.spec.containers[0].image, 'localhost/postgres:15-local');
    assert.equal(st.spec.volumeClaimTemplates[0].spec.storageClassName, 'local-path');
    assert.equal(st.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '5Gi');
    const app = find(out, 'Secret', KIT_NAMES.secret);
    assert.equal(app.stringData, undefined, 'sent as data');
    assert.deepEqual(decode(app), { NEXTAUTH_SECRET: 's3cr3t-Ω', NEXTAUTH_URL: 'https://app.lab.example', GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 'gh', DATABASE_URL: 'postgresql://u:p@db:5432/x' });
    assert.deepEqual(decode(find(out, 'Secret', KIT_NAMES.databaseSecret)), { POSTGRES_USER: 'app_user', POSTGRES_PASSWORD: 'pw with space', POSTGRES_DB: 'app_db' });
    assert.equal(find(out, 'Ingress', KIT_NAMES.ingress).metadata.annotations?.['nginx.ingress.kubernetes.io/ssl-redirect'], 'false');
  });

  it('ingressClass null leaves the class to the cluster default; no parameters keep the manifests', () => {
    const out = renderKit(inter, { ingressClass: null });
    assert.equal(find(out, 'Ingress', KIT_NAMES.ingress).spec.ingressClassName, undefined);
    const plain = renderKit(inter);
    assert.equal(find(plain, 'Ingress', KIT_NAMES.ingress).spec.ingressClassName, 'nginx');
    assert.equal(find(plain, 'Deployment', KIT_NAMES.deployment).spec.replicas, 2);
    assert.equal(find(plain, 'Namespace', 'hacky-stack').kind, 'Namespace');
  });

  it('objects come out in dependency order: Namespace, ConfigMaps/Secrets, Services, StatefulSet, Deployment, Ingress', () => {
    const kinds = renderKit(inter).map((o) => o.kind);
    const firstOf = (k: string) => kinds.indexOf(k);
    const lastOf = (k: string) => kinds.lastIndexOf(k);
    assert.equal(kinds[0], 'Namespace');
    assert.ok(lastOf('ConfigMap') < firstOf('Service') && lastOf('Secret') < firstOf('Service'));
    assert.ok(lastOf('Service') < firstOf('StatefulSet'));
    assert.ok(firstOf('StatefulSet') < firstOf('Deployment') && firstOf('Deployment') < firstOf('Ingress'));
    assert.deepEqual(sortForApply([{ kind: 'Ingress', metadata: { name: 'a' } }, { kind: 'Namespace', metadata: { name: 'b' } }]).map((o) => o.kind), ['Namespace', 'Ingress']);
  });

  it('bad names and values are refused, all at once, before anything is rendered', () => {
    refused(() => renderKit(inter, { namespace: 'Hacky_Stack' }), /Namespace "Hacky_Stack" is not a DNS-1123 label/);
    refused(() => renderKit(inter, { namespace: 'a'.repeat(64) }), /longer than 63/);
    refused(() => renderKit(inter, { namespace: '../etc' }), /not a DNS-1123 label/);
    refused(() => renderKit(inter, { namespace: '' }), /Namespace is required/);
    refused(() => renderKit(inter, { image: 'Ghcr.io/Me/App', tag: 'x' }), /not a valid image name/);
    refused(() => renderKit(inter, { image: 'me/app\nspec: {}', tag: 'x' }), /not a valid image name/);
    refused(() => renderKit(inter, { image: 'me/app', tag: 'v1 rm' }), /Tag "v1 rm" is not a valid image tag/);
    refused(() => renderKit(inter, { image: 'me/app' }), /give both or neither/);
    refused(() => renderKit(inter, { replicas: 0 }), /from 1 to 50; got 0/);
    refused(() => renderKit(inter, { replicas: 2.5 }), /got 2.5/);
    refused(() => renderKit(inter, { ingressClass: 'Bad Class' }), /IngressClass "Bad Class"/);
    refused(() => renderKit(inter, { host: 'x..y' }), /Host "x..y"/);
    refused(() => renderKit(inter, { storageSize: 'lots' }), /Storage size "lots"/);
    refused(() => renderKit(inter, { databaseImage: 'postgres:bad tag' }), /not a valid image tag/);
    refused(() => renderKit(inter, { databaseCredentials: { POSTGRES_USER: 'Robert"); DROP' } }), /Database user/);
    const msg = refused(() => renderKit(inter, { namespace: 'BAD', replicas: -1, appSecrets: { NEXTAUTH_SECRET: 'do-not-echo-me', NOPE: 'also-secret' } as never }), /Namespace "BAD".*Replicas.*NOPE is not a key/);
    assert.doesNotMatch(msg, /do-not-echo-me|also-secret/);
  });

  it('an object that is not part of the app is refused', () => {
    const stranger = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { [PART_OF]: 'other' } } };
    refused(() => renderKit([...inter, stranger]), /ConfigMap x is not part of hacky-stack/);
  });

  it('splitImage keeps a registry port; the in-cluster URL encodes credentials', () => {
    assert.deepEqual(splitImage('registry.lab:5000/me/app'), { image: 'registry.lab:5000/me/app' });
    assert.deepEqual(splitImage('registry.lab:5000/me/app:v2'), { image: 'registry.lab:5000/me/app', tag: 'v2' });
    assert.deepEqual(splitImage('postgres:15'), { image: 'postgres', tag: '15' });
    assert.equal(inClusterDatabaseUrl('ns1', 'u', 'p@ss/:word', 'db'), 'postgresql://u:p%40ss%2F%3Aword@hacky-stack-postgres.ns1.svc.cluster.local:5432/db');
  });
});
