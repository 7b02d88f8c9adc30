import assert from 'node:assert/strict';
import { applicationLine, databaseEndpoint, describeApplication, ingressUrl, listApplications, type AppObjects } from '../../../src/providers/kubernetes/applications';
import type { KubeObject } from '../../../src/providers/kubernetes/resources';

const PASSWORD = 'S3cr3t-Pa55word';
const NS = 'hacky-stack';
const labels = (component: string, name = 'hacky-stack', partOf = 'hacky-stack') => ({ 'app.kubernetes.io/part-of': partOf, 'app.kubernetes.io/component': component, 'app.kubernetes.io/name': name });
const b64 = (s: string) => Buffer.from(s).toString('base64');

function deployment(name = 'hacky-stack', ns = NS, partOf = 'hacky-stack', status: object = { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }): KubeObject {
  return {
    metadata: { name, namespace: ns, generation: 1, labels: labels('web', name, partOf) },
    spec: { replicas: 2, selector: { matchLabels: { 'app.kubernetes.io/name': name } }, template: { metadata: { labels: labels('web', name, partOf) }, spec: { containers: [{ name: 'app', image: 'ghcr.io/example/hacky-stack:1.0.0', envFrom: [{ secretRef: { name: 'hacky-stack-secrets' } }] }] } } },
    status,
  };
}
function statefulSet(): KubeObject {
  const l = labels('database', 'hacky-stack-postgres');
  return { metadata: { name: 'hacky-stack-postgres', namespace: NS, generation: 1, labels: l }, spec: { replicas: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'hacky-stack-postgres' } }, template: { metadata: { labels: l }, spec: { containers: [{ name: 'postgres', image: 'postgres:15' }] } }, volumeClaimTemplates: [{ metadata: { name: 'data' } }] }, status: { observedGeneration: 1, readyReplicas: 1 } };
}
function pod(name: string, ready: boolean, ip: string, l: Record<string, string> = labels('web')): KubeObject {
  return { metadata: { name, namespace: NS, labels: l }, spec: { containers: [{ name: 'app', image: 'ghcr.io/example/hacky-stack:1.0.0', ports: [{ name: 'http', containerPort: 3000 }] }] }, status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } };
}
function secret(url: string): KubeObject {
  return { metadata: { name: 'hacky-stack-secrets', namespace: NS, labels: labels('web') }, data: { DATABASE_URL: b64(url), NEXTAUTH_SECRET: b64('n0pe') } };
}
function objects(over: Partial<AppObjects> = {}): AppObjects {
  return {
    deployments: [deployment()],
    statefulsets: [],
    pods: [pod('hacky-stack-abc-1', true, '10.42.0.5'), pod('hacky-stack-abc-2', false, '10.42.0.6'), pod('other', true, '10.42.0.9', { app: 'other' })],
    services: [{ metadata: { name: 'hacky-stack', namespace: NS, labels: labels('web') }, spec: { selector: { 'app.kubernetes.io/name': 'hacky-stack' }, ports: [{ port: 3000, targetPort: 'http' }] } }],
    ingresses: [{ metadata: { name: 'hacky-stack', namespace: NS, labels: labels('web') }, spec: { rules: [{ host: 'hackystack.local', http: { paths: [{ path: '/', backend: { service: { name: 'hacky-stack' } } }] } }], tls: [{ hosts: ['hackystack.local'], secretName: 'tls' }] } }],
    persistentvolumeclaims: [],
    secrets: [secret(`postgresql://hacky:${PASSWORD}@db.example.com:5433/hackystack?sslmode=require`)],
    events: [],
    ...over,
  };
}
const ref = { context: 'c', namespace: NS, name: 'hacky-stack' };

describe('applications model', () => {
  it('groups workloads by part-of per namespace and ignores unlabelled ones', () => {
    const unlabelled = deployment('plain');
    delete unlabelled.metadata.labels;
    const apps = listApplications('c', [deployment(), deployment('blog', 'blog', 'blog'), deployment('hacky-stack', 'staging'), unlabelled], [statefulSet()]);
    assert.deepEqual(apps.map((a) => `${a.namespace}/${a.name}`), ['blog/blog', 'hacky-stack/hacky-stack', 'staging/hacky-stack']);
    const hs = apps.find((a) => a.namespace === NS)!;
    assert.equal(hs.web, 'hacky-stack');
    assert.equal(hs.databaseSet, 'hacky-stack-postgres');
    assert.equal(hs.image, 'ghcr.io/example/hacky-stack:1.0.0');
    assert.equal(hs.rollout?.done, true);
    assert.match(applicationLine(hs), /hacky-stack\/hacky-stack 2\/2 ready · ghcr.io/);
  });

  it('an application with only a StatefulSet is listed too', () => {
    const apps = listApplications('c', [], [statefulSet()]);
    assert.equal(apps.length, 1);
    assert.equal(apps[0].web, undefined);
    assert.match(applicationLine(apps[0]), /no web Deployment/);
  });

  it('reports a rollout in progress and its failure', () => {
    const rolling = deployment('hacky-stack', NS, 'hacky-stack', { observedGeneration: 1, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2 });
    const s = listApplications('c', [rolling], [])[0];
    assert.equal(s.rollout?.done, false);
    assert.equal(s.rollout?.old, 2);
    const failed = deployment('hacky-stack', NS, 'hacky-stack', { observedGeneration: 1, replicas: 2, updatedReplicas: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'timed out' }] });
    assert.equal(listApplications('c', [failed], [])[0].rollout?.failure?.reason, 'ProgressDeadlineExceeded');
    const unobserved = deployment();
    unobserved.metadata.generation = 2;
    assert.equal(listApplications('c', [unobserved], [])[0].rollout?.done, false);
  });

  it('external database: host:port/db from DATABASE_URL, never the password', () => {
    const d = describeApplication(ref, objects());
    assert.deepEqual(d.database, { kind: 'external', host: 'db.example.com', port: 5433, database: 'hackystack', set: undefined });
    assert.ok(!JSON.stringify(d).includes(PASSWORD), 'the password is nowhere in the model');
    assert.ok(!JSON.stringify(d).includes('hacky:'), 'nor the user:password pair');
  });

  it('StatefulSet database: ready replicas and the claim phase; chosen when DATABASE_URL names its Service', () => {
    const svcs = [...objects().services, { metadata: { name: 'hacky-stack-postgres', namespace: NS, labels: labels('database', 'hacky-stack-postgres') }, spec: { selector: { 'app.kubernetes.io/name': 'hacky-stack-postgres' }, ports: [{ port: 5432 }] } }];
    const claims = [{ metadata: { name: 'data-hacky-stack-postgres-0', namespace: NS }, status: { phase: 'Bound' } }, { metadata: { name: 'data-hacky-stack-postgres-other', namespace: NS }, status: { phase: 'Pending' } }];
    const inCluster = describeApplication(ref, objects({ statefulsets: [statefulSet()], services: svcs, persistentvolumeclaims: claims, secrets: [secret(`postgresql://u:${PASSWORD}@hacky-stack-postgres.hacky-stack.svc.cluster.local:5432/hackystack`)] }));
    assert.equal(inCluster.database.kind, 'statefulset');
    assert.deepEqual(inCluster.database.set, { name: 'hacky-stack-postgres', ready: 1, desired: 1, claims: [{ name: 'data-hacky-stack-postgres-0', phase: 'Bound' }] });
    // The StatefulSet exists (a migration under way) but the app still uses the external server.
    const during = describeApplication(ref, objects({ statefulsets: [statefulSet()], services: svcs }));
    assert.equal(during.database.kind, 'external');
    assert.equal(during.database.set?.name, 'hacky-stack-postgres');
    // Its pods are the app's pods too.
    const withDbPod = describeApplication(ref, objects({ statefulsets: [statefulSet()], pods: [...objects().pods, pod('hacky-stack-postgres-0', true, '10.42.0.7', { 'app.kubernetes.io/name': 'hacky-stack-postgres' })] }));
    assert.deepEqual(withDbPod.pods.map((p) => p.name), ['hacky-stack-abc-1', 'hacky-stack-abc-2', 'hacky-stack-postgres-0']);
  });

  it('database unknown: Secret forbidden, missing, or a bad URL (message without the URL)', () => {
    assert.equal(describeApplication(ref, objects({ secrets: 'forbidden' })).database.kind, 'unknown');
    assert.match((describeApplication(ref, objects({ secrets: 'forbidden' })).database as { reason: string }).reason, /forbidden/);
    assert.equal(describeApplication(ref, objects({ secrets: [] })).database.kind, 'unknown');
    const bad = describeApplication(ref, objects({ secrets: [secret(`mysql://root:${PASSWORD}@db/x`)] }));
    assert.equal(bad.database.kind, 'unknown');
    assert.ok(!JSON.stringify(bad).includes(PASSWORD));
    const garbage = describeApplication(ref, objects({ secrets: [secret(`not a url ${PASSWORD}`)] }));
    assert.ok(!JSON.stringify(garbage).includes(PASSWORD));
    assert.throws(() => databaseEndpoint(`postgres://u:${PASSWORD}@/db`), (e: Error) => !e.message.includes(PASSWORD));
    assert.deepEqual(databaseEndpoint('postgres://u:p@[::1]/d%20b'), { host: '::1', port: 5432, database: 'd b' });
  });

  it('env secretKeyRef with another key name is honoured', () => {
    const d = deployment();
    d.spec.template.spec.containers[0] = { name: 'app', image: 'x:1', env: [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'url' } } }] };
    const s: KubeObject = { metadata: { name: 'db', namespace: NS }, data: { url: b64(`postgres://a:${PASSWORD}@pg.lan/app`) } };
    const got = describeApplication(ref, objects({ deployments: [d], secrets: [s] }));
    assert.equal(got.database.kind, 'external');
    assert.equal((got.database as { host: string }).host, 'pg.lan');
  });

  it('endpoints behind the Service: ready and not ready, with the named target port', () => {
    const d = describeApplication(ref, objects());
    assert.equal(d.service?.name, 'hacky-stack');
    assert.deepEqual(d.service?.endpoints, [{ address: '10.42.0.5:3000', pod: 'hacky-stack-abc-1', ready: true }, { address: '10.42.0.6:3000', pod: 'hacky-stack-abc-2', ready: false }]);
    assert.equal(d.service?.ready, 1);
    assert.equal(d.service?.notReady, 1);
  });

  it('URL from the Ingress: https with TLS for the host, http without; path kept', () => {
    assert.equal(describeApplication(ref, objects()).url, 'https://hackystack.local/');
    const ing = objects().ingresses[0];
    delete ing.spec.tls;
    assert.equal(ingressUrl(ing, 'hacky-stack')?.url, 'http://hackystack.local/');
    ing.spec.tls = [{ hosts: ['*.local'] }];
    assert.equal(ingressUrl(ing, 'hacky-stack')?.tls, true);
    ing.spec.tls = [{ hosts: ['other.local'] }];
    ing.spec.rules[0].http.paths[0].path = '/app';
    assert.equal(ingressUrl(ing, 'hacky-stack')?.url, 'http://hackystack.local/app');
    assert.equal(ingressUrl({ metadata: { name: 'x' }, spec: { rules: [{ http: {} }] } }), undefined, 'no host: no URL');
    assert.equal(describeApplication(ref, objects({ ingresses: [] })).url, undefined);
  });

  it('recent events of the app\'s objects only, newest first', () => {
    const ev = (name: string, kind: string, obj: string, t: string, type = 'Normal') => ({ metadata: { name, namespace: NS }, involvedObject: { kind, name: obj }, reason: name, message: `${name} happened`, type, lastTimestamp: t });
    const d = describeApplication(ref, objects({
      events: [ev('Scaled', 'Deployment', 'hacky-stack', '2026-01-01T00:00:01Z'), ev('Pulled', 'Pod', 'hacky-stack-abc-1', '2026-01-01T00:00:03Z'), ev('Other', 'Pod', 'other', '2026-01-01T00:00:04Z'),
        ev('SuccessfulCreate', 'ReplicaSet', 'hacky-stack-5d9f8c', '2026-01-01T00:00:02Z'), ev('Unrelated', 'ReplicaSet', 'hacky-stack-postgres-x-y', '2026-01-01T00:00:05Z')],
    }));
    assert.deepEqual(d.events.map((e) => e.reason), ['Pulled', 'SuccessfulCreate', 'Scaled']);
  });
});
