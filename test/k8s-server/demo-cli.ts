// `tsx test/k8s-server/demo-cli.ts <kubeconfig-path>`: the Kubernetes test server with a small lab
// cluster in it (namespaces, Deployments, a StatefulSet, a DaemonSet, services), for `npm run demo`.
// Writes a kubeconfig with one context "demo-k3s", prints ONE JSON line `{ url, kubeconfig }` and
// serves until SIGINT/SIGTERM. Pods write a log line every few seconds so a followed log moves.
import { startK8sServer } from './index';

type Json = Record<string, unknown>;

function workload(kind: 'deployments' | 'statefulsets' | 'daemonsets', ns: string, name: string, image: string, replicas?: number): Json {
  const labels = { app: name };
  const spec: Json = {
    selector: { matchLabels: labels },
    template: { metadata: { labels }, spec: { containers: [{ name, image, ports: [{ containerPort: 8080 }] }] } },
  };
  if (replicas !== undefined) spec.replicas = replicas;
  if (kind === 'statefulsets') spec.serviceName = name;
  return { metadata: { name, namespace: ns, labels }, spec };
}

const LAB: Array<[ 'deployments' | 'statefulsets' | 'daemonsets', string, string, string, number | undefined]> = [
  ['deployments', 'apps', 'web', 'nginx:1.27', 2],
  ['deployments', 'apps', 'api', 'ghcr.io/example/notes-api:0.4.1', 1],
  ['statefulsets', 'apps', 'postgres', 'postgres:16', 1],
  ['deployments', 'monitoring', 'grafana', 'grafana/grafana:11.2.0', 1],
  ['statefulsets', 'monitoring', 'prometheus', 'prom/prometheus:v2.54.1', 1],
  ['daemonsets', 'monitoring', 'node-exporter', 'prom/node-exporter:v1.8.2', undefined],
  ['deployments', 'kube-system', 'coredns', 'rancher/mirrored-coredns-coredns:1.11.3', 1],
  ['deployments', 'kube-system', 'traefik', 'rancher/mirrored-library-traefik:2.11.10', 1],
];

/**
 * The Hacky Stack application (the kit's names and labels, issue 14): web Deployment, Service,
 * Ingress with TLS, ConfigMap, a Secret whose DATABASE_URL is obviously fake, and the PostgreSQL
 * StatefulSet with its Services, so the Applications group has one application to show.
 */
function hackyStack(): Array<[string, Json]> {
  const ns = 'hacky-stack';
  const l = (component: string, name: string) => ({ 'app.kubernetes.io/part-of': 'hacky-stack', 'app.kubernetes.io/component': component, 'app.kubernetes.io/name': name });
  const web = l('web', 'hacky-stack');
  const db = l('database', 'hacky-stack-postgres');
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const fake = 'demo-not-a-real-password';
  return [
    ['configmaps', { metadata: { name: 'hacky-stack-config', namespace: ns, labels: web }, data: { NODE_ENV: 'production', PORT: '3000' } }],
    ['secrets', { metadata: { name: 'hacky-stack-secrets', namespace: ns, labels: web }, type: 'Opaque', data: {
      DATABASE_URL: b64(`postgresql://hacky:${fake}@hacky-stack-postgres.hacky-stack.svc.cluster.local:5432/hackystack`),
      NEXTAUTH_SECRET: b64(fake), NEXTAUTH_URL: b64('https://hackystack.local'), GITHUB_CLIENT_ID: b64('demo-client-id'), GITHUB_CLIENT_SECRET: b64(fake),
    } }],
    ['secrets', { metadata: { name: 'hacky-stack-postgres-credentials', namespace: ns, labels: db }, type: 'Opaque', data: { POSTGRES_USER: b64('hacky'), POSTGRES_PASSWORD: b64(fake), POSTGRES_DB: b64('hackystack') } }],
    ['services', { metadata: { name: 'hacky-stack', namespace: ns, labels: web }, spec: { selector: { 'app.kubernetes.io/name': 'hacky-stack' }, ports: [{ name: 'http', port: 3000, targetPort: 'http' }] } }],
    ['services', { metadata: { name: 'hacky-stack-postgres-headless', namespace: ns, labels: db }, spec: { clusterIP: 'None', selector: { 'app.kubernetes.io/name': 'hacky-stack-postgres' }, ports: [{ name: 'postgres', port: 5432 }] } }],
    ['services', { metadata: { name: 'hacky-stack-postgres', namespace: ns, labels: db }, spec: { selector: { 'app.kubernetes.io/name': 'hacky-stack-postgres' }, ports: [{ name: 'postgres', port: 5432 }] } }],
    ['ingresses', { metadata: { name: 'hacky-stack', namespace: ns, labels: web }, spec: {
      tls: [{ hosts: ['hackystack.local'], secretName: 'hacky-stack-tls' }],
      rules: [{ host: 'hackystack.local', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'hacky-stack', port: { number: 3000 } } } }] } }],
    } }],
    ['persistentvolumeclaims', { metadata: { name: 'data-hacky-stack-postgres-0', namespace: ns, labels: db }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } }],
    ['statefulsets', { metadata: { name: 'hacky-stack-postgres', namespace: ns, labels: db }, spec: {
      replicas: 1, serviceName: 'hacky-stack-postgres-headless', selector: { matchLabels: { 'app.kubernetes.io/name': 'hacky-stack-postgres' } },
      template: { metadata: { labels: db }, spec: { containers: [{ name: 'postgres', image: 'postgres:15', ports: [{ name: 'postgres', containerPort: 5432 }], envFrom: [{ secretRef: { name: 'hacky-stack-postgres-credentials' } }] }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } }],
    } }],
    ['deployments', { metadata: { name: 'hacky-stack', namespace: ns, labels: web }, spec: {
      replicas: 2, selector: { matchLabels: { 'app.kubernetes.io/name': 'hacky-stack' } },
      template: { metadata: { labels: web }, spec: { containers: [{ name: 'app', image: 'ghcr.io/example/hacky-stack:1.0.0', ports: [{ name: 'http', containerPort: 3000 }], envFrom: [{ secretRef: { name: 'hacky-stack-secrets' } }, { configMapRef: { name: 'hacky-stack-config' } }] }] } },
    } }],
  ];
}

const REQUESTS = ['GET / 200', 'GET /healthz 200', 'GET /api/notes 200', 'POST /api/notes 201', 'GET /metrics 200'];

async function main(): Promise<void> {
  const kubeconfigPath = process.argv[2];
  if (!kubeconfigPath) {
    process.stderr.write('usage: demo-cli.ts <kubeconfig-path>\n');
    process.exit(2);
  }
  const server = await startK8sServer({ podReadyDelayMs: 1500, namespaces: ['default', 'kube-system', 'apps', 'monitoring', 'hacky-stack'] });
  for (const [kind, ns, name, image, replicas] of LAB) server.store.create(kind, workload(kind, ns, name, image, replicas) as never);
  for (const ns of ['apps', 'monitoring']) {
    server.store.create('configmaps', <never>{ metadata: { name: `${ns}-settings`, namespace: ns }, data: { LOG_LEVEL: 'info' } });
  }
  for (const [plural, obj] of hackyStack()) server.store.create(plural, obj as never);
  // Bound, as K3s's local-path provisioner would bind it (this server has no provisioner).
  server.store.setStatus('persistentvolumeclaims', 'hacky-stack', 'data-hacky-stack-postgres-0', <never>{ phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '5Gi' } });
  server.store.create('services', <never>{ metadata: { name: 'web', namespace: 'apps' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } });
  const kubeconfig = server.writeKubeconfig(kubeconfigPath, { contexts: [{ name: 'demo-k3s', server: server.url, caPem: server.caPem, token: server.token }] });

  // A lab's pods keep logging: one request line per running container every few seconds.
  let tick = 0;
  const timer = setInterval(() => {
    tick++;
    for (const pod of server.store.list('pods')) {
      const meta = pod.metadata as { name: string; namespace: string };
      const containers = ((pod.spec as { containers?: Array<{ name: string }> }).containers ?? []);
      for (const c of containers) {
        server.store.appendLog(meta.namespace, meta.name, c.name, `${new Date().toISOString()} ${REQUESTS[(tick + meta.name.length) % REQUESTS.length]} ${3 + ((tick * 7) % 40)}ms`);
      }
    }
  }, 4000);
  timer.unref();

  process.stdout.write(JSON.stringify({ url: server.url, kubeconfig }) + '\n');
  const stop = () => {
    clearInterval(timer);
    server.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`k8s-server: ${(e as Error)?.message ?? e}\n`);
  process.exit(1);
});
