// Test environment: the Kubernetes API test server (default), or a REAL cluster when
// HOMELAB_TEST_KUBECONFIG names a kubeconfig. Either way tests get a client and a fresh,
// uniquely named namespace that is deleted afterwards.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startK8sServer, K8sTestServer, K8sServerOptions } from '../../k8s-server';
import { KubeClient } from '../../../src/providers/kubernetes/client';
import { connectionFor, loadKubeconfig } from '../../../src/providers/kubernetes/kubeconfig';
import { isKubeError } from '../../../src/providers/kubernetes/errors';
import { notRun, runnableOnlyIf } from '../../harness/not-run';

export const REAL_KUBECONFIG = process.env.HOMELAB_TEST_KUBECONFIG;
/** True when running against the test server, whose fault hooks some tests need. */
export const ON_TEST_SERVER = !REAL_KUBECONFIG;

export interface TestEnv {
  client: KubeClient;
  /** A second, independent client: "another user" changing things. */
  other: KubeClient;
  namespace: string;
  server?: K8sTestServer;
  tmp: string;
  kubeconfigPath: string;
  close(): Promise<void>;
}

export async function setupEnv(serverOpts: K8sServerOptions = {}): Promise<TestEnv> {
  const tmp = mkdtempSync(join(tmpdir(), 'homelab-k8s-'));
  let server: K8sTestServer | undefined;
  let kubeconfigPath: string;
  if (REAL_KUBECONFIG) kubeconfigPath = REAL_KUBECONFIG;
  else {
    server = await startK8sServer({ podReadyDelayMs: 150, bookmarkIntervalMs: 500, ...serverOpts });
    kubeconfigPath = server.writeKubeconfig(join(tmp, 'config'));
  }
  const conn = connectionFor(loadKubeconfig({ paths: [kubeconfigPath] }));
  const client = new KubeClient(conn);
  const other = new KubeClient(conn);
  const namespace = `homelab-test-${randomBytes(4).toString('hex')}`;
  await client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'homelab-test': 'true' } } } });
  return {
    client, other, namespace, server, tmp, kubeconfigPath,
    close: async () => {
      try { await client.request('DELETE', `/api/v1/namespaces/${namespace}`); } catch (e) { if (!isKubeError(e, 'notFound')) throw e; }
      client.close(); other.close();
      await server?.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Retries an assertion until it passes or the time is up (then rethrows its last failure). */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try { return await fn(); } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, stepMs));
    }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True when containers run: the test server (it runs pods itself), or a real cluster with a Ready node. */
export async function containersRun(env: TestEnv): Promise<boolean> {
  if (env.server) return true;
  const list = await env.client.request<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>('GET', '/api/v1/nodes');
  return list.items.some((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

export const NO_CONTAINERS = `needs running containers: the cluster at ${REAL_KUBECONFIG} has no Ready node (no kubelet)`;

/**
 * Ends the test as NOT RUN when it needs running containers and the real cluster has no Ready node
 * (an apiserver without a kubelet). The test server runs pods itself.
 */
export async function requireContainers(ctx: Mocha.Context, env: TestEnv): Promise<void> {
  if (!await containersRun(env)) notRun(ctx, NO_CONTAINERS);
}

/** Registers tests that need the test server's hooks; on a real cluster they are reported NOT RUN. */
export function onTestServerOnly(body: () => void): void {
  runnableOnlyIf(ON_TEST_SERVER, 'needs the API test server (its fault hooks)', body);
}

/** The image of test pods: a cluster without registry access names a local one (e.g. localhost/pause:local). */
const PAUSE = process.env.HOMELAB_TEST_PAUSE_IMAGE || 'registry.k8s.io/pause:3.9';

/** A small Deployment; the image runs on a real cluster too. */
export function deploymentManifest(name: string, namespace: string, replicas = 1, image = PAUSE) {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } } },
  };
}
