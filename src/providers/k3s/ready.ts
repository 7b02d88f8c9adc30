// "Ready means ready": waits for every node of the plan to report Ready, through a watch on Node
// objects (an informer: one list, then events), never a poll. Per node it reports the kubelet
// version, the roles, and the condition that is not yet as it should be.
import { CancelledError } from '../cancellation';
import { KubeClient } from '../kubernetes/client';
import type { KubeError } from '../kubernetes/errors';
import { Informer } from '../kubernetes/informer';
import type { ClusterConnection } from '../kubernetes/kubeconfig';
import type { KindName, KubeObject, ResourceKind } from '../kubernetes/resources';
import type { NodeReadiness } from './engine';
import { K3sError } from './errors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml: { load(s: string): unknown } = require('js-yaml');

/** Node is cluster-scoped core/v1. Not a tree kind (yet), hence the cast: only group, version,
 * namespaced and the plural name are used to build its paths. */
export const NODE_KIND: ResourceKind = { name: 'nodes' as KindName, kind: 'Node', group: '', version: 'v1', namespaced: false, label: 'Nodes' };

const PRESSURE = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];

interface Condition { type: string; status: string; reason?: string; message?: string }

/** Readiness of one Node object (undefined: not registered yet). */
export function readinessOf(node: KubeObject | undefined): NodeReadiness {
  if (!node) return { ready: false, roles: [], waitingFor: 'not registered with the API yet' };
  const labels = node.metadata.labels ?? {};
  const roles = Object.keys(labels).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length)).sort();
  const conditions: Condition[] = Array.isArray(node.status?.conditions) ? node.status.conditions : [];
  const version: string | undefined = node.status?.nodeInfo?.kubeletVersion;
  const readyCond = conditions.find((c) => c.type === 'Ready');
  const detail = (c: Condition) => `${c.type}=${c.status}${c.reason || c.message ? ` (${[c.reason, c.message].filter(Boolean).join(': ')})` : ''}`;
  if (!readyCond) return { ready: false, version, roles, waitingFor: 'no Ready condition yet (kubelet starting)' };
  if (readyCond.status !== 'True') return { ready: false, version, roles, waitingFor: detail(readyCond) };
  const pressure = conditions.find((c) => PRESSURE.includes(c.type) && c.status === 'True');
  return { ready: true, version, roles, waitingFor: pressure ? detail(pressure) : undefined };
}

/** A client for the one context of a kubeconfig Homelab wrote (rewriteK3sKubeconfig's output). */
export function clientFromKubeconfig(kubeconfigYaml: string): KubeClient {
  const doc = yaml.load(kubeconfigYaml) as { 'current-context'?: string; clusters?: any[]; users?: any[]; contexts?: any[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
  const ctx = doc.contexts?.find((c) => c.name === doc['current-context']) ?? doc.contexts?.[0];
  const cluster = doc.clusters?.find((c) => c.name === ctx?.context?.cluster)?.cluster;
  const user = doc.users?.find((u) => u.name === ctx?.context?.user)?.user ?? {};
  if (!ctx || !cluster?.server) throw new K3sError('kubeconfig', 'The kubeconfig has no usable context.');
  const b64 = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined);
  const conn: ClusterConnection = {
    context: ctx.name, server: String(cluster.server).replace(/\/+$/, ''), namespace: ctx.context?.namespace ?? 'default',
    caPem: b64(cluster['certificate-authority-data']), token: typeof user.token === 'string' ? user.token : undefined,
    clientCertPem: b64(user['client-certificate-data']), clientKeyPem: b64(user['client-key-data']),
  };
  return new KubeClient(conn);
}

export interface WaitReadyOptions {
  client: KubeClient;
  /** Node names that must be Ready. */
  nodes: readonly string[];
  signal: AbortSignal;
  /** Overall budget (default 10 min). */
  timeoutMs?: number;
  /** How long the API may stay unreachable before giving up (default 60 s). */
  unreachableMs?: number;
  /** After each watch batch: readiness per expected node. */
  onUpdate?(readiness: Map<string, NodeReadiness>): void;
}

/** Resolves with every node's readiness once all are Ready; throws K3sError or CancelledError. */
export function waitForNodesReady(o: WaitReadyOptions): Promise<Map<string, NodeReadiness>> {
  return new Promise((resolve, reject) => {
    const server = o.client.server;
    let synced = false;
    let firstError: number | undefined;
    let lastError: KubeError | undefined;
    let done = false;
    const snapshot = () => new Map(o.nodes.map((n) => [n, readinessOf(informer.get(n))]));
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      informer.stop();
      if (err) reject(err);
      else resolve(snapshot());
    };
    const check = () => {
      const r = snapshot();
      o.onUpdate?.(r);
      if ([...r.values()].every((x) => x.ready)) finish();
    };
    const informer: Informer = new Informer({
      client: o.client,
      kind: NODE_KIND,
      batchMs: 50,
      backoff: { initialMs: 250, maxMs: 5000 },
      onBatch: () => {
        synced = true;
        firstError = undefined;
        check();
      },
      onError: (err) => {
        lastError = err;
        firstError ??= Date.now();
        const unreachable = err.kind === 'unreachable';
        if (unreachable && Date.now() - firstError >= (o.unreachableMs ?? 60_000)) {
          finish(new K3sError('api-unreachable', `The Kubernetes API at ${server} does not answer from this machine (${err.message}). Check that the address is reachable from here (a VIP needs something that serves it), or choose the first control plane as the API address.`, { cause: err }));
        } else if (!unreachable && (err.kind === 'unauthorized' || err.kind === 'forbidden')) {
          finish(new K3sError('kubeconfig', `The API at ${server} refused the kubeconfig read from the cluster: ${err.message}`, { cause: err }));
        }
      },
    });
    const onAbort = () => finish(new CancelledError());
    if (o.signal.aborted) return onAbort();
    o.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      const waiting = [...snapshot()].filter(([, r]) => !r.ready).map(([n, r]) => `${n}: ${r.waitingFor ?? 'not Ready'}`);
      finish(synced
        ? new K3sError('not-ready', `Not every node became Ready within ${Math.round((o.timeoutMs ?? 600_000) / 1000)} s: ${waiting.join('; ')}.`)
        : new K3sError('api-unreachable', `The Kubernetes API at ${server} did not answer within ${Math.round((o.timeoutMs ?? 600_000) / 1000)} s${lastError ? ` (${lastError.message})` : ''}.`));
    }, o.timeoutMs ?? 600_000);
    informer.start();
    void informer.waitForSync().then(() => {
      synced = true;
      if (!done) check();
    });
  });
}
