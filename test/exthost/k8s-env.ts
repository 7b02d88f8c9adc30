// Environment of the Kubernetes extension-host suites: the API test server started in-process
// (default), or a REAL cluster when HOMELAB_TEST_KUBECONFIG names a kubeconfig. Either way the
// tests work in a fresh namespace (deleted afterwards) and change objects through a second client.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../src/providers/kubernetes/client';
import { isKubeError } from '../../src/providers/kubernetes/errors';
import { connectionFor, loadKubeconfig } from '../../src/providers/kubernetes/kubeconfig';
import { startK8sServer, type K8sTestServer } from '../k8s-server';

export const REAL_KUBECONFIG = process.env.HOMELAB_TEST_KUBECONFIG;

export interface K8sEnv {
  server?: K8sTestServer;
  kubeconfigPath: string;
  context: string;
  /** Another client: "someone else" changing the cluster. */
  other: KubeClient;
  namespace: string;
  tmp: string;
  close(): Promise<void>;
}

export async function setupK8sEnv(): Promise<K8sEnv> {
  const tmp = mkdtempSync(join(tmpdir(), 'homelab-k8s-exthost-'));
  let server: K8sTestServer | undefined;
  let kubeconfigPath: string;
  if (REAL_KUBECONFIG) kubeconfigPath = REAL_KUBECONFIG;
  else {
    server = await startK8sServer({ podReadyDelayMs: 100, bookmarkIntervalMs: 500 });
    kubeconfigPath = server.writeKubeconfig(join(tmp, 'config'), { contexts: [{ name: 'lab', server: server.url, caPem: server.caPem, token: server.token }], currentContext: 'lab' });
  }
  const cfg = loadKubeconfig({ paths: [kubeconfigPath] });
  const conn = connectionFor(cfg);
  const other = new KubeClient(conn);
  const namespace = `homelab-test-${randomBytes(3).toString('hex')}`;
  await other.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'homelab-test': 'true' } } } });
  return {
    server, kubeconfigPath, context: conn.context, other, namespace, tmp,
    close: async () => {
      try { await other.request('DELETE', `/api/v1/namespaces/${namespace}`); } catch (e) { if (!isKubeError(e, 'notFound')) throw e; }
      (other as unknown as { close?: () => void }).close?.();
      // Upgraded (exec) sockets are not closed by closeAllConnections: do not hang the suite on one.
      await Promise.race([server?.close(), new Promise((r) => setTimeout(r, 5000))]);
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/**
 * Ready nodes of a real cluster (0: no kubelet, so no container will ever run); undefined when the
 * test server runs or nodes may not be listed.
 */
export async function readyNodes(env: K8sEnv): Promise<number | undefined> {
  if (env.server) return undefined;
  try {
    const list = await env.other.request<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>('GET', '/api/v1/nodes');
    return list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
  } catch {
    return undefined;
  }
}

/** The image of test containers: a cluster without registry access names a local one (e.g. localhost/busybox:local). */
const BUSYBOX = process.env.HOMELAB_TEST_BUSYBOX_IMAGE || 'busybox:1.36';

/** A Deployment whose container prints a line and stays up with a shell (busybox on a real cluster). */
export function deployment(name: string, namespace: string, replicas: number) {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: BUSYBOX, command: ['sh', '-c', 'echo homelab-hello; while true; do sleep 3600; done'] }] } },
    },
  };
}
