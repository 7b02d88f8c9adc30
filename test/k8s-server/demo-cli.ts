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

const REQUESTS = ['GET / 200', 'GET /healthz 200', 'GET /api/notes 200', 'POST /api/notes 201', 'GET /metrics 200'];

async function main(): Promise<void> {
  const kubeconfigPath = process.argv[2];
  if (!kubeconfigPath) {
    process.stderr.write('usage: demo-cli.ts <kubeconfig-path>\n');
    process.exit(2);
  }
  const server = await startK8sServer({ podReadyDelayMs: 1500, namespaces: ['default', 'kube-system', 'apps', 'monitoring'] });
  for (const [kind, ns, name, image, replicas] of LAB) server.store.create(kind, workload(kind, ns, name, image, replicas) as never);
  for (const ns of ['apps', 'monitoring']) {
    server.store.create('configmaps', <never>{ metadata: { name: `${ns}-settings`, namespace: ns }, data: { LOG_LEVEL: 'info' } });
  }
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
