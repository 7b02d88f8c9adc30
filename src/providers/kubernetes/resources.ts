// The Kubernetes kinds Homelab shows, their API paths, and a one-line summary per object for
// tree items (ready/desired, phase + restarts, service type and ports, hosts, capacity, failures).

export type KindName = 'deployments' | 'statefulsets' | 'daemonsets' | 'replicasets' | 'pods' | 'services' | 'ingresses'
  | 'persistentvolumeclaims' | 'configmaps' | 'secrets' | 'namespaces' | 'events' | 'nodes';

export interface ResourceKind {
  name: KindName;
  kind: string;
  group: string;
  version: string;
  namespaced: boolean;
  /** Plural label for the tree. */
  label: string;
}

const k = (name: KindName, kind: string, group: string, label: string, namespaced = true): ResourceKind => ({ name, kind, group, version: 'v1', namespaced, label });

export const KINDS: Record<KindName, ResourceKind> = {
  deployments: k('deployments', 'Deployment', 'apps', 'Deployments'),
  statefulsets: k('statefulsets', 'StatefulSet', 'apps', 'StatefulSets'),
  daemonsets: k('daemonsets', 'DaemonSet', 'apps', 'DaemonSets'),
  replicasets: k('replicasets', 'ReplicaSet', 'apps', 'ReplicaSets'),
  pods: k('pods', 'Pod', '', 'Pods'),
  services: k('services', 'Service', '', 'Services'),
  ingresses: k('ingresses', 'Ingress', 'networking.k8s.io', 'Ingresses'),
  persistentvolumeclaims: k('persistentvolumeclaims', 'PersistentVolumeClaim', '', 'Persistent Volume Claims'),
  configmaps: k('configmaps', 'ConfigMap', '', 'ConfigMaps'),
  secrets: k('secrets', 'Secret', '', 'Secrets'),
  namespaces: k('namespaces', 'Namespace', '', 'Namespaces', false),
  events: k('events', 'Event', '', 'Events'),
  nodes: k('nodes', 'Node', '', 'Nodes', false),
};

/** The kinds shown in the tree, in display order. */
export const TREE_KINDS: KindName[] = ['deployments', 'statefulsets', 'daemonsets', 'pods', 'services', 'ingresses', 'persistentvolumeclaims', 'configmaps', 'secrets'];

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
    managedFields?: unknown[];
    [k: string]: unknown;
  };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  status?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  [k: string]: unknown;
}

export interface KubeList<T = KubeObject> { apiVersion?: string; kind?: string; metadata: { resourceVersion?: string; continue?: string }; items: T[] }

export function kindOf(name: KindName | ResourceKind): ResourceKind {
  return typeof name === 'string' ? KINDS[name] : name;
}

export function apiVersionOf(kind: ResourceKind): string { return kind.group ? `${kind.group}/${kind.version}` : kind.version; }

function prefix(kind: ResourceKind): string { return kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`; }

/** Collection path; without namespace a namespaced kind lists across all namespaces. */
export function collectionPath(name: KindName | ResourceKind, namespace?: string): string {
  const kind = kindOf(name);
  return kind.namespaced && namespace ? `${prefix(kind)}/namespaces/${encodeURIComponent(namespace)}/${kind.name}` : `${prefix(kind)}/${kind.name}`;
}

export function objectPath(name: KindName | ResourceKind, namespace: string | undefined, objName: string, sub?: string): string {
  const kind = kindOf(name);
  if (kind.namespaced && !namespace) throw new Error(`${kind.kind} "${objName}" needs a namespace`);
  return `${collectionPath(kind, kind.namespaced ? namespace : undefined)}/${encodeURIComponent(objName)}${sub ? '/' + sub : ''}`;
}

export type Health = 'ok' | 'progressing' | 'failing' | 'unknown';

export interface ResourceSummary {
  name: string;
  namespace?: string;
  kind: string;
  /** Short text after the name, e.g. "2/3 ready", "Running · 4 restarts", "LoadBalancer 80/TCP". */
  description: string;
  health: Health;
  /** Longer explanation when something is wrong (failing condition message, waiting reason). */
  problem?: string;
  ready?: number;
  desired?: number;
}

type Cond = { type?: string; status?: string; reason?: string; message?: string };

/** A rollout failure from Deployment conditions: Progressing=False (e.g. ProgressDeadlineExceeded) or ReplicaFailure=True. */
export function failingCondition(obj: KubeObject): Cond | undefined {
  const conds: Cond[] = Array.isArray(obj.status?.conditions) ? obj.status.conditions : [];
  return conds.find((c) => (c.type === 'Progressing' && c.status === 'False') || (c.type === 'ReplicaFailure' && c.status === 'True'));
}

function podRestarts(pod: KubeObject): number {
  const cs: { restartCount?: number }[] = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return cs.reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

/** kubectl's STATUS column: a waiting/terminated reason wins over the phase. */
export function podStatusText(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  for (const c of (pod.status?.containerStatuses ?? []) as { state?: { waiting?: { reason?: string }; terminated?: { reason?: string } } }[]) {
    const r = c.state?.waiting?.reason ?? c.state?.terminated?.reason;
    if (r) return r;
  }
  return pod.status?.phase ?? 'Unknown';
}

const BAD_WAITING = new Set(['CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError', 'InvalidImageName', 'Error', 'OOMKilled', 'ContainerCannotRun']);

function replicasSummary(base: Omit<ResourceSummary, 'description' | 'health'>, ready: number, desired: number, obj: KubeObject): ResourceSummary {
  const fail = failingCondition(obj);
  const health: Health = fail ? 'failing' : ready >= desired ? 'ok' : 'progressing';
  return { ...base, ready, desired, description: `${ready}/${desired} ready${fail ? ` · ${fail.reason ?? 'failing'}` : ''}`, health, problem: fail ? fail.message ?? fail.reason : undefined };
}

export function summarize(kindName: KindName, obj: KubeObject): ResourceSummary {
  const base = { name: obj.metadata.name, namespace: obj.metadata.namespace, kind: KINDS[kindName].kind };
  const s = obj.status ?? {};
  const spec = obj.spec ?? {};
  switch (kindName) {
    case 'deployments':
    case 'statefulsets':
    case 'replicasets':
      return replicasSummary(base, Number(s.readyReplicas ?? 0), Number(spec.replicas ?? 1), obj);
    case 'daemonsets':
      return replicasSummary(base, Number(s.numberReady ?? 0), Number(s.desiredNumberScheduled ?? 0), obj);
    case 'pods': {
      const text = podStatusText(obj);
      const restarts = podRestarts(obj);
      const cs: { ready?: boolean }[] = s.containerStatuses ?? [];
      const ready = cs.filter((c) => c.ready).length;
      const total = Math.max(cs.length, (spec.containers ?? []).length);
      const health: Health = BAD_WAITING.has(text) || s.phase === 'Failed' ? 'failing'
        : s.phase === 'Succeeded' || (s.phase === 'Running' && ready === total) ? 'ok' : s.phase === 'Unknown' ? 'unknown' : 'progressing';
      const waiting = (s.containerStatuses ?? []).map((c: { state?: { waiting?: { message?: string } } }) => c.state?.waiting?.message).find(Boolean);
      return { ...base, ready, desired: total, description: `${text} · ${ready}/${total}${restarts ? ` · ${restarts} restart${restarts === 1 ? '' : 's'}` : ''}`, health, problem: health === 'failing' ? waiting ?? text : undefined };
    }
    case 'services': {
      const ports = ((spec.ports ?? []) as { port: number; protocol?: string; nodePort?: number }[])
        .map((p) => `${p.port}${p.nodePort ? ':' + p.nodePort : ''}/${p.protocol ?? 'TCP'}`).join(', ');
      const type = spec.type ?? 'ClusterIP';
      const lb = ((s.loadBalancer?.ingress ?? []) as { ip?: string; hostname?: string }[]).map((i) => i.ip ?? i.hostname).filter(Boolean);
      const pending = type === 'LoadBalancer' && lb.length === 0;
      return { ...base, description: `${type}${ports ? ' ' + ports : ''}${lb.length ? ' → ' + lb.join(', ') : pending ? ' (external IP pending)' : ''}`, health: pending ? 'progressing' : 'ok' };
    }
    case 'ingresses': {
      const hosts = ((spec.rules ?? []) as { host?: string }[]).map((r) => r.host ?? '*');
      const tls = (spec.tls ?? []).length > 0;
      return { ...base, description: `${hosts.length ? hosts.join(', ') : '*'}${tls ? ' (TLS)' : ''}`, health: 'ok' };
    }
    case 'persistentvolumeclaims': {
      const phase = s.phase ?? 'Pending';
      const cap = s.capacity?.storage ?? spec.resources?.requests?.storage ?? '?';
      return { ...base, description: `${phase} · ${cap}${spec.storageClassName ? ' · ' + spec.storageClassName : ''}`, health: phase === 'Bound' ? 'ok' : phase === 'Lost' ? 'failing' : 'progressing', problem: phase === 'Lost' ? 'The bound volume is lost' : undefined };
    }
    case 'configmaps':
    case 'secrets': {
      const n = Object.keys(obj.data ?? {}).length + Object.keys((obj as { binaryData?: object }).binaryData ?? {}).length;
      const type = kindName === 'secrets' && obj.type && obj.type !== 'Opaque' ? `${String(obj.type)} · ` : '';
      return { ...base, description: `${type}${n} key${n === 1 ? '' : 's'}`, health: 'ok' };
    }
    case 'namespaces':
      return { ...base, description: s.phase ?? 'Active', health: s.phase === 'Terminating' ? 'progressing' : 'ok' };
    case 'events': {
      const e = obj as { type?: string; reason?: string; message?: string };
      return { ...base, description: `${e.type ?? 'Normal'} ${e.reason ?? ''}`.trim(), health: e.type === 'Warning' ? 'failing' : 'ok', problem: e.type === 'Warning' ? e.message : undefined };
    }
    case 'nodes': {
      const ready = ((s.conditions ?? []) as { type: string; status: string }[]).find((c) => c.type === 'Ready');
      const ok = ready?.status === 'True';
      return { ...base, description: `${ok ? 'Ready' : 'NotReady'}${spec.unschedulable ? ' · SchedulingDisabled' : ''}`, health: ok ? 'ok' : ready ? 'failing' : 'progressing' };
    }
  }
}
