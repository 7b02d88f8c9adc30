// Nodes: what the tree shows of one (Ready, roles, version, capacity and allocatable, pressure
// conditions) and the maintenance actions kubectl has: cordon, uncordon, and drain through the
// Eviction API, so PodDisruptionBudgets are respected (a 429 means "not now": retried until the
// timeout, then reported), never a plain delete.
import { CancelledError } from '../cancellation';
import type { KubeClient } from './client';
import type { KubeError } from './errors';
import type { KubeList, KubeObject } from './resources';

export const PRESSURE_CONDITIONS = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'] as const;

export interface NodeSummary {
  name: string;
  ready: 'True' | 'False' | 'Unknown';
  /** node-role.kubernetes.io/<role> labels, sorted. */
  roles: string[];
  version?: string;
  unschedulable: boolean;
  capacity: { cpu?: string; memory?: string; pods?: string };
  allocatable: { cpu?: string; memory?: string; pods?: string };
  /** Pressure conditions that are True (NetworkUnavailable too). */
  pressure: string[];
  internalIp?: string;
  /** Ready's reason and message when it is not True. */
  readyDetail?: string;
}

export function nodeSummary(node: KubeObject): NodeSummary {
  const labels = node.metadata.labels ?? {};
  const roles = Object.keys(labels).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length)).filter(Boolean).sort();
  const conditions: Array<{ type: string; status: string; reason?: string; message?: string }> = Array.isArray(node.status?.conditions) ? node.status.conditions : [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const pick = (r: Record<string, string> | undefined) => ({ cpu: r?.cpu, memory: r?.memory, pods: r?.pods });
  const addresses: Array<{ type: string; address: string }> = Array.isArray(node.status?.addresses) ? node.status.addresses : [];
  return {
    name: node.metadata.name,
    ready: ready?.status === 'True' ? 'True' : ready?.status === 'False' ? 'False' : 'Unknown',
    roles,
    version: node.status?.nodeInfo?.kubeletVersion,
    unschedulable: !!node.spec?.unschedulable,
    capacity: pick(node.status?.capacity),
    allocatable: pick(node.status?.allocatable),
    pressure: conditions.filter((c) => (PRESSURE_CONDITIONS as readonly string[]).includes(c.type) && c.status === 'True').map((c) => c.type),
    internalIp: addresses.find((a) => a.type === 'InternalIP')?.address,
    readyDetail: ready && ready.status !== 'True' ? [ready.reason, ready.message].filter(Boolean).join(': ') || undefined : undefined,
  };
}

/** Memory quantities as GiB for display (Ki/Mi/Gi, or plain bytes). */
export function memoryGiB(q: string | undefined): string | undefined {
  if (!q) return undefined;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) return q;
  const f: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return `${(Number(m[1]) * f[m[2] ?? ''] / 2 ** 30).toFixed(1)} GiB`;
}

const nodePath = (name: string) => `/api/v1/nodes/${encodeURIComponent(name)}`;

/** Marks the node (un)schedulable: a merge patch of spec.unschedulable, as kubectl cordon does. */
export async function setUnschedulable(client: KubeClient, node: string, unschedulable: boolean): Promise<KubeObject> {
  return client.request<KubeObject>('PATCH', nodePath(node), { body: { spec: { unschedulable: unschedulable || null } }, contentType: 'application/merge-patch+json' });
}

export interface DrainOptions {
  /** Overall budget for evictions and for the pods to go (default 120 s). */
  timeoutMs?: number;
  /** Pause between evictions refused by a PodDisruptionBudget (default 1 s). */
  retryMs?: number;
  signal?: AbortSignal;
  onPod?(pod: string, state: 'evicting' | 'evicted' | 'blocked' | 'gone' | 'skipped', detail?: string): void;
}

export interface DrainReport {
  node: string;
  evicted: string[];
  /** DaemonSet pods and mirror (static) pods stay, as with kubectl drain --ignore-daemonsets. */
  skipped: Array<{ pod: string; why: string }>;
  /** Pods that could not be evicted in time, with the API's reason (usually a PodDisruptionBudget). */
  notEvicted: Array<{ pod: string; why: string }>;
  /** Evicted but still present when the time ran out. */
  stillTerminating: string[];
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
  const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
  const onAbort = () => { clearTimeout(t); reject(new CancelledError()); };
  signal?.addEventListener('abort', onAbort, { once: true });
});

const podKey = (p: KubeObject) => `${p.metadata.namespace}/${p.metadata.name}`;

/** A KubeError by shape, not instanceof: the client may come from another bundle (dist/kubernetes.js) than this code. */
const kubeError = (e: unknown): KubeError | undefined => ((e as { name?: unknown })?.name === 'KubeError' ? e as KubeError : undefined);

/**
 * Cordons the node, then evicts its pods (DaemonSet and mirror pods excepted) through the Eviction
 * API. A refusal (429: a PodDisruptionBudget allows no disruption now) is retried until the
 * timeout; what still could not be evicted is in the report, never deleted by force.
 */
export async function drainNode(client: KubeClient, node: string, o: DrainOptions = {}): Promise<DrainReport> {
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  await setUnschedulable(client, node, true);
  const list = await client.request<KubeList>('GET', '/api/v1/pods', { query: { fieldSelector: `spec.nodeName=${node}` } });
  const report: DrainReport = { node, evicted: [], skipped: [], notEvicted: [], stillTerminating: [] };
  const todo: KubeObject[] = [];
  for (const p of list.items) {
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    const owner = p.metadata.ownerReferences?.find((r) => r.controller);
    if (owner?.kind === 'DaemonSet') { report.skipped.push({ pod: podKey(p), why: 'managed by a DaemonSet' }); o.onPod?.(podKey(p), 'skipped', 'DaemonSet'); continue; }
    if (p.metadata.annotations?.['kubernetes.io/config.mirror']) { report.skipped.push({ pod: podKey(p), why: 'a static (mirror) pod' }); o.onPod?.(podKey(p), 'skipped', 'mirror pod'); continue; }
    todo.push(p);
  }
  let pending = todo;
  const lastWhy = new Map<string, string>();
  while (pending.length) {
    if (o.signal?.aborted) throw new CancelledError();
    const refused: KubeObject[] = [];
    for (const p of pending) {
      o.onPod?.(podKey(p), 'evicting');
      try {
        await client.request('POST', `/api/v1/namespaces/${encodeURIComponent(p.metadata.namespace!)}/pods/${encodeURIComponent(p.metadata.name)}/eviction`, {
          body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: p.metadata.name, namespace: p.metadata.namespace } },
          signal: o.signal,
        });
        report.evicted.push(podKey(p));
        o.onPod?.(podKey(p), 'evicted');
      } catch (e) {
        const ke = kubeError(e);
        if (ke?.kind === 'notFound') { o.onPod?.(podKey(p), 'gone'); continue; }
        if (ke && (ke.httpStatus === 429 || ke.httpStatus === 500 && /disruption budget/i.test(ke.message))) {
          lastWhy.set(podKey(p), ke.message);
          o.onPod?.(podKey(p), 'blocked', ke.message);
          refused.push(p);
          continue;
        }
        throw e;
      }
    }
    pending = refused;
    if (!pending.length) break;
    if (Date.now() + (o.retryMs ?? 1000) > deadline) break;
    await sleep(o.retryMs ?? 1000, o.signal);
  }
  report.notEvicted = pending.map((p) => ({ pod: podKey(p), why: lastWhy.get(podKey(p)) ?? 'refused' }));
  // Evicted pods terminate (graceful shutdown): wait for them within the same budget.
  let left = new Set(report.evicted);
  while (left.size) {
    const now = await client.request<KubeList>('GET', '/api/v1/pods', { query: { fieldSelector: `spec.nodeName=${node}` } });
    const present = new Set(now.items.map(podKey));
    left = new Set([...left].filter((k) => present.has(k)));
    if (!left.size || Date.now() >= deadline) break;
    await sleep(Math.min(500, Math.max(0, deadline - Date.now())), o.signal);
  }
  report.stillTerminating = [...left];
  return report;
}
