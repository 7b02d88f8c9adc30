// Pure presentation of Kubernetes tree items (no `vscode` import: unit-tested in plain Node).
// Strings a user reads go through the `t` the caller passes (vscode.l10n.t in the extension).
import type { Health, KindName, KubeObject, ResourceSummary } from '../../providers/kubernetes/resources';

export type Translate = (message: string, ...args: (string | number | boolean)[]) => string;

/** `viewItem` context values: the menus in package.json match on these. */
export const CONTEXT_VALUES: Record<KindName, string> = {
  deployments: 'k8s-deployment',
  statefulsets: 'k8s-statefulset',
  daemonsets: 'k8s-daemonset',
  replicasets: 'k8s-replicaset',
  pods: 'k8s-pod',
  services: 'k8s-service',
  ingresses: 'k8s-ingress',
  persistentvolumeclaims: 'k8s-pvc',
  configmaps: 'k8s-configmap',
  secrets: 'k8s-secret',
  namespaces: 'k8s-namespace',
  events: 'k8s-event',
  nodes: 'k8s-node',
};

export const KIND_ICONS: Record<KindName, string> = {
  deployments: 'rocket',
  statefulsets: 'database',
  daemonsets: 'server-process',
  replicasets: 'copy',
  pods: 'package',
  services: 'plug',
  ingresses: 'globe',
  persistentvolumeclaims: 'save',
  configmaps: 'settings',
  secrets: 'lock',
  namespaces: 'folder',
  events: 'history',
  nodes: 'server',
};

/** Kinds whose items expand into their conditions (why a rollout is stuck). */
export const WORKLOAD_KINDS: KindName[] = ['deployments', 'statefulsets', 'daemonsets'];

export function healthIcon(health: Health): { icon: string; color?: string } {
  switch (health) {
    case 'ok': return { icon: 'pass', color: 'testing.iconPassed' };
    case 'progressing': return { icon: 'sync', color: 'charts.yellow' };
    case 'failing': return { icon: 'error', color: 'errorForeground' };
    default: return { icon: 'question' };
  }
}

export interface ConditionRow { type: string; status: string; reason?: string; message?: string; ok: boolean }

/** Conditions of a workload; "ok" means the condition is in its good state. */
export function conditionRows(obj: KubeObject): ConditionRow[] {
  const conds: { type?: string; status?: string; reason?: string; message?: string }[] = Array.isArray(obj.status?.conditions) ? obj.status.conditions : [];
  return conds.map((c) => {
    const type = c.type ?? '?';
    const status = c.status ?? 'Unknown';
    const bad = type === 'ReplicaFailure' ? status === 'True' : status !== 'True';
    return { type, status, reason: c.reason, message: c.message, ok: !bad };
  });
}

const md = (s: string) => s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');

/** The markdown tooltip of an object item. */
export function objectTooltip(kind: KindName, obj: KubeObject, s: ResourceSummary, t: Translate, warnings: string[] = []): string {
  const lines = [`**${md(s.kind)} ${md(obj.metadata.name)}**`, ''];
  if (obj.metadata.namespace) lines.push(t('Namespace: {0}', md(obj.metadata.namespace)), '');
  lines.push(md(s.description), '');
  if (s.problem) lines.push(`$(error) ${md(s.problem)}`, '');
  if (warnings.length) lines.push(`**${t('Latest warning events')}**`, '', ...warnings.map((w) => `- $(warning) ${md(w)}`), '');
  if (WORKLOAD_KINDS.includes(kind)) {
    const rows = conditionRows(obj);
    if (rows.length) {
      lines.push(`| ${t('Condition')} | ${t('Status')} | ${t('Reason')} |`, '|---|---|---|');
      for (const r of rows) lines.push(`| ${md(r.type)} | ${r.ok ? '$(pass)' : '$(error)'} ${md(r.status)} | ${md(r.reason ?? '')} |`);
      lines.push('');
    }
  }
  if (kind === 'pods') {
    const cs: { name: string; image?: string; ready?: boolean; restartCount?: number }[] = obj.status?.containerStatuses ?? [];
    for (const c of cs) lines.push(`- ${md(c.name)} \`${c.image ?? ''}\` ${c.ready ? t('ready') : t('not ready')}${c.restartCount ? ` · ${t('{0} restarts', c.restartCount)}` : ''}`);
    if (obj.spec?.nodeName) lines.push('', t('Node: {0}', md(String(obj.spec.nodeName))));
    if (cs.length) lines.push('');
  }
  const labels = Object.entries(obj.metadata.labels ?? {});
  if (labels.length) lines.push(labels.map(([k, v]) => `\`${k}=${v}\``).join(' '), '');
  if (obj.metadata.creationTimestamp) lines.push(t('Created {0}', obj.metadata.creationTimestamp));
  return lines.join('\n');
}

/** Namespaces to show: the filter (when set) in its order, else every namespace sorted. */
export function visibleNamespaces(all: string[] | undefined, filter: string[], fallback: string): string[] {
  if (filter.length) return [...new Set(filter)];
  if (!all) return [fallback];
  return [...all].sort();
}

/** Containers of a pod, init containers excluded (logs and exec pick among these). */
export function podContainers(pod: KubeObject): string[] {
  return ((pod.spec?.containers ?? []) as { name: string }[]).map((c) => c.name);
}
