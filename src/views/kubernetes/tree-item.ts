import * as vscode from 'vscode';
import type { KubeError } from '../../providers/kubernetes/errors';
import type { KubernetesSession, PortForwards } from '../../services/kubernetes';
import { kindLabel, type KubeElement } from './elements';
import { eventsOf, latestWarnings, type KubeEvent } from './events';
import { CONTEXT_VALUES, healthIcon, KIND_ICONS, objectTooltip, WORKLOAD_KINDS } from './items';
import { nodesTreeItem, nodeTreeItem, type NodeVmLookup } from './nodes';

/** The TreeItem of an element, from what the session holds now (no request). */
export function treeItem(session: KubernetesSession, e: KubeElement, forwards?: PortForwards, vmOf?: NodeVmLookup): vscode.TreeItem {
  const t = vscode.l10n.t;
  switch (e.kind) {
    case 'nodes': return nodesTreeItem(session, e);
    case 'node': return nodeTreeItem(session, e, vmOf);
    case 'forwards': {
      const item = new vscode.TreeItem(t('Port Forwards'), vscode.TreeItemCollapsibleState.Expanded);
      item.id = e.id;
      item.iconPath = new vscode.ThemeIcon('plug');
      item.description = String(forwards?.list(e.context).length ?? 0);
      item.contextValue = 'k8s-forwards';
      return item;
    }
    case 'forward': {
      const f = forwards?.get(e.forwardId);
      const item = new vscode.TreeItem(f ? `127.0.0.1:${f.localPort} → ${f.target.kind === 'services' ? 'svc/' : ''}${f.target.name}:${f.target.port}` : e.forwardId, vscode.TreeItemCollapsibleState.None);
      item.id = e.id;
      if (!f) return item;
      const state = f.state === 'active' ? t('via {0}', `${f.pod}:${f.podPort}`) : f.state === 'waiting' ? t('waiting for a ready pod') : t('ended');
      item.description = [f.target.namespace, state, f.connections ? t('{0} connection(s)', f.connections) : ''].filter(Boolean).join(' · ');
      item.tooltip = [`${f.target.context}/${f.target.namespace}/${f.target.kind}/${f.target.name}:${f.target.port}`, f.message ?? ''].filter(Boolean).join('\n\n');
      item.iconPath = f.state === 'active' ? new vscode.ThemeIcon('plug', new vscode.ThemeColor('testing.iconPassed'))
        : f.state === 'waiting' ? new vscode.ThemeIcon('watch', new vscode.ThemeColor('problemsWarningIcon.foreground'))
          : new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('errorForeground'));
      item.contextValue = f.state === 'ended' ? 'k8s-forward-ended' : 'k8s-forward';
      return item;
    }
    case 'context': {
      const cfg = session.loadedKubeconfig;
      const current = cfg?.currentContext === e.context;
      const info = cfg?.contexts.find((c) => c.name === e.context);
      const broken = session.contextProblem(e.context);
      const item = new vscode.TreeItem(e.context, current ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      item.id = e.id;
      item.iconPath = broken ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')) : new vscode.ThemeIcon(current ? 'vm-active' : 'vm-outline', current ? new vscode.ThemeColor('testing.iconPassed') : undefined);
      item.description = [current ? t('current') : '', info?.server ?? '', broken ? t('unavailable') : ''].filter(Boolean).join(' · ');
      item.tooltip = new vscode.MarkdownString([`**${e.context}**${current ? ` (${t('current context')})` : ''}`, '', `${t('Server')}: ${info?.server ?? '?'}`, '', `${t('User')}: ${info?.user ?? '?'}`, '', `${t('Namespace')}: ${info?.namespace ?? 'default'}`, '', `${t('File')}: ${info?.file ?? '?'}`].join('\n'));
      item.contextValue = current ? 'k8s-context-current' : 'k8s-context';
      return item;
    }
    case 'namespace': {
      const item = new vscode.TreeItem(e.namespace, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = e.id;
      item.iconPath = new vscode.ThemeIcon('symbol-namespace');
      item.contextValue = 'k8s-namespace';
      return item;
    }
    case 'group': {
      const s = session.status(e.context, e.resource, e.namespace);
      const item = new vscode.TreeItem(kindLabel(e.resource), vscode.TreeItemCollapsibleState.Collapsed);
      item.id = e.id;
      item.iconPath = s.error ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')) : new vscode.ThemeIcon(KIND_ICONS[e.resource]);
      if (s.informer && s.synced && !s.error) item.description = String(session.objects(e.context, e.resource, e.namespace).length);
      item.contextValue = `k8s-group-${e.resource}`;
      return item;
    }
    case 'allGroup': {
      const s = session.status(e.context, e.resource);
      const item = new vscode.TreeItem(kindLabel(e.resource), vscode.TreeItemCollapsibleState.Collapsed);
      item.id = e.id;
      item.iconPath = s.error ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')) : new vscode.ThemeIcon(KIND_ICONS[e.resource]);
      item.description = t('all namespaces');
      item.contextValue = `k8s-allgroup-${e.resource}`;
      return item;
    }
    case 'object': {
      const obj = session.object(e.context, e.resource, e.namespace, e.name);
      const workload = WORKLOAD_KINDS.includes(e.resource);
      const item = new vscode.TreeItem(e.name, workload ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
      item.id = e.id;
      item.contextValue = CONTEXT_VALUES[e.resource];
      const k8s = session.loadedModules;
      if (!obj || !k8s) return item;
      const s = k8s.resources.summarize(e.resource, obj);
      const icon = healthIcon(s.health);
      item.iconPath = new vscode.ThemeIcon(icon.icon, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
      item.description = e.all ? `${e.namespace} · ${s.description}` : s.description;
      // A click opens the YAML, except on workloads: there it expands their conditions.
      if (!workload) item.command = { title: t('View YAML'), command: 'homelab.kubernetes.viewYaml', arguments: [e] };
      return item;
    }
    case 'condition': {
      const item = new vscode.TreeItem(e.text, vscode.TreeItemCollapsibleState.None);
      item.id = e.id;
      item.description = e.detail;
      item.tooltip = e.detail;
      item.iconPath = new vscode.ThemeIcon(e.ok ? 'pass' : 'error', new vscode.ThemeColor(e.ok ? 'testing.iconPassed' : 'errorForeground'));
      item.contextValue = 'k8s-condition';
      return item;
    }
    // Applications rows are drawn by views/kubernetes/applications.ts (the provider routes them there).
    case 'apps':
    case 'app':
    case 'appPart':
    case 'appRow':
      return new vscode.TreeItem(e.id, vscode.TreeItemCollapsibleState.None);
    case 'message': {
      const item = new vscode.TreeItem(e.text, vscode.TreeItemCollapsibleState.None);
      item.id = e.id;
      item.iconPath = new vscode.ThemeIcon(e.severity === 'error' ? 'error' : 'info', e.severity === 'error' ? new vscode.ThemeColor('errorForeground') : undefined);
      item.description = e.detail;
      item.tooltip = e.command ? `${e.detail}\n\n${e.command.title}` : e.detail;
      item.command = e.command;
      item.contextValue = e.severity === 'error' ? 'k8s-message-error' : 'k8s-message';
      return item;
    }
  }
}

/**
 * The hover of an object: built when hovered, not for every item on every watch event. A failing
 * workload's hover names its latest warning events (one list of the namespace's events).
 */
export function resolveItem(session: KubernetesSession, item: vscode.TreeItem, e: KubeElement): vscode.TreeItem | Promise<vscode.TreeItem> {
  const k8s = session.loadedModules;
  if (e.kind !== 'object' || !k8s) return item;
  const obj = session.object(e.context, e.resource, e.namespace, e.name);
  if (!obj) return item;
  const summary = k8s.resources.summarize(e.resource, obj);
  item.tooltip = new vscode.MarkdownString(objectTooltip(e.resource, obj, summary, vscode.l10n.t), true);
  if (summary.health !== 'failing' || !WORKLOAD_KINDS.includes(e.resource)) return item;
  return session.recentEvents(e.context, e.namespace).then((recent) => {
    const warnings = latestWarnings(eventsOf(recent.events as KubeEvent[], { kind: summary.kind, resource: e.resource, name: e.name }));
    item.tooltip = new vscode.MarkdownString(objectTooltip(e.resource, obj, summary, vscode.l10n.t, warnings), true);
    return item;
  }, () => item); // no events readable (RBAC): the hover shows the rest
}

/** The headline of an error row. */
export function errorText(err: unknown): string {
  switch ((err as KubeError)?.kind) {
    case 'unauthorized': return vscode.l10n.t('Credentials rejected (401)');
    case 'forbidden': return vscode.l10n.t('Forbidden (403)');
    case 'unreachable': return vscode.l10n.t('API server unreachable');
    case 'config': return vscode.l10n.t('Context cannot be used');
    default: return vscode.l10n.t('Error');
  }
}
