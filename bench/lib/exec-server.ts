// The Kubernetes API test server in its own process (so its memory is not the measured client's),
// with one Running pod in namespace `bench` whose exec is bound to local processes (bindExec) with
// PostgreSQL 15's binaries first on PATH. Prints one JSON line ({ kubeconfig, namespace, pod }) and
// serves until SIGTERM/SIGINT.
//   npx tsx bench/lib/exec-server.ts <kubeconfig path>
import { startK8sServer } from '../../test/k8s-server';
import { PG_BIN } from '../../test/harness/postgres';

async function main(): Promise<void> {
  const kubeconfig = process.argv[2];
  if (!kubeconfig) throw new Error('usage: exec-server.ts <kubeconfig path>');
  const s = await startK8sServer({ podReadyDelayMs: 50, namespaces: ['default', 'kube-system', 'bench'] });
  s.writeKubeconfig(kubeconfig);
  const pod = 'hacky-stack-db-migrate';
  s.bindExec('bench', pod, { env: { PATH: `${PG_BIN}:/usr/bin:/bin`, LC_ALL: 'C.UTF-8' } });
  s.store.create('pods', { metadata: { name: pod, namespace: 'bench' }, spec: { containers: [{ name: 'postgres', image: 'postgres:15', command: ['sleep', 'infinity'] }] } });
  for (let i = 0; i < 100 && (s.store.get('pods', 'bench', pod)?.status as { phase?: string } | undefined)?.phase !== 'Running'; i++) await new Promise((r) => setTimeout(r, 50));
  const stop = () => { void s.close().then(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log(JSON.stringify({ kubeconfig, namespace: 'bench', pod }));
}

main().catch((e) => { console.error(e); process.exit(1); });
