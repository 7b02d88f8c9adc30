// Kubernetes entries: contexts, list and get (any kind the extension knows, with events), scale,
// rollout restart, a log tail, and apply with a server-side dry run first. Secrets' values never
// leave the cluster: get uses the redacting YAML dump, list shows names and summaries only.
import { l10n } from './l10n';
import { OperationRefused, type JsonSchema, type KubeClient, type KubernetesAccess, type KubernetesModules, type Operation, type OperationHost } from './types';
import type { KindName, KubeList, KubeObject } from '../providers/kubernetes/resources';

const KIND_NAMES: KindName[] = ['deployments', 'statefulsets', 'daemonsets', 'replicasets', 'pods', 'services', 'ingresses', 'persistentvolumeclaims', 'configmaps', 'secrets', 'namespaces', 'events'];
const contextField: JsonSchema = { type: 'string', maxLength: 253, description: 'kubeconfig context (see kubernetes_contexts); default: the current context.' };
const namespaceField: JsonSchema = { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', description: 'Namespace; default: the context\'s namespace.' };
const nameField: JsonSchema = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' };

function kubeOf(host: OperationHost): KubernetesAccess {
  if (!host.kubernetes) throw new OperationRefused(l10n.t('No Kubernetes configuration is available.'));
  return host.kubernetes;
}

/** The Kubernetes modules and a client of one context; refused where the host has no Kubernetes. Shared by every Kubernetes entry. */
export async function connect(host: OperationHost, context?: string): Promise<{ k: KubernetesModules; client: KubeClient }> {
  const kube = kubeOf(host);
  const [k, client] = await Promise.all([kube.modules(), kube.client(context)]);
  return { k, client };
}

export const contexts: Operation<Record<string, never>> = {
  id: 'kubernetes_contexts',
  title: 'Kubernetes contexts',
  description: 'Lists the kubeconfig contexts Homelab knows (name, cluster, default namespace), the current one marked with *.',
  area: 'kubernetes',
  effect: 'readOnly',
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  async prepare(_input, host) {
    return {
      async run() {
        const list = await kubeOf(host).contexts();
        return { text: list.map((c) => `${c.current ? '*' : ' '} ${c.name}${c.cluster ? ` cluster=${c.cluster}` : ''}${c.namespace ? ` namespace=${c.namespace}` : ''}`).join('\n') || l10n.t('No Kubernetes contexts.'), data: list };
      },
    };
  },
};

export const list: Operation<{ context?: string; kind: KindName; namespace?: string; allNamespaces?: boolean }> = {
  id: 'kubernetes_list',
  title: 'List Kubernetes objects',
  description: 'Lists objects of one kind (deployments, pods, services, …) in a namespace or all namespaces, one line each: namespace/name, a status summary (ready/desired, phase, restarts) and any problem.',
  area: 'kubernetes',
  effect: 'readOnly',
  inputSchema: { type: 'object', properties: { context: contextField, kind: { type: 'string', enum: KIND_NAMES }, namespace: namespaceField, allNamespaces: { type: 'boolean', default: false } }, required: ['kind'], additionalProperties: false },
  async prepare(input, host) {
    return {
      async run(_p, signal) {
        const { k, client } = await connect(host, input.context);
        const kind = k.resources.KINDS[input.kind];
        const ns = kind.namespaced && !input.allNamespaces ? input.namespace ?? client.namespace : undefined;
        const res = await client.request<KubeList>('GET', k.resources.collectionPath(input.kind, ns), { signal });
        const rows = res.items.map((o) => k.resources.summarize(input.kind, o));
        const text = rows.map((r) => `${r.namespace ? `${r.namespace}/` : ''}${r.name} ${r.description}${r.health !== 'ok' && r.health !== 'unknown' ? ` [${r.health}]` : ''}${r.problem ? ` problem: ${r.problem}` : ''}`).join('\n');
        return { text: text || l10n.t('No {0} in {1}.', input.kind, ns ?? l10n.t('any namespace')), data: rows };
      },
    };
  },
};

function eventLines(items: KubeObject[]): string[] {
  return items
    .map((e) => e as KubeObject & { type?: string; reason?: string; message?: string; count?: number; lastTimestamp?: string; eventTime?: string })
    .sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? '')))
    .slice(-20)
    .map((e) => `  ${e.lastTimestamp ?? e.eventTime ?? ''} ${e.type ?? ''} ${e.reason ?? ''}${e.count && e.count > 1 ? ` x${e.count}` : ''}: ${e.message ?? ''}`);
}

export const get: Operation<{ context?: string; kind: KindName; namespace?: string; name: string; events?: boolean }> = {
  id: 'kubernetes_get',
  title: 'Get a Kubernetes object',
  description: 'Shows one object as YAML (Secret values redacted) and, by default, its recent events. Use it to find out why something is not ready.',
  area: 'kubernetes',
  effect: 'readOnly',
  inputSchema: { type: 'object', properties: { context: contextField, kind: { type: 'string', enum: KIND_NAMES }, namespace: namespaceField, name: nameField, events: { type: 'boolean', default: true } }, required: ['kind', 'name'], additionalProperties: false },
  async prepare(input, host) {
    return {
      async run(_p, signal) {
        const { k, client } = await connect(host, input.context);
        const kind = k.resources.KINDS[input.kind];
        const ns = kind.namespaced ? input.namespace ?? client.namespace : undefined;
        const yaml = await k.actions.getYaml(client, input.kind, ns, input.name);
        const out = [yaml.trimEnd()];
        if (input.events !== false && input.kind !== 'events') {
          const ev = await client.request<KubeList>('GET', k.resources.collectionPath('events', ns), { query: { fieldSelector: `involvedObject.name=${input.name}` }, signal });
          out.push(`events (${ev.items.length}):`, ...eventLines(ev.items));
        }
        return { text: out.join('\n') };
      },
    };
  },
};

async function readObject(client: KubeClient, k: KubernetesModules, kind: KindName, ns: string, name: string): Promise<KubeObject> {
  return client.request<KubeObject>('GET', k.resources.objectPath(kind, ns, name));
}

export const scale: Operation<{ context?: string; kind?: 'deployments' | 'statefulsets'; namespace?: string; name: string; replicas: number }> = {
  id: 'kubernetes_scale',
  title: 'Scale a workload',
  description: 'Sets the replica count of a Deployment (default) or StatefulSet.',
  area: 'kubernetes',
  effect: 'sideEffect',
  inputSchema: { type: 'object', properties: { context: contextField, kind: { type: 'string', enum: ['deployments', 'statefulsets'], default: 'deployments' }, namespace: namespaceField, name: nameField, replicas: { type: 'integer', minimum: 0, maximum: 1000 } }, required: ['name', 'replicas'], additionalProperties: false },
  async prepare(input, host) {
    const { k, client } = await connect(host, input.context);
    const kind = input.kind ?? 'deployments';
    const ns = input.namespace ?? client.namespace;
    const obj = await readObject(client, k, kind, ns, input.name);
    const now = (obj.spec as { replicas?: number } | undefined)?.replicas ?? 1;
    return {
      confirmation: l10n.t('Scale {0} {1}/{2} on {3} from {4} to {5} replicas?', kind.replace(/s$/, ''), ns, input.name, client.context, now, input.replicas),
      cluster: client.context,
      target: `${kind}/${ns}/${input.name}`,
      async run() {
        const n = await k.actions.scale(client, kind, ns, input.name, input.replicas);
        return { text: l10n.t('{0} {1}/{2}: replicas {3} → {4}.', kind.replace(/s$/, ''), ns, input.name, now, n), data: { from: now, to: n } };
      },
    };
  },
};

export const rolloutRestart: Operation<{ context?: string; kind?: 'deployments' | 'statefulsets' | 'daemonsets'; namespace?: string; name: string }> = {
  id: 'kubernetes_rollout_restart',
  title: 'Rollout restart',
  description: 'Restarts every pod of a Deployment (default), StatefulSet or DaemonSet the way `kubectl rollout restart` does.',
  area: 'kubernetes',
  effect: 'sideEffect',
  inputSchema: { type: 'object', properties: { context: contextField, kind: { type: 'string', enum: ['deployments', 'statefulsets', 'daemonsets'], default: 'deployments' }, namespace: namespaceField, name: nameField }, required: ['name'], additionalProperties: false },
  async prepare(input, host) {
    const { k, client } = await connect(host, input.context);
    const kind = input.kind ?? 'deployments';
    const ns = input.namespace ?? client.namespace;
    const obj = await readObject(client, k, kind, ns, input.name);
    const s = k.resources.summarize(kind, obj);
    return {
      confirmation: l10n.t('Restart every pod of {0} {1}/{2} on {3} ({4})?', kind.replace(/s$/, ''), ns, input.name, client.context, s.description),
      cluster: client.context,
      target: `${kind}/${ns}/${input.name}`,
      async run() {
        await k.actions.restart(client, kind, ns, input.name);
        return { text: l10n.t('Rollout restart of {0} {1}/{2} started.', kind.replace(/s$/, ''), ns, input.name) };
      },
    };
  },
};

export const logs: Operation<{ context?: string; namespace?: string; pod: string; container?: string; tailLines?: number; previous?: boolean }> = {
  id: 'kubernetes_logs',
  title: 'Tail pod logs',
  description: 'Returns the last lines of a pod\'s log (one container; default the pod\'s default container). `previous` reads the previous (crashed) container\'s log.',
  area: 'kubernetes',
  effect: 'readOnly',
  inputSchema: { type: 'object', properties: { context: contextField, namespace: namespaceField, pod: nameField, container: { type: 'string', maxLength: 253 }, tailLines: { type: 'integer', minimum: 1, maximum: 2000, default: 100 }, previous: { type: 'boolean', default: false } }, required: ['pod'], additionalProperties: false },
  async prepare(input, host) {
    return {
      async run(_p, signal) {
        const { k, client } = await connect(host, input.context);
        const ns = input.namespace ?? client.namespace;
        const lines: string[] = [];
        const stream = await k.actions.streamLogs(client, ns, input.pod, { container: input.container, tailLines: input.tailLines ?? 100, previous: input.previous, follow: false, onLine: (l) => lines.push(l) });
        const stop = () => stream.stop();
        signal.addEventListener('abort', stop);
        try {
          await stream.done;
        } finally {
          signal.removeEventListener('abort', stop);
        }
        return { text: [`${ns}/${input.pod} (${lines.length} lines):`, ...lines].join('\n') };
      },
    };
  },
};

const manifestField: JsonSchema = { type: 'string', minLength: 1, maxLength: 1_000_000, description: 'One or more YAML documents (--- separated).' };

async function dryRun(host: OperationHost, input: { context?: string; manifest: string; namespace?: string }) {
  const { k, client } = await connect(host, input.context);
  let docs: KubeObject[];
  try {
    docs = k.actions.parseManifests(input.manifest, 'manifest');
  } catch (e) {
    throw new OperationRefused(e instanceof Error ? e.message : String(e));
  }
  if (!docs.length) throw new OperationRefused(l10n.t('The manifest holds no object.'));
  const results = [];
  for (const d of docs) results.push(await k.actions.applyObject(client, d, { dryRun: true, defaultNamespace: input.namespace }, 'manifest'));
  return { k, client, docs, results, summary: k.actions.applySummary(results) };
}

export const applyDryRun: Operation<{ context?: string; manifest: string; namespace?: string }> = {
  id: 'kubernetes_apply_dry_run',
  title: 'Apply dry run',
  description: 'Server-side dry run of applying YAML manifests: says per object whether it would be created, configured or left unchanged, or why the server refuses it. Changes nothing; run it before kubernetes_apply.',
  area: 'kubernetes',
  effect: 'readOnly',
  inputSchema: { type: 'object', properties: { context: contextField, manifest: manifestField, namespace: namespaceField }, required: ['manifest'], additionalProperties: false },
  async prepare(input, host) {
    return {
      async run() {
        const d = await dryRun(host, input);
        return { text: `dry run on ${d.client.context}:\n${d.summary}`, data: d.results.map((r) => ({ kind: r.kind, name: r.name, namespace: r.namespace, outcome: r.outcome, error: r.error?.message })) };
      },
    };
  },
};

export const apply: Operation<{ context?: string; manifest: string; namespace?: string }> = {
  id: 'kubernetes_apply',
  title: 'Apply manifests',
  description: 'Applies YAML manifests server-side (field manager homelab). A dry run runs first: when the server refuses any object nothing is applied; the confirmation lists what the dry run found.',
  area: 'kubernetes',
  effect: 'sideEffect',
  inputSchema: { type: 'object', properties: { context: contextField, manifest: manifestField, namespace: namespaceField }, required: ['manifest'], additionalProperties: false },
  async prepare(input, host) {
    const d = await dryRun(host, input);
    if (d.results.some((r) => r.outcome === 'failed')) throw new OperationRefused(l10n.t('The dry run failed; nothing was applied:\n{0}', d.summary));
    return {
      confirmation: l10n.t('Apply to {0}: {1}?', d.client.context, d.results.map((r) => `${r.kind}/${r.name} ${r.outcome}`).join(', ')),
      cluster: d.client.context,
      target: d.results.map((r) => `${r.kind}/${r.name}`).join(', '),
      async run() {
        const results = [];
        for (const doc of d.docs) results.push(await d.k.actions.applyObject(d.client, doc, { defaultNamespace: input.namespace }, 'manifest'));
        const summary = d.k.actions.applySummary(results);
        if (results.some((r) => r.outcome === 'failed')) throw new Error(l10n.t('Some objects failed:\n{0}', summary));
        return { text: summary, data: results.map((r) => ({ kind: r.kind, name: r.name, namespace: r.namespace, outcome: r.outcome })) };
      },
    };
  },
};
